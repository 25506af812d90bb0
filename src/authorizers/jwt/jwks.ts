/**
 * Verification keys for the JWT authorizer, with the algorithms each key may verify. The allowlist comes from
 * the key, never from the token: an RSA key verifies RS/PS algorithms only, an EC key the ES algorithm of its
 * curve, an Ed25519 key EdDSA, and an HMAC secret HS algorithms only — so `alg: none` and "HS256 signed with the
 * RSA public key" have nothing to verify against.
 *
 * Remote JWKS are cached per app (a JwksMemo in its AppState, src/pipeline/app-state.ts) per URL for their Cache-Control max-age within configured bounds. An unknown
 * `kid` refetches at most once per `jwksRefetchSeconds` (single flight), then is remembered as unknown for that
 * long (negative cache). A JWKS endpoint that is down or slow (bounded wait) leaves cached keys working — but only
 * until they are `jwksMaxCacheSeconds` old (counted from the fetch that brought them): then they stop verifying
 * (401, counted as fail-closed), so a revoked key cannot outlive an outage. Keys never seen fail closed. The body
 * read is bounded (MAX_JWKS_BYTES). `jku` and `x5u` token headers are never followed: keys come only from
 * configuration.
 */
import { importJWK, type CryptoKey, type JWK } from "jose";
import type { BundleJwtAuthorizer } from "../../config/bundle.ts";
import { awaitShared } from "../../util/await-shared.ts";
import { readAtMost } from "../../util/read-bounded.ts";

/** Far above any real key set (a few KB); a larger answer is a failed fetch. */
export const MAX_JWKS_BYTES = 512 * 1024;

export interface VerificationKey {
  kid: string | undefined;
  algorithms: string[];
  /** CryptoKey per algorithm, imported on first use (the key itself, never a promise another request could own). */
  imported: Map<string, CryptoKey | Uint8Array>;
  jwk: JWK | null;
  secret: Uint8Array | null;
}

const RSA_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
// Curves by key type: an EC key names a NIST curve, an OKP key Ed25519 — a JWK that mixes them verifies nothing.
const CURVES: Record<string, Record<string, string>> = {
  EC: { "P-256": "ES256", "P-384": "ES384", "P-521": "ES512" },
  OKP: { Ed25519: "EdDSA" },
};

/** What the key type (and curve) allows. Own properties only: `crv: "constructor"` must not find Object's. */
function algorithmsOfType(jwk: JWK): string[] {
  if (jwk.kty === "RSA") return RSA_ALGORITHMS;
  const curves = jwk.kty === "EC" || jwk.kty === "OKP" ? CURVES[jwk.kty]! : {};
  return typeof jwk.crv === "string" && Object.hasOwn(curves, jwk.crv) ? [curves[jwk.crv]!] : [];
}

/**
 * The algorithms a JWK may verify, narrowed by the authorizer's `algorithms`. Private and symmetric JWKs get none.
 * An explicit `alg` narrows what the key type allows (it cannot widen it: `alg: ES256` on an RSA key is nothing).
 */
export function algorithmsFor(jwk: JWK, narrow: string[] | null): string[] {
  if (jwk.d !== undefined || jwk.kty === "oct") return [];
  if (jwk.use !== undefined && jwk.use !== "sig") return [];
  let algs = algorithmsOfType(jwk);
  if (jwk.alg !== undefined) algs = algs.filter((a) => a === jwk.alg);
  return narrow ? algs.filter((a) => narrow.includes(a)) : algs;
}

export function keyFromJwk(jwk: JWK, narrow: string[] | null): VerificationKey | undefined {
  const algorithms = algorithmsFor(jwk, narrow);
  if (!algorithms.length) return undefined;
  return { kid: typeof jwk.kid === "string" ? jwk.kid : undefined, algorithms, imported: new Map(), jwk, secret: null };
}

export function keyFromSecret(secret: string, narrow: string[] | null): VerificationKey {
  const algorithms = (narrow ?? ["HS256", "HS384", "HS512"]).filter((a) => a.startsWith("HS"));
  return { kid: undefined, algorithms, imported: new Map(), jwk: null, secret: new TextEncoder().encode(secret) };
}

/** The key material for one algorithm. */
export async function materialFor(key: VerificationKey, alg: string): Promise<CryptoKey | Uint8Array> {
  let material = key.imported.get(alg);
  if (!material) {
    material = key.secret ?? ((await importJWK(key.jwk!, alg)) as CryptoKey);
    key.imported.set(alg, material);
  }
  return material;
}

interface JwksEntry {
  keys: VerificationKey[];
  /** When the keys were fetched (0: never): they verify until fetchedAt + jwksMaxCacheSeconds, endpoint up or not. */
  fetchedAt: number;
  expiresAt: number;
  lastAttempt: number;
  pending: Promise<void> | undefined;
  unknownKids: Map<string, number>;
}

/** One app's remote key sets by URL (never module-level: each app fetches and trusts its own). */
export type JwksMemo = Map<string, JwksEntry>;

