/**
 * The JWT authorizer with a remote JWKS on the real local backend (`/jwks/<name>`, configured per test through
 * `/jwks-config/<name>`, fetches counted with `/__hits`): Cache-Control within bounds, bounded refetch on an
 * unknown kid with a negative cache, outages and slowness (cached keys keep working, unknown keys fail closed,
 * the wait is bounded), the verified-token memo, and `jku`/`x5u` never followed. Short cache bounds
 * (jwksMinCacheSeconds 0, jwksRefetchSeconds 1) keep the waits around a second.
 */
import { exportSPKI, type JWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import type { ApiDefinition, JwtAuthorizerDefinition } from "../../../src/config/types.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";
import { bearer, claims, now, sign, signingKey, AUDIENCE, ISSUER, type SigningKey } from "./jwt-tokens.ts";
import { echoTo, expectRefused, expectServed, hits, sleep, uid, UNAUTHORIZED } from "./support.ts";

interface JwksConfig {
  keys: JWK[];
  cacheControl?: string;
  delayMs?: number;
  down?: "500" | "reset" | false;
}

/** A fresh JWKS name on the backend (so this test's fetch count and the isolate's JWKS cache entry are its own). */
async function jwks(config: JwksConfig, name = `k-${uid()}`): Promise<{ name: string; url: string; set(c: JwksConfig): Promise<void>; fetches(): Promise<number> }> {
  const set = async (c: JwksConfig) => {
    const res = await fetch(`${backendUrl()}/jwks-config/${name}`, { method: "POST", body: JSON.stringify(c) });
    expect(res.status).toBe(204);
  };
  await set(config);
  return { name, url: `${backendUrl()}/jwks/${name}`, set, fetches: () => hits(`/jwks/${name}`) };
}

function api(path: string, authorizers: Record<string, Partial<JwtAuthorizerDefinition>>): ApiDefinition {
  const routes: ApiDefinition["routes"] = {};
  for (const name of Object.keys(authorizers)) routes[`GET /${name}`] = { authorizer: name, integration: echoTo(path) };
  return {
    name: `jwks-${uid()}`,
    stages: { prod: {} },
    authorizers: Object.fromEntries(
      Object.entries(authorizers).map(([name, a]) => [
        name,
        { type: "jwt", issuer: ISSUER, audience: AUDIENCE, jwksMinCacheSeconds: 0, jwksMaxCacheSeconds: 60, jwksRefetchSeconds: 1, ...a } as JwtAuthorizerDefinition,
      ]),
    ),
    routes,
  };
}

/** Longer than jwksRefetchSeconds (1 s). */
const PAST_REFETCH = 1100;

let a: SigningKey;
let b: SigningKey;
let attacker: SigningKey;
beforeAll(async () => {
  [a, b, attacker] = await Promise.all([signingKey("ES256", "key-a"), signingKey("RS256", "key-b"), signingKey("ES256", "attacker")]);
});

/** One gateway with one remote-JWKS authorizer `users` on GET /users. */
async function setup(config: JwksConfig, authorizer: Partial<JwtAuthorizerDefinition> = {}) {
  const keys = await jwks(config);
  const path = `jwks-${uid()}`;
  const gw = await gatewayFor(api(path, { users: { jwksUrl: keys.url, ...authorizer } }));
  const call = async (key: SigningKey, over: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
    gw.fetch("/prod/users", bearer(await sign(key, claims(over), header)));
  return { keys, backend: `/echo/${path}`, gw, call };
}

describe("remote JWKS", () => {
  it("fetches the JWKS once for many tokens while it is fresh", async () => {
    const { keys, backend, call } = await setup({ keys: [a.jwk, b.jwk], cacheControl: "max-age=30" });
    await expectServed(() => call(a), backend);
    await expectServed(() => call(b), backend);
    await expectServed(() => call(a), backend);
    expect(await keys.fetches()).toBe(1);
  });

  it("refetches on an unknown kid at most once per jwksRefetchSeconds, remembers it as unknown, then learns a new key", async () => {
    const { keys, backend, call } = await setup({ keys: [a.jwk], cacheControl: "max-age=30" });
    await expectServed(() => call(a), backend);
    // Within the refetch window an unknown kid fetches nothing.
    await expectRefused(() => call(b), backend, UNAUTHORIZED);
    expect(await keys.fetches()).toBe(1);
    await sleep(PAST_REFETCH);
    await expectRefused(() => call(b), backend, UNAUTHORIZED);
    expect(await keys.fetches()).toBe(2);
    // The same unknown kid again, and another one, inside the window: no fetch (negative cache, one fetch per window).
    await expectRefused(() => call(b), backend, UNAUTHORIZED);
    await expectRefused(() => call(attacker), backend, UNAUTHORIZED);
    await expectRefused(() => call(a, {}, { kid: "k".repeat(200) }), backend, UNAUTHORIZED);
    expect(await keys.fetches()).toBe(2);
    // The issuer rotates key-b in: after the window the kid is asked about again and found.
    await keys.set({ keys: [a.jwk, b.jwk], cacheControl: "max-age=30" });
    await sleep(PAST_REFETCH);
    await expectServed(() => call(b), backend);
    expect(await keys.fetches()).toBe(3);
  }, 10_000);

  it("lets Cache-Control max-age decide when to refetch, within jwksMinCacheSeconds", async () => {
    const [zero, five, floored] = await Promise.all([
      jwks({ keys: [a.jwk], cacheControl: "max-age=0" }),
      jwks({ keys: [a.jwk], cacheControl: "public, max-age=5" }),
      jwks({ keys: [a.jwk], cacheControl: "max-age=0" }),
    ]);
    const path = `jwks-${uid()}`;
    const gw = await gatewayFor(api(path, { zero: { jwksUrl: zero.url }, five: { jwksUrl: five.url }, floored: { jwksUrl: floored.url, jwksMinCacheSeconds: 5 } }));
    const call = async (route: string) => gw.fetch(`/prod/${route}`, bearer(await sign(a, claims())));
    for (const route of ["zero", "five", "floored"]) await expectServed(() => call(route), `/echo/${path}`);
    await sleep(PAST_REFETCH);
    for (const route of ["zero", "five", "floored"]) await expectServed(() => call(route), `/echo/${path}`);
    expect([await zero.fetches(), await five.fetches(), await floored.fetches()]).toEqual([2, 1, 1]);
  }, 10_000);

  it("keeps each authorizer's algorithms when several share one JWKS URL", async () => {
    // An RSA key without `alg`: the key type alone allows RS256 … PS512.
    const { alg: _alg, ...rsaAnyAlg } = b.jwk;
    const rsa = { ...b, jwk: rsaAnyAlg };
    for (const first of ["wide", "narrow"]) {
      const keys = await jwks({ keys: [rsaAnyAlg], cacheControl: "max-age=30" });
      const path = `jwks-${uid()}`;
      const gw = await gatewayFor(api(path, { wide: { jwksUrl: keys.url }, narrow: { jwksUrl: keys.url, algorithms: ["PS256"] } }));
      const call = async (route: string) => gw.fetch(`/prod/${route}`, bearer(await sign(rsa, claims())));
      // Whichever authorizer fills the shared cache first, the other keeps its own allowlist.
      if (first === "wide") await expectServed(() => call("wide"), `/echo/${path}`);
      await expectRefused(() => call("narrow"), `/echo/${path}`, UNAUTHORIZED);
      await expectServed(() => call("wide"), `/echo/${path}`);
      expect(await keys.fetches()).toBe(1);
    }
  });

  it("never verifies HMAC with a fetched public key (HS256 keyed with its PEM or JWK)", async () => {
    const { keys, backend, call, gw } = await setup({ keys: [b.jwk], cacheControl: "max-age=30" });
    await expectServed(() => call(b), backend);
    for (const secret of [await exportSPKI(b.publicKey), JSON.stringify(b.jwk), b.jwk.n!]) {
      const forged = await sign({ alg: "HS256", kid: b.kid, secret: new TextEncoder().encode(secret) }, claims());
      await expectRefused(() => gw.fetch("/prod/users", bearer(forged)), backend, UNAUTHORIZED);
    }
    expect(await keys.fetches()).toBe(1);
  });

  it("never follows jku or x5u: an attacker's key URL is not fetched and the token is refused", async () => {
    const { backend, call } = await setup({ keys: [a.jwk] });
    const id = uid();
    const jku = `/jku-${id}/jwks.json`;
    const x5u = `/x5u-${id}/cert.pem`;
    const header = { jku: backendUrl() + jku, x5u: backendUrl() + x5u };
    await expectRefused(() => call(attacker, {}, header), backend, UNAUTHORIZED);
    await expectRefused(() => call(attacker, {}, { ...header, kid: "key-a" }), backend, UNAUTHORIZED);
    // A legitimately signed token carrying the headers is judged by the configured keys alone.
    await expectServed(() => call(a, {}, header), backend);
    expect([await hits(jku), await hits(x5u)]).toEqual([0, 0]);
  });
});

describe("JWKS endpoint outages", () => {
  for (const down of ["500", "reset"] as const) {
    it(`keeps cached keys working and fails unknown keys closed when the endpoint is down (${down})`, async () => {
      const { keys, backend, call } = await setup({ keys: [a.jwk], cacheControl: "max-age=0" });
      await expectServed(() => call(a), backend);
      await keys.set({ keys: [a.jwk, b.jwk], down });
      await sleep(PAST_REFETCH);
      await expectServed(() => call(a), backend);
      expect(await keys.fetches()).toBe(2); // the refetch was tried, and failed
      await expectRefused(() => call(b), backend, UNAUTHORIZED);
      expect(await keys.fetches()).toBe(2);
    }, 10_000);
  }

  it("bounds the wait on a slow endpoint by jwksTimeoutMs: cached keys work, an empty cache fails closed", async () => {
    const { keys, backend, call } = await setup({ keys: [a.jwk], cacheControl: "max-age=0" }, { jwksTimeoutMs: 200 });
    await expectServed(() => call(a), backend);
    await keys.set({ keys: [a.jwk], delayMs: 3000 });
    await sleep(PAST_REFETCH);
    let started = Date.now();
    await expectServed(() => call(a), backend);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await keys.fetches()).toBe(2);

    const cold = await setup({ keys: [a.jwk], delayMs: 3000 }, { jwksTimeoutMs: 200 });
    started = Date.now();
    await expectRefused(() => cold.call(a), cold.backend, UNAUTHORIZED);
    expect(Date.now() - started).toBeLessThan(1500);
  }, 10_000);
});

describe("the verified-token memo", () => {
  it("verifies a token once: it keeps passing after its key is gone, until its exp, while fresh tokens fail", async () => {
    const { keys, backend, call, gw } = await setup({ keys: [a.jwk], cacheControl: "max-age=0" }, { clockSkewSeconds: 0 });
    const exp = now() + 3;
    const token = await sign(a, claims({ exp }));
    await expectServed(() => gw.fetch("/prod/users", bearer(token)), backend);
    // The issuer withdraws key-a; the cached JWKS expires and is refetched on the next verification.
    await keys.set({ keys: [b.jwk], cacheControl: "max-age=0" });
    await sleep(PAST_REFETCH);
    await expectServed(() => gw.fetch("/prod/users", bearer(token)), backend);
    expect(await keys.fetches()).toBe(1); // memoised: no verification, so no JWKS fetch
    await expectRefused(() => call(a, { exp }), backend, UNAUTHORIZED);
    const refetched = Date.now();
    expect(await keys.fetches()).toBe(2);
    // Past its exp the memo no longer vouches for it — even with its key back (and the refetch window over, so
    // the key is found again), it is refused for being expired.
    await keys.set({ keys: [a.jwk], cacheControl: "max-age=0" });
    await sleep(Math.max(exp * 1000 + 50, refetched + PAST_REFETCH) - Date.now());
    await expectRefused(() => gw.fetch("/prod/users", bearer(token)), backend, { status: 401, body: '{"message":"The incoming token has expired"}' });
  }, 10_000);
});
