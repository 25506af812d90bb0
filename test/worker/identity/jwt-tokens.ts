/**
 * Token making for the JWT suites: real keys (jose, WebCrypto inside workerd), tokens signed over exactly the
 * header and payload a test chooses (CompactSign, so claims a careful library would refuse to build — `exp:
 * "tomorrow"` — can still be sent), and hand-built tokens a signer would not produce at all (`alg: none`).
 */
import { CompactSign, exportJWK, generateKeyPair, type CryptoKey, type JWK } from "jose";

export const ISSUER = "https://issuer.test/";
export const AUDIENCE = "petstore";

export interface SigningKey {
  alg: string;
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The public JWK as a JWKS lists it (kid, alg, use). */
  jwk: JWK;
}

export async function signingKey(alg: "ES256" | "RS256" | "EdDSA", kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  return { alg, kid, privateKey, publicKey, jwk };
}

export const now = () => Math.floor(Date.now() / 1000);

/** Valid claims for ISSUER/AUDIENCE, five minutes to live, unique per call (jti) so the memo never interferes. */
export function claims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = { iss: ISSUER, aud: AUDIENCE, sub: "alice", iat: now(), exp: now() + 300, jti: crypto.randomUUID() };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete base[k];
    else base[k] = v;
  }
  return base;
}

/** Signs exactly `payload` under `header` (alg and kid from the key unless the header says otherwise). */
export function sign(key: SigningKey | { alg: string; kid?: string; secret: Uint8Array }, payload: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const material = "secret" in key ? key.secret : key.privateKey;
  const protectedHeader = { alg: key.alg, ...(key.kid !== undefined ? { kid: key.kid } : {}), typ: "JWT", ...header } as { alg: string };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(protectedHeader).sign(material);
}

export const b64url = (text: string) => btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** An unsigned token: `alg: none` with an empty signature, as the classic bypass sends it. */
export const unsigned = (payload: Record<string, unknown>, header: Record<string, unknown>) =>
  `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.`;

export const bearer = (token: string): RequestInit => ({ headers: { authorization: `Bearer ${token}` } });