function maxAge(cacheControl: string | null): number | undefined {
  const m = /(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*(\d+)/i.exec(cacheControl ?? "");
  return m ? Number(m[1]) : undefined;
}

async function refresh(spec: BundleJwtAuthorizer, entry: JwksEntry, now: number): Promise<void> {
  entry.lastAttempt = now;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), spec.jwksTimeoutMs);
  try {
    const res = await fetch(spec.jwksUrl!, { signal: controller.signal, headers: { accept: "application/json" }, redirect: "manual" });
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw new Error(`JWKS endpoint answered ${res.status}`);
    }
    const bytes = await readAtMost(res.body, MAX_JWKS_BYTES);
    if (!bytes) throw new Error(`JWKS is over ${MAX_JWKS_BYTES} bytes, or broke off`);
    const body = JSON.parse(new TextDecoder().decode(bytes)) as { keys?: unknown } | null;
    if (!body || typeof body !== "object") throw new Error("JWKS is not a JSON object");
    if (!Array.isArray(body.keys)) throw new Error("JWKS has no keys array");
    // Not narrowed here: the cache is shared by every authorizer with this URL, each with its own `algorithms`.
    const keys = body.keys.flatMap((k) => (k && typeof k === "object" ? [keyFromJwk(k as JWK, null)].filter((x) => x !== undefined) : []));
    const seconds = Math.min(spec.jwksMaxCacheSeconds, Math.max(spec.jwksMinCacheSeconds, maxAge(res.headers.get("cache-control")) ?? 300));
    entry.keys = keys;
    entry.fetchedAt = Date.now();
    entry.expiresAt = entry.fetchedAt + seconds * 1000;
    entry.unknownKids.clear();
  } catch (err) {
    // Cached keys keep working; the failure is logged, never shown to the caller.
    console.error(JSON.stringify({ level: "warn", event: "jwks-fetch-failed", url: new URL(spec.jwksUrl!).origin, reason: (err as Error).message }));
  } finally {
    clearTimeout(timer);
  }
}

/** One refresh per JWKS at a time: the request that starts it awaits it; others wait on their own timer. */
async function refreshOnce(spec: BundleJwtAuthorizer, entry: JwksEntry, now: number): Promise<void> {
  if (entry.pending) {
    await awaitShared(entry.pending, spec.jwksTimeoutMs + 100);
    return;
  }
  const own = refresh(spec, entry, now);
  entry.pending = own;
  try {
    await own;
  } finally {
    if (entry.pending === own) entry.pending = undefined;
  }
}

function pick(keys: VerificationKey[], kid: string | undefined, alg: string): VerificationKey | undefined {
  const usable = keys.filter((k) => k.algorithms.includes(alg));
  if (kid !== undefined) return usable.find((k) => k.kid === kid);
  return usable.length === 1 ? usable[0] : undefined;
}

/**
 * A remote key lookup: the key (undefined: fail closed), until when it may be trusted (a verified token is not
 * remembered past it), and whether keys were there but too old to use.
 */
export interface RemoteKey {
  key: VerificationKey | undefined;
  until: number;
  stale: boolean;
}

/** The key to verify a token with `kid`/`alg` from a remote JWKS, through the app's memo `remote`. */
export async function remoteKey(remote: JwksMemo, spec: BundleJwtAuthorizer, kid: string | undefined, alg: string): Promise<RemoteKey> {
  // This authorizer's allowlist, applied per authorizer (cached keys allow whatever their type allows).
  if (spec.algorithms && !spec.algorithms.includes(alg)) return { key: undefined, until: 0, stale: false };
  const url = spec.jwksUrl!;
  const now = Date.now();
  let entry = remote.get(url);
  if (!entry) remote.set(url, (entry = { keys: [], fetchedAt: 0, expiresAt: 0, lastAttempt: 0, pending: undefined, unknownKids: new Map() }));
  const due = now - entry.lastAttempt >= spec.jwksRefetchSeconds * 1000;
  if (now >= entry.expiresAt && (due || entry.lastAttempt === 0)) await refreshOnce(spec, entry, now);
  else if (entry.pending) await awaitShared(entry.pending, spec.jwksTimeoutMs + 100);

  // Per authorizer: authorizers sharing a URL share the keys, each with its own maximum age.
  const until = entry.fetchedAt + spec.jwksMaxCacheSeconds * 1000;
  if (entry.fetchedAt > 0 && Date.now() >= until) return { key: undefined, until, stale: true };
  const found = pick(entry.keys, kid, alg);
  if (found || kid === undefined) return { key: found, until, stale: false };
  if ((entry.unknownKids.get(kid) ?? 0) > now) return { key: undefined, until, stale: false };
  if (Date.now() - entry.lastAttempt >= spec.jwksRefetchSeconds * 1000) {
    await refreshOnce(spec, entry, Date.now());
    const again = pick(entry.keys, kid, alg);
    if (again) return { key: again, until: entry.fetchedAt + spec.jwksMaxCacheSeconds * 1000, stale: false };
  }
  if (entry.unknownKids.size > 1000) entry.unknownKids.clear();
  entry.unknownKids.set(kid, Date.now() + spec.jwksRefetchSeconds * 1000);
  return { key: undefined, until, stale: false };
}
