/**
 * Cache keys, pure. What forms a key (documented in docs/caching.md):
 * - always: API, stage, the cache namespace (the stable version's id, or the canary's own when it does not share
 *   the stage cache), the stage's flush generation, the method (HEAD shares GET's entries) and the full
 *   normalised path — so `/pets/1` and `/pets/2` never share an entry (Amazon needs path parameters declared
 *   as cache keys for that; Portico does not let them be forgotten);
 * - the declared cache-key parameters: query strings (every value, form-decoded) and headers (case-insensitive);
 * - behind an authorizer or API key, the caller's identity, unless the route is marked public.
 * The parts are JSON-encoded (unambiguous, whatever the values hold) and hashed with SHA-256.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

export interface CacheKeyFacts {
  api: string;
  stage: string;
  namespace: string;
  generation: number;
  method: string;
  path: string;
  query: [string, string[]][];
  headers: [string, string][];
  identity: string | null;
}

export function cacheKeyText(f: CacheKeyFacts): string {
  return JSON.stringify(["v1", f.api, f.stage, f.namespace, f.generation, f.method === "HEAD" ? "GET" : f.method, f.path, f.query, f.headers, f.identity]);
}

/**
 * SHA-256 of a key text, synchronously (a WebCrypto digest per request costs more than the whole lookup). Only the
 * tiers behind memory need it: the memory tier is keyed by the text itself.
 */
export function hashKeyText(text: string): string {
  return bytesToHex(sha256(new TextEncoder().encode(text)));
}

/** The declared query parameters' values (sorted, so order in the URL does not matter). */
export function queryParts(search: URLSearchParams, names: readonly string[]): [string, string[]][] {
  return names.map((name) => [name, search.getAll(name).sort()]);
}

/** The declared headers' values (names lower-case). */
export function headerParts(headers: Headers, names: readonly string[]): [string, string][] {
  return names.map((name) => [name, headers.get(name) ?? ""]);
}

/** Whether a client's Cache-Control asks for a fresh response (Amazon's `max-age=0` invalidation). */
export function wantsRefresh(cacheControl: string | null): boolean {
  return !!cacheControl && /(?:^|,)\s*max-age\s*=\s*0\s*(?:,|$)/i.test(cacheControl);
}

/**
 * Whether a backend response may be stored: never a 206, with Set-Cookie, `private`/`no-store`/`no-cache`, or Vary
 * on credentials.
 */
export function storable(res: Response, statuses: readonly string[]): boolean {
  // A 206 is one caller's byte range, and Range is not in the key: stored, it would answer everyone's full GET.
  if (res.status === 206) return false;
  const status = String(res.status);
  if (!statuses.some((s) => s === status || (s.endsWith("xx") && s[0] === status[0]))) return false;
  if (res.headers.has("set-cookie")) return false;
  const cc = res.headers.get("cache-control") ?? "";
  if (/(?:^|,)\s*(private|no-store|no-cache)\b/i.test(cc)) return false;
  const vary = (res.headers.get("vary") ?? "").toLowerCase();
  if (/(^|,)\s*(\*|authorization|cookie|x-api-key)\s*(,|$)/.test(vary)) return false;
  return true;
}
