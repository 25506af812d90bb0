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

/** What the request contributes to whether its response may be stored. */
export interface StoreRule {
  /** The route's declared cache-key headers (lower-case): the only headers a stored response may vary on. */
  keyHeaders: readonly string[];
  /**
   * The request carried Authorization or Cookie on a route where the gateway does not put the caller in the key
   * (no authorizer, no API key): RFC 9111 §3.5 — stored only if the response says it may be shared.
   */
  credentialed: boolean;
}

/**
 * `Vary` names the gateway may ignore: the runtime hands the stage the body decoded, and serves an entry encoded
 * for each client, so Accept-Encoding never changes what is stored.
 */
const IGNORED_VARY = new Set(["accept-encoding"]);

/**
 * Whether a backend response may be stored: never a 206, with Set-Cookie, `private`/`no-store`/`no-cache`, with a
 * `Vary` naming anything outside the declared key (`*`, `Authorization`, `X-Forwarded-Scheme` …: the entry would be
 * served to requests the backend would have answered differently — web cache poisoning), or to a credentialed
 * request unless the response says `public`, `s-maxage` or `must-revalidate` (RFC 9111 §3.5).
 */
export function storable(res: Response, statuses: readonly string[], rule: StoreRule = { keyHeaders: [], credentialed: false }): boolean {
  // A 206 is one caller's byte range, and Range is not in the key: stored, it would answer everyone's full GET.
  if (res.status === 206) return false;
  const status = String(res.status);
  if (!statuses.some((s) => s === status || (s.endsWith("xx") && s[0] === status[0]))) return false;
  if (res.headers.has("set-cookie")) return false;
  const cc = res.headers.get("cache-control") ?? "";
  if (/(?:^|,)\s*(private|no-store|no-cache)\b/i.test(cc)) return false;
  const vary = res.headers.get("vary");
  if (vary)
    for (const part of vary.split(",")) {
      const name = part.trim().toLowerCase();
      if (name && !IGNORED_VARY.has(name) && !rule.keyHeaders.includes(name)) return false;
    }
  if (rule.credentialed && !/(?:^|,)\s*(public|s-maxage|must-revalidate)\b/i.test(cc)) return false;
  return true;
}
