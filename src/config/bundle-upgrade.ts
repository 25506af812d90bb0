/**
 * Reading bundles written by older releases: `upgradeBundle` fills the fields added since, with the values that mean
 * "not used" (docs/deployments.md). BUNDLE_FORMAT changes only when an existing field changes meaning.
 */
import type { BundleIntegration } from "./bundle-integrations.ts";
import {
  JSON_LIMIT_DEFAULTS,
  type Bundle,
  type BundleAuthorizer,
  type BundleCustomAuthorizer,
  type BundleJwtAuthorizer,
  type BundleRoute,
  type BundleSettings,
  type BundleSigV4Authorizer,
  type BundleStage,
} from "./bundle.ts";

/**
 * A stored bundle as this version of Portico reads it. Bundles are immutable and outlive releases: fields added
 * since a bundle was written are filled with the defaults that mean "not used", so an older bundle keeps serving
 * exactly as it did. (Its id still hashes its stored text; this only shapes the parsed copy.)
 */
export function upgradeBundle(stored: Bundle): Bundle {
  const b = stored as Partial<Bundle> & Pick<Bundle, "routes" | "stages" | "settings">;
  return {
    ...(b as Bundle),
    settings: {
      versionHeader: "x-portico-version",
      apiKeySource: "HEADER",
      rateLimitHeaders: "draft",
      cacheStatusHeader: "X-Cache",
      // Request hygiene, not behaviour anyone relies on: older bundles get today's bounds.
      jsonLimits: JSON_LIMIT_DEFAULTS,
      ...(b.settings as Partial<BundleSettings>),
    } as BundleSettings,
    stages: Object.fromEntries(
      Object.entries(b.stages).map(([name, s]) => [
        name,
        // Written before observability: no access log, and no part in traces (the client's headers pass as they did).
        { throttle: null, cache: null, accessLog: null, tracing: { enabled: false, serverTiming: false }, ...(s as Partial<BundleStage>) } as BundleStage,
      ]),
    ),
    authorizers: Object.fromEntries(Object.entries(b.authorizers ?? {}).map(([name, a]) => [name, upgradeAuthorizer(a)])),
    resourcePolicy: b.resourcePolicy ?? null,
    usagePlans: b.usagePlans ?? {},
    routes: b.routes.map((r) => {
      const route = {
        authorizer: null,
        apiKeyRequired: false,
        resourcePolicy: null,
        throttle: null,
        cache: null,
        forwardInternalHeaders: [],
        ...(r as Partial<BundleRoute>),
      } as BundleRoute;
      // Bundles written before mapping existed map nothing.
      return { ...route, integration: { ...route.integration, mapping: (route.integration as Partial<BundleIntegration>).mapping ?? null } as BundleIntegration };
    }),
  };
}

/**
 * Authorizers written before a field existed keep their meaning: a JWT authorizer with no audience accepted any
 * (now the explicit waiver), tokens had no lifetime bound, and SigV4 forwarded every header. Republishing the
 * definition applies today's rules (docs/deployments.md).
 */
function upgradeAuthorizer(stored: BundleAuthorizer): BundleAuthorizer {
  if (stored.type === "jwt") {
    const a = stored as Partial<BundleJwtAuthorizer> & Pick<BundleJwtAuthorizer, "audience">;
    return { ...stored, allowAnyAudience: a.allowAnyAudience ?? a.audience.length === 0, maxTokenLifetimeSeconds: a.maxTokenLifetimeSeconds ?? null };
  }
  if (stored.type === "sigv4") return { ...stored, forwardUnsignedHeaders: (stored as Partial<BundleSigV4Authorizer>).forwardUnsignedHeaders ?? true };
  // Custom authorizers written before resultCacheScope cache per route: the safe reading of a simple reply.
  if (stored.type === "custom") return { resultCacheScope: "route", contextToHeaders: {}, ...(stored as Partial<BundleCustomAuthorizer>) } as BundleAuthorizer;
  return stored;
}
