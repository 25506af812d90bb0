/**
 * The compiler's second half: a checked definition → the bundle, every default resolved (`bundle.ts` types it).
 * Each area's part of the bundle is built by its `compile-*.ts` sibling; routes are sorted by key so the bundle, and
 * its id, depend on content, not on the order the definition was written in.
 */
import { JSON_LIMIT_DEFAULTS, type Bundle, type BundleRoute, type BundleValidate } from "./bundle.ts";
import type { BundleIntegration } from "./bundle-integrations.ts";
import { rewriteModelRefs } from "./models.ts";
import { buildAuthorizers, buildPolicy, routeAuthorizer } from "./compile-identity.ts";
import { buildThrottle, buildUsagePlans } from "./compile-limits.ts";
import { buildRouteCache, buildStageCache, CACHE_DEFAULTS } from "./compile-cache.ts";
import { buildWebSocket } from "./compile-websocket.ts";
import { buildMapping } from "./compile-mapping.ts";
import { buildRouting } from "./compile-routing.ts";
import { buildIntegrationKind, buildStreaming } from "./compile-integrations.ts";
import { DEFAULT_ROUTE, parseRouteKey, type ParsedRouteKey } from "../routing/route-key.ts";
import { resolveFormat } from "../observability/access-log/format.ts";
import type { ApiDefinition } from "./types.ts";
import type { IntegrationDefinition } from "./integration-types.ts";

export const DEFAULT_TIMEOUT_MS = 29_000;
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
export const DEFAULT_REQUEST_ID_HEADER = "x-amzn-RequestId";
export const DEFAULT_ERROR_TYPE_HEADER = "x-amzn-ErrorType";
export const DEFAULT_VERSION_HEADER = "x-portico-version";
/** Body schemas written inline on a route are stored as models under this prefix (model names are alphanumeric). */
export const INLINE_MODEL_PREFIX = "$route:";

