/** The key-side algorithm allowlist, pure: what each JWK may verify, whatever a token's header claims. */
import type { JWK } from "jose";
import { describe, expect, it } from "vitest";
import { algorithmsFor, keyFromJwk, keyFromSecret } from "./jwks.ts";

const RSA: JWK = { kty: "RSA", n: "0vx7agoebGcQSuu", e: "AQAB" };
const ec = (crv: string): JWK => ({ kty: "EC", crv, x: "x", y: "y" });
const RSA_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];

describe("algorithmsFor", () => {
  it.each<[string, JWK, string[]]>([
    ["RSA: the RS and PS families", RSA, RSA_ALGS],
    ["EC P-256: ES256 only", ec("P-256"), ["ES256"]],
    ["EC P-384: ES384 only", ec("P-384"), ["ES384"]],
    ["EC P-521: ES512 only", ec("P-521"), ["ES512"]],
    ["OKP Ed25519: EdDSA only", { kty: "OKP", crv: "Ed25519", x: "x" }, ["EdDSA"]],
    ["EC on an unknown curve: nothing", ec("secp256k1"), []],
    ["OKP X25519 (key agreement): nothing", { kty: "OKP", crv: "X25519", x: "x" }, []],
    ["an EC key claiming an RSA curve name: nothing", { kty: "EC", crv: "RSA" }, []],
    ["oct (a symmetric key): nothing, never HMAC from a JWKS", { kty: "oct", k: "c2VjcmV0" }, []],
    ["oct with alg HS256: still nothing", { kty: "oct", k: "c2VjcmV0", alg: "HS256" }, []],
    ["a private RSA key (d): nothing", { ...RSA, d: "private" }, []],
    ["a private EC key (d): nothing", { ...ec("P-256"), d: "private" }, []],
    ["use: enc: nothing", { ...RSA, use: "enc" }, []],
    ["use: sig: allowed", { ...RSA, use: "sig" }, RSA_ALGS],
    ["explicit alg RS256: that one only", { ...RSA, alg: "RS256" }, ["RS256"]],
    ["explicit alg PS384: that one only", { ...RSA, alg: "PS384" }, ["PS384"]],
    ["explicit alg HS256 on an RSA key: nothing", { ...RSA, alg: "HS256" }, []],
    ["explicit alg none: nothing", { ...RSA, alg: "none" }, []],
    ["explicit alg RSA-OAEP (encryption): nothing", { ...RSA, alg: "RSA-OAEP" }, []],
    ["explicit alg ES256 on an RSA key: nothing", { ...RSA, alg: "ES256" }, []],
    ["explicit alg ES384 on a P-256 key: nothing", { ...ec("P-256"), alg: "ES384" }, []],
    ["explicit alg ES256 on a P-256 key: ES256", { ...ec("P-256"), alg: "ES256" }, ["ES256"]],
    ["a non-string alg: nothing", { ...RSA, alg: 256 } as unknown as JWK, []],
    ["kty EC with the Ed25519 curve: nothing", { kty: "EC", crv: "Ed25519", x: "x" }, []],
    ["kty OKP with a NIST curve: nothing", { kty: "OKP", crv: "P-256", x: "x" }, []],
    ['crv "constructor" (an inherited property name): nothing', ec("constructor"), []],
    ['crv "__proto__": nothing', { kty: "OKP", crv: "__proto__" }, []],
    ["an unknown kty: nothing", { kty: "XYZ" }, []],
    ["no kty: nothing", {}, []],
  ])("%s", (_name, jwk, want) => {
    expect(algorithmsFor(jwk, null)).toEqual(want);
  });

  it("narrows by the authorizer's algorithms, never widening", () => {
    expect(algorithmsFor(RSA, ["RS256", "ES256"])).toEqual(["RS256"]);
    expect(algorithmsFor(RSA, ["PS256", "PS512"])).toEqual(["PS256", "PS512"]);
    expect(algorithmsFor(ec("P-256"), ["RS256"])).toEqual([]);
    expect(algorithmsFor(RSA, ["HS256"])).toEqual([]);
    expect(algorithmsFor({ ...RSA, alg: "RS512" }, ["RS256"])).toEqual([]);
    expect(algorithmsFor(RSA, [])).toEqual([]);
  });
});

describe("keyFromJwk and keyFromSecret", () => {
  it("drops a JWK that may verify nothing, and keeps the kid of one that may", () => {
    expect(keyFromJwk({ kty: "oct", k: "c2VjcmV0", kid: "s" }, null)).toBeUndefined();
    expect(keyFromJwk({ ...RSA, kid: "r1" }, ["RS256"])).toMatchObject({ kid: "r1", algorithms: ["RS256"], secret: null });
    expect(keyFromJwk({ ...RSA, kid: 7 } as unknown as JWK, null)?.kid).toBeUndefined();
  });

  it("gives an HMAC secret the HS algorithms only, narrowed", () => {
    expect(keyFromSecret("s3cret", null).algorithms).toEqual(["HS256", "HS384", "HS512"]);
    expect(keyFromSecret("s3cret", ["HS256", "RS256"]).algorithms).toEqual(["HS256"]);
    expect(keyFromSecret("s3cret", ["RS256"]).algorithms).toEqual([]);
    expect(keyFromSecret("s3cret", null).jwk).toBeNull();
  });
});
