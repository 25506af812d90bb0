/**
 * Cache: the stage response cache, after authorization (so a lookup never precedes the checks that decide who
 * may see a response). On the way in: a fresh entry for this request's key answers (HIT, with Age). On the way
 * out: a storable response is kept (MISS) while it streams to the client. Rules that keep one caller's data from
 * another, and one client's reflected headers from the next (Vary outside the key, credentials without an
 * authorizer), are in cache/key.ts; the tiers are in cache/store.ts.
 *
 * `Cache-Control: max-age=0` from a caller refreshes the entry only when the caller may invalidate — a JWT with
 * the `cache:invalidate` scope, a custom authorizer context `cacheInvalidate: true`, or the
 * CACHE_INVALIDATE_SECRET value in `x-portico-cache-invalidate` — unless the stage turns requireAuthorization off.
 * Otherwise the stage's unauthorizedStrategy applies: 403, or the cached response (with or without a header).
 */
import type { BundleRoute } from "../../config/bundle.ts";
import type { BundleIntegration } from "../../config/bundle-integrations.ts";
import type { CacheEntry } from "../../cache/entry.ts";
import { cacheKeyText, hashKeyText, headerParts, queryParts, storable, wantsRefresh } from "../../cache/key.ts";
import { EntryKey, MEMORY_MAX_ENTRY_BYTES, memoryMillis } from "../../cache/store.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import type { GatewayContext, StepFactory } from "../../pipeline/step.ts";
import { constantTimeEqual } from "../../security/constant-time.ts";
import { readAtMost } from "../../util/read-bounded.ts";

export const INVALIDATE_HEADER = "x-portico-cache-invalidate";
export const INVALIDATION_REFUSED_HEADER = "x-portico-cache-invalidation";
/** Headers that belong to one response, not to the entry (the respond step adds fresh ones). */
const NOT_STORED = new Set(["set-cookie", "date", "age", "x-amzn-requestid", "x-portico-version", "connection", "keep-alive", "transfer-encoding"]);

function mayInvalidate(ctx: GatewayContext): boolean {
  if (ctx.identity?.scopes.includes("cache:invalidate")) return true;
  if (ctx.identity?.context.cacheInvalidate === true || ctx.identity?.context.cacheInvalidate === "true") return true;
  const secret = ctx.env.CACHE_INVALIDATE_SECRET;
  const given = ctx.request.headers.get(INVALIDATE_HEADER);
  return !!secret && !!given && constantTimeEqual(secret, given);
}

/** Who the entry belongs to, behind an authorizer or API key; null when shared; undefined when unknowable (bypass). */
export function identityPart(ctx: RequestContext, route = ctx.route!.spec): string | null | undefined {
  if (route.cache?.public || (!route.authorizer && !route.apiKeyRequired)) return null;
  const parts: string[] = [];
  if (route.authorizer) {
    if (!ctx.identity?.principalId) return undefined;
    parts.push(`${ctx.identity.type}:${ctx.identity.principalId}`);
  }
  if (route.apiKeyRequired) {
    if (!ctx.apiKeyId) return undefined;
    parts.push(`key:${ctx.apiKeyId}`);
  }
  return parts.join("|");
}

/** A route that declares no cache-key parameters. */
const NO_KEYS: { query: readonly string[]; headers: readonly string[] } = { query: [], headers: [] };

/** Records the cache status for metrics and, unless the API turned it off, in the status header. */
function mark(ctx: GatewayContext, value: "HIT" | "MISS" | "BYPASS"): void {
  ctx.cacheStatus = value;
  const statusHeader = ctx.bundle!.bundle.settings.cacheStatusHeader;
  if (statusHeader) ctx.responseHeaders.push([statusHeader, value]);
  // The explain record's entry holds the key's hash and TTL already (set where they are known); this is the answer.
  if (ctx.explain?.cache) ctx.explain.cache.status = value;
}

/**
 * A hit's response. With the entry's headers built once (`headers`: the memory tier's copy) the runtime copies
 * them natively; only without one (memory tier off) are they built from the stored list.
 */
function fromEntry(ctx: GatewayContext, entry: CacheEntry, headers: Headers | undefined, now: number): Response {
  const res = new Response(ctx.request.method === "HEAD" ? null : entry.body, { status: entry.status, headers: headers ?? entry.headers });
  res.headers.set("age", String(Math.max(0, Math.floor((now - entry.storedAt) / 1000))));
  return res;
}

/** The entry's key text for this request on `route` (shadow evaluation computes a candidate's with it). */
export function keyText(ctx: RequestContext, route: BundleRoute, identity: string | null): string {
  const keys = route.cache?.keys ?? NO_KEYS;
  return cacheKeyText({
    api: ctx.api,
    stage: ctx.stage,
    namespace: ctx.cacheNamespace,
    generation: ctx.cacheGeneration,
    method: ctx.request.method,
    path: ctx.path,
    // Only routes that declare keys read them (the URL's searchParams is an object made on first use).
    query: keys.query.length ? queryParts(ctx.url.searchParams, keys.query) : [],
    headers: keys.headers.length ? headerParts(ctx.request.headers, keys.headers) : [],
    identity,
  });
}