/** Resolves every default. The definition must have passed `checkDefinition`. */
export function buildBundle(def: ApiDefinition): Bundle {
  const models: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(def.models ?? {})) models[name] = rewriteModelRefs(schema);

  const routes: BundleRoute[] = [];
  const websocket = def.flavor === "websocket";
  for (const [key, route] of Object.entries(def.routes)) {
    // A WebSocket route key is a name, not METHOD /path: it is kept as written, with method ANY.
    const parsed = websocket ? { method: "ANY" as const, path: key, segments: [] } : (parseRouteKey(key) as ParsedRouteKey);
    const normalKey = websocket ? key : parsed.path === DEFAULT_ROUTE ? DEFAULT_ROUTE : `${parsed.method} ${parsed.path}`;
    let validate: BundleValidate | null = null;
    if (route.validate) {
      let body: string | null = null;
      if (typeof route.validate.body === "string") body = route.validate.body;
      else if (route.validate.body) {
        body = INLINE_MODEL_PREFIX + normalKey;
        models[body] = rewriteModelRefs(route.validate.body);
      }
      validate = {
        body,
        headers: route.validate.headers ?? [],
        path: route.validate.path ?? [],
        query: route.validate.query ?? [],
      };
    }
    routes.push({
      key: normalKey,
      method: parsed.method,
      path: parsed.path,
      integration: buildIntegration(route.integration),
      validate,
      authorizer: routeAuthorizer(route),
      apiKeyRequired: route.apiKeyRequired ?? false,
      resourcePolicy: buildPolicy(route.resourcePolicy),
      throttle: buildThrottle(route.throttle),
      cache: buildRouteCache(route.cache),
      ...(websocket ? { routeResponse: route.routeResponse ?? false } : {}),
      forwardInternalHeaders: [...new Set((route.forwardInternalHeaders ?? []).map((h) => h.toLowerCase()))],
    });
  }
  routes.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  const cors = def.cors
    ? {
        allowOrigins: def.cors.allowOrigins,
        allowMethods: (def.cors.allowMethods ?? ["*"]).map((m) => m.toUpperCase()),
        allowHeaders: def.cors.allowHeaders ?? ["*"],
        exposeHeaders: def.cors.exposeHeaders ?? [],
        maxAge: def.cors.maxAge ?? null,
        allowCredentials: def.cors.allowCredentials ?? false,
      }
    : null;

  const errorTypeHeader = def.settings?.errorTypeHeader;
  const versionHeader = def.settings?.versionHeader;
  return {
    format: 1,
    api: { name: def.name, flavor: def.flavor ?? "rest", description: def.description ?? null },
    settings: {
      maxBodyBytes: def.settings?.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      requestIdHeader: def.settings?.requestIdHeader ?? DEFAULT_REQUEST_ID_HEADER,
      errorTypeHeader:
        errorTypeHeader === false ? null : typeof errorTypeHeader === "string" ? errorTypeHeader : DEFAULT_ERROR_TYPE_HEADER,
      versionHeader: versionHeader === false ? null : typeof versionHeader === "string" ? versionHeader : DEFAULT_VERSION_HEADER,
      binaryMediaTypes: def.settings?.binaryMediaTypes ?? [],
      apiKeySource: def.settings?.apiKeySource ?? "HEADER",
      rateLimitHeaders: def.settings?.rateLimitHeaders === false ? null : (def.settings?.rateLimitHeaders ?? "draft"),
      cacheStatusHeader:
        def.settings?.cacheStatusHeader === false ? null : typeof def.settings?.cacheStatusHeader === "string" ? def.settings.cacheStatusHeader : CACHE_DEFAULTS.cacheStatusHeader,
      jsonLimits: { ...JSON_LIMIT_DEFAULTS, ...def.settings?.jsonLimits },
    },
    stages: Object.fromEntries(
      Object.entries(def.stages).map(([name, s]) => [
        name,
        {
          description: s.description ?? null,
          variables: s.variables ?? {},
          throttle: buildThrottle(s.throttle),
          cache: buildStageCache(s.cache),
          accessLog: s.accessLog ? { format: resolveFormat(s.accessLog.format) } : null,
          tracing: { enabled: s.tracing?.enabled ?? true, serverTiming: s.tracing?.serverTiming ?? false },
        },
      ]),
    ),
    domains: (def.domains ?? []).map((d) => ({ host: d.host.toLowerCase(), basePath: d.basePath ?? "", stage: d.stage })),
    ...(def.domainRouting && Object.keys(def.domainRouting).length ? { domainRouting: buildRouting(def) } : {}),
    cors,
    models: models as Bundle["models"],
    gatewayResponses: Object.fromEntries(
      Object.entries(def.gatewayResponses ?? {}).map(([type, r]) => [
        type,
        { status: r.status ?? null, headers: r.headers ?? {}, body: r.body ?? null },
      ]),
    ),
    authorizers: buildAuthorizers(def),
    resourcePolicy: buildPolicy(def.resourcePolicy),
    usagePlans: buildUsagePlans(def),
    routes,
    ...(websocket ? { websocket: buildWebSocket(def) } : {}),
  };
}

function buildIntegration(integration: IntegrationDefinition): BundleIntegration {
  switch (integration.type) {
    case "http":
    case "http_proxy":
      return {
        type: integration.type,
        uri: integration.uri,
        method: integration.method ?? null,
        timeoutMs: integration.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        headers: integration.headers ?? {},
        // A VPC link is a binding too (a service binding or a Workers VPC service binding).
        service: integration.connectionId ?? integration.service ?? null,
        ...(integration.connectionType === "VPC_LINK" ? { vpcLink: true as const } : {}),
        ...buildStreaming(integration),
        mapping: buildMapping(integration),
      };
    case "mock": {
      const json = integration.body !== undefined && typeof integration.body !== "string";
      const headers = { ...(integration.headers ?? {}) };
      if (json && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) headers["content-type"] = "application/json";
      return {
        type: "mock",
        status: integration.status ?? 200,
        headers,
        body: integration.body === undefined ? "" : json ? JSON.stringify(integration.body) : (integration.body as string),
        mapping: buildMapping(integration),
      };
    }
    case "service":
      return {
        type: "service",
        service: integration.service,
        payloadFormat: integration.payloadFormat ?? "raw",
        path: integration.path ?? null,
        timeoutMs: integration.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        ...buildStreaming(integration),
        mapping: buildMapping(integration),
      };
    default:
      return buildIntegrationKind(integration)!;
  }
}
