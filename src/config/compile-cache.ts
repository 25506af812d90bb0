/** The compiler's cache section: stage cache settings and route cache overrides, with every default resolved. */
import type { BundleRouteCache, BundleStageCache } from "./bundle.ts";
import type { RouteCacheDefinition, StageCacheDefinition } from "./types.ts";

export const CACHE_DEFAULTS = { ttl: 300, maxEntryBytes: 1024 * 1024, cacheStatusHeader: "X-Cache" };

export function buildStageCache(c: StageCacheDefinition | undefined): BundleStageCache | null {
  if (!c) return null;
  return {
    enabled: c.enabled ?? true,
    ttl: c.ttl ?? CACHE_DEFAULTS.ttl,
    methods: c.methods ?? ["GET", "HEAD"],
    statuses: (c.statuses ?? ["2xx"]).map((s) => String(s).toLowerCase()),
    requireAuthorization: c.requireAuthorization ?? true,
    unauthorizedStrategy: c.unauthorizedStrategy ?? "SUCCEED_WITH_RESPONSE_HEADER",
    encryptionSecret: c.encryptionSecret ?? null,
    maxEntryBytes: c.maxEntryBytes ?? CACHE_DEFAULTS.maxEntryBytes,
  };
}

export function buildRouteCache(c: RouteCacheDefinition | undefined): BundleRouteCache | null {
  if (!c) return null;
  const keys = c.keys ?? [];
  return {
    enabled: c.enabled ?? null,
    ttl: c.ttl ?? null,
    keys: {
      query: keys.filter((k) => k.startsWith("query.")).map((k) => k.slice(6)).sort(),
      // Header names are case-insensitive: keyed lower-case, so `Accept` and `accept` are one parameter.
      headers: [...new Set(keys.filter((k) => k.startsWith("header.")).map((k) => k.slice(7).toLowerCase()))].sort(),
    },
    public: c.public ?? false,
  };
}