export const cache: StepFactory = () =>
  async function cache(ctx, next) {
    const route = ctx.route;
    const settings = ctx.bundle!.bundle.stages[ctx.stage]?.cache;
    // A streamed response is never cached (Amazon's rule for responseTransferMode STREAM): nothing buffers it.
    if (!route || !settings?.enabled || route.spec.cache?.enabled === false || !settings.methods.includes(ctx.request.method) || streams(route.spec.integration)) return next();
    const ttl = route.spec.cache?.ttl ?? settings.ttl;
    const identity = identityPart(ctx);
    if (ttl === 0 || identity === undefined) {
      if (ctx.explain) ctx.explain.cache = { keyHash: "", status: "BYPASS", ttl };
      mark(ctx, "BYPASS");
      return next();
    }

    let refresh = false;
    if (wantsRefresh(ctx.request.headers.get("cache-control"))) {
      if (!settings.requireAuthorization || mayInvalidate(ctx)) refresh = true;
      else if (settings.unauthorizedStrategy === "FAIL_WITH_403")
        throw new GatewayError("ACCESS_DENIED", { message: "Forbidden", detail: "cache invalidation not authorized" });
      else if (settings.unauthorizedStrategy === "SUCCEED_WITH_RESPONSE_HEADER") ctx.responseHeaders.push([INVALIDATION_REFUSED_HEADER, "refused: not authorized"]);
    }

    const keys = route.spec.cache?.keys ?? NO_KEYS;
    const text = keyText(ctx, route.spec, identity);
    // Hashed: the key holds the caller's identity and the query and header values it names. Only with a record.
    if (ctx.explain) ctx.explain.cache = { keyHash: hashKeyText(text).slice(0, 16), status: "MISS", ttl };
    const secretName = settings.encryptionSecret;
    const secret = secretName ? ctx.env[secretName] : null;
    if (secretName && (typeof secret !== "string" || !secret))
      throw new GatewayError("API_CONFIGURATION_ERROR", { detail: `cache encryption secret ${secretName} is not set` });
    const tiers = ctx.state.cache;
    const aes = typeof secret === "string" ? await tiers.encryptionKey(secret) : null;

    const memoryMs = memoryMillis(ctx.env);
    if (!refresh && memoryMs > 0) {
      // The memory tier answers synchronously: no promise, no timer, no hash.
      const now = Date.now();
      const held = tiers.recall(text, aes, now);
      if (held) {
        mark(ctx, "HIT");
        return fromEntry(ctx, held.entry, held.headers, now);
      }
    }
    const key = new EntryKey(text, ctx.api, ctx.stage);
    // This request's claim to fill the key for the others of its isolate (a GET that missed, memory tier on).
    let claim: object | null = null;
    if (!refresh) {
      const found = await tiers.lookup(ctx.env, key, aes, ctx.exec, memoryMs);
      if (found) {
        mark(ctx, "HIT");
        return fromEntry(ctx, found.entry, found.headers, Date.now());
      }
      if (memoryMs > 0) {
        const fill = tiers.claimFill(text, Date.now(), ctx.request.method === "GET");
        if (fill.busy) {
          // Another request of this isolate is calling the backend for this key: its entry, once stored.
          const filled = await tiers.awaitFill(text, aes);
          if (filled) {
            mark(ctx, "HIT");
            return fromEntry(ctx, filled.entry, filled.headers, Date.now());
          }
        } else claim = fill.token;
      }
    }
    const release = () => {
      if (claim) tiers.releaseFill(text, claim);
    };

    let res: Response;
    try {
      res = await next();
    } catch (err) {
      release();
      throw err;
    }
    mark(ctx, "MISS");
    const declared = Number(res.headers.get("content-length") ?? "-1");
    // Credentials the gateway did not check, on a route where no authorizer or API key puts the caller in the
    // key: the backend may have answered for that caller alone (RFC 9111 §3.5).
    const credentialed = !route.spec.authorizer && !route.spec.apiKeyRequired && (ctx.request.headers.has("authorization") || ctx.request.headers.has("cookie"));
    const rule = { keyHeaders: keys.headers, credentialed };
    if (ctx.request.method !== "GET" || !storable(res, settings.statuses, rule) || declared > settings.maxEntryBytes || !res.body) {
      release();
      return res;
    }
    // Too large for the memory tier: waiters would find nothing there, so they go on now.
    if (declared > MEMORY_MAX_ENTRY_BYTES) release();
    const [toClient, toCache] = res.body.tee();
    const headers = [...res.headers].filter(([name]) => !NOT_STORED.has(name) && !ctx.responseHeaders.some(([n]) => n === name));
    ctx.exec.waitUntil(
      readAtMost(toCache, settings.maxEntryBytes).then((body) => {
        // store() puts the entry in memory before its first await: waiters find it there once the key is released.
        const stored = body ? tiers.store(ctx.env, key, { status: res.status, headers, storedAt: Date.now(), ttl, body }, aes, memoryMs, refresh) : undefined;
        release();
        return stored;
      }, release),
    );
    return new Response(toClient, res);
  };

function streams(integration: BundleIntegration): boolean {
  return "responseTransferMode" in integration && integration.responseTransferMode === "STREAM";
}
