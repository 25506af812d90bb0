/**
 * Compiler: API definition → bundle. `checkDefinition` finds every error (shape from the schema, then the rules
 * that span fields); `compileDefinition` resolves every default and computes the content id.
 */
import { bundleId, JSON_LIMIT_DEFAULTS, type Bundle, type BundleIntegration, type BundleRoute, type BundleValidate } from "./bundle.ts";
import { checkDefinitionShape } from "./check.ts";
import { DefinitionError, type FieldError, isObject } from "./field-errors.ts";
import { checkModelSchema, checkModels, rewriteModelRefs } from "./models.ts";
import { buildAuthorizers, buildPolicy, checkIdentity, routeAuthorizer } from "./compile-identity.ts";
import { buildThrottle, buildUsagePlans, checkLimits } from "./compile-limits.ts";
import { buildRouteCache, buildStageCache, CACHE_DEFAULTS } from "./compile-cache.ts";
import { buildWebSocket, checkWebSocket, refusedOnWebSocket } from "./compile-websocket.ts";
import { buildMapping, checkMapping, mappedPathParameters } from "./compile-mapping.ts";
import { checkQuotas } from "./compile-quotas.ts";
import { buildRouting, checkRouting } from "./compile-routing.ts";
import { buildIntegrationKind, buildStreaming, checkIntegrationKind } from "./compile-integrations.ts";
import { DEFAULT_ROUTE, parameterNames, parseRouteKey, type ParsedRouteKey } from "../routing/route-key.ts";
import { isForeignHeader, PORTICO_PREFIX } from "../security/client-headers.ts";
import { checkOutboundTemplate } from "../security/outbound.ts";
import { checkFormat, resolveFormat } from "../observability/access-log/format.ts";
import type { ApiDefinition, IntegrationDefinition, RouteDefinition, RouteMethod, ValidateDefinition } from "./types.ts";

export const DEFAULT_TIMEOUT_MS = 29_000;
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
export const DEFAULT_REQUEST_ID_HEADER = "x-amzn-RequestId";
export const DEFAULT_ERROR_TYPE_HEADER = "x-amzn-ErrorType";
export const DEFAULT_VERSION_HEADER = "x-portico-version";
/** Body schemas written inline on a route are stored as models under this prefix (model names are alphanumeric). */
export const INLINE_MODEL_PREFIX = "$route:";

const STAGE_VARIABLE = /\$\{stageVariables\.([^}]*)\}/g;
const PATH_PLACEHOLDER = /\{([^{}$]+)\}/g;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const HEADER_VALUE = /^[^\r\n\0]*$/;

export interface CompiledDefinition {
  id: string;
  bundle: Bundle;
}

/** Where the definition will run; by default, production rules. */
export interface CompileOptions {
  /**
   * Local development (the Worker's PORTICO_LOCAL_DEV, `portico dev`, `portico validate --local-dev`): backends,
   * JWKS endpoints and authorizer URLs may be on loopback or a private network, and identity providers on http://.
   */
  localDev?: boolean;
}

/** Every error in a definition, with field paths. An empty list means it compiles. */
export function checkDefinition(value: unknown, options: CompileOptions = {}): FieldError[] {
  const errors = checkDefinitionShape(value);
  if (value && typeof value === "object" && !Array.isArray(value)) checkSemantics(value as ApiDefinition, errors, options.localDev ?? false);
  return inDocumentOrder(value, errors);
}

/** Compiles a definition to a bundle and its content id, or throws DefinitionError listing every problem. */
export async function compileDefinition(value: unknown, options: CompileOptions = {}): Promise<CompiledDefinition> {
  const errors = checkDefinition(value, options);
  if (errors.length) throw new DefinitionError(errors);
  const bundle = buildBundle(value as ApiDefinition);
  return { id: await bundleId(bundle), bundle };
}

/** Sorts errors by where their fields appear in the document (stable), so a route's errors read together. */
export function inDocumentOrder(value: unknown, errors: FieldError[]): FieldError[] {
  const rank = (path: (string | number)[]): number[] => {
    const out: number[] = [];
    let node: unknown = value;
    for (const part of path.slice(0, 3)) {
      if (!node || typeof node !== "object") break;
      const keys = Array.isArray(node) ? null : Object.keys(node);
      out.push(typeof part === "number" ? part : keys ? keys.indexOf(part) : -1);
      node = (node as Record<string, unknown>)[part];
    }
    return out;
  };
  const ranked = errors.map((error, i) => ({ error, key: rank(error.path), i }));
  ranked.sort((a, b) => {
    for (let k = 0; k < Math.max(a.key.length, b.key.length); k++) {
      const d = (a.key[k] ?? -1) - (b.key[k] ?? -1);
      if (d) return d;
    }
    return a.i - b.i;
  });
  return ranked.map((r) => r.error);
}


/** Rules that span fields. Defensive: the shape may be wrong in places already reported. */
function checkSemantics(def: ApiDefinition, errors: FieldError[], localDev: boolean): void {
  const flavor = def.flavor ?? "rest";
  const stageNames = isObject(def.stages) ? Object.keys(def.stages) : [];
  const modelNames = isObject(def.models) ? Object.keys(def.models) : [];

  // WebSocket routes are keyed by route key, not METHOD /path (compile-websocket.ts checks them).
  if (isObject(def.routes) && flavor !== "websocket") checkRoutes(def.routes as Record<string, unknown>, flavor, modelNames, errors, localDev);
  if (isObject(def.routes) && flavor === "websocket") checkWebSocketRoutes(def.routes as Record<string, unknown>, modelNames, errors, localDev);
  checkWebSocket(def, errors);
  if (isObject(def.models)) checkModels(def.models, errors);
  checkIdentity(def, errors, localDev);
  checkLimits(def, errors);
  if (isObject(def.stages))
    for (const [name, stage] of Object.entries(def.stages))
      if (isObject(stage) && isObject(stage.accessLog) && typeof stage.accessLog.format === "string")
        for (const problem of checkFormat(stage.accessLog.format)) errors.push({ path: ["stages", name, "accessLog", "format"], message: problem });
  checkRouting(def, errors);
  checkQuotas(def, errors);

  if (Array.isArray(def.domains)) {
    const seen = new Set<string>();
    def.domains.forEach((d, i) => {
      if (!isObject(d)) return;
      if (typeof d.stage === "string" && stageNames.length && !stageNames.includes(d.stage))
        errors.push({ path: ["domains", i, "stage"], message: `unknown stage "${d.stage}"; stages are ${stageNames.join(", ")}` });
      const key = `${String(d.host).toLowerCase()}/${d.basePath ?? ""}`;
      if (seen.has(key)) errors.push({ path: ["domains", i], message: `duplicate mapping for ${key}` });
      seen.add(key);
    });
  }

  if (isObject(def.cors) && def.cors.allowCredentials === true && Array.isArray(def.cors.allowOrigins) && def.cors.allowOrigins.includes("*"))
    errors.push({ path: ["cors", "allowCredentials"], message: "cannot be true when allowOrigins contains \"*\" (browsers refuse it)" });

  if (isObject(def.settings))
    for (const name of ["requestIdHeader", "errorTypeHeader", "versionHeader", "cacheStatusHeader"] as const) {
      const value = def.settings[name];
      if (value === true) errors.push({ path: ["settings", name], message: "must be a header name, or false to turn it off" });
      else if (typeof value === "string" && !HEADER_NAME.test(value)) errors.push({ path: ["settings", name], message: "invalid header name" });
    }

  if (isObject(def.gatewayResponses))
    for (const [type, response] of Object.entries(def.gatewayResponses))
      if (isObject(response)) checkHeaders(response.headers, ["gatewayResponses", type, "headers"], errors);
}

function checkRoutes(routes: Record<string, unknown>, flavor: string, modelNames: string[], errors: FieldError[], localDev: boolean): void {
  const seen = new Map<string, string>();
  // Amazon: sibling resources cannot use different parameter names at one position.
  const paramAt = new Map<string, { name: string; key: string }>();
  for (const [key, route] of Object.entries(routes)) {
    const parsed = parseRouteKey(key);
    if ("error" in parsed) {
      errors.push({ path: ["routes", key], message: parsed.error });
      continue;
    }
    if (parsed.path === DEFAULT_ROUTE && flavor !== "http")
      errors.push({ path: ["routes", key], message: "$default is an http-flavour route; in the rest flavour use `ANY /{proxy+}`" });
    const normal = `${parsed.method} ${parsed.path}`;
    const other = seen.get(normal);
    if (other !== undefined) errors.push({ path: ["routes", key], message: `same route as "${other}"` });
    seen.set(normal, key);

    let prefix = "";
    for (const segment of parsed.segments) {
      if (segment.kind === "static") {
        prefix += `/${segment.value}`;
        continue;
      }
      prefix += segment.kind === "param" ? "/{}" : "/{+}";
      const existing = paramAt.get(prefix);
      if (!existing) paramAt.set(prefix, { name: segment.name, key });
      else if (existing.name !== segment.name)
        errors.push({
          path: ["routes", key],
          message: `parameter {${segment.name}} conflicts with {${existing.name}} at the same position in "${existing.key}"; use one name`,
        });
    }
    if (isObject(route)) checkRoute(route as unknown as RouteDefinition, parsed.method, parameterNames(parsed.segments), key, modelNames, flavor, errors, localDev);
  }
}

/**
 * WebSocket routes are keyed by route key, not METHOD /path (compile-websocket.ts checks what only they have, and
 * refuses mapping fields): their integrations, forwarded headers and body models follow the same rules as any
 * route's, with no path parameters.
 */
function checkWebSocketRoutes(routes: Record<string, unknown>, modelNames: string[], errors: FieldError[], localDev: boolean): void {
  for (const [key, route] of Object.entries(routes))
    if (isObject(route)) checkRoute(route as unknown as RouteDefinition, "ANY", [], key, modelNames, "websocket", errors, localDev);
}

/**
 * `method` and `routeParams`: the route key's method and path parameter names. WebSocket routes have method ANY, no
 * path parameters, no mapping and no `validate.path`.
 */
function checkRoute(route: RouteDefinition, method: RouteMethod, routeParams: string[], key: string, modelNames: string[], flavor: string, errors: FieldError[], localDev: boolean): void {
  const websocket = flavor === "websocket";
  const at = (...rest: (string | number)[]) => ["routes", key, ...rest];
  const integration = route.integration as IntegrationDefinition | undefined;
  if (isObject(integration)) {
    if (!websocket) checkMapping(integration, flavor === "http" ? "http" : "rest", routeParams, at("integration"), errors);
    // A URI may also use the path parameters the integration maps (`integration.request.path.<name>`).
    const params = [...routeParams, ...mappedPathParameters(integration)];
    const checkTemplate = (text: unknown, path: (string | number)[]) => {
      if (typeof text !== "string") return;
      for (const m of text.matchAll(STAGE_VARIABLE))
        if (!/^[A-Za-z0-9_]{1,64}$/.test(m[1]!)) errors.push({ path, message: `invalid stage variable reference "${m[0]}"` });
      const withoutVars = text.replace(STAGE_VARIABLE, "");
      for (const m of withoutVars.matchAll(PATH_PLACEHOLDER))
        if (!params.includes(m[1]!))
          errors.push({
            path,
            message: `{${m[1]}} is not a path parameter of this route` + (params.length ? ` (it has ${params.map((p) => `{${p}}`).join(", ")})` : ""),
          });
    };
    if (integration.type === "http" || integration.type === "http_proxy") {
      checkTemplate(integration.uri, at("integration", "uri"));
      if (typeof integration.uri === "string" && !integration.uri.startsWith("${")) {
        const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(integration.uri);
        if (!scheme || !["http", "https"].includes(scheme[1]!.toLowerCase()))
          errors.push({ path: at("integration", "uri"), message: "must be an http:// or https:// URL" });
      }
      // Through a service binding (or a VPC link's) the host names nothing on the network: only the template rules apply.
      if (typeof integration.uri === "string")
        for (const message of checkOutboundTemplate(integration.uri, { localDev, network: integration.service === undefined && integration.connectionId === undefined }))
          errors.push({ path: at("integration", "uri"), message });
      checkHeaders(integration.headers, at("integration", "headers"), errors);
      if (isObject(integration.headers))
        for (const [name, value] of Object.entries(integration.headers)) checkTemplate(value, at("integration", "headers", name));
    } else if (integration.type === "service") {
      checkTemplate(integration.path, at("integration", "path"));
      if (integration.path !== undefined && integration.payloadFormat !== undefined && integration.payloadFormat !== "raw")
        errors.push({ path: at("integration", "path"), message: "only applies with payloadFormat raw" });
    } else if (integration.type === "mock") {
      checkHeaders(integration.headers, at("integration", "headers"), errors);
    }
    // The kinds WebSocket routes refuse are refused by compile-websocket.ts alone (one error, on the type).
    if (!(websocket && refusedOnWebSocket(integration)))
      checkIntegrationKind(route, integration, { flavor: flavor === "http" ? "http" : "rest", method, params, at, errors, localDev, checkTemplate });
  }
  if (Array.isArray(route.forwardInternalHeaders))
    route.forwardInternalHeaders.forEach((name, i) => {
      if (typeof name !== "string") return;
      const lower = name.toLowerCase();
      if (lower.startsWith(PORTICO_PREFIX)) errors.push({ path: at("forwardInternalHeaders", i), message: "Portico's own x-portico-* headers are never forwarded from clients" });
      else if (!isForeignHeader(lower))
        errors.push({ path: at("forwardInternalHeaders", i), message: `${name} is not an internal header Portico drops, so there is nothing to forward (see docs/security.md)` });
    });
  const validate = route.validate as ValidateDefinition | undefined;
  if (isObject(validate)) {
    if (typeof validate.body === "string" && !modelNames.includes(validate.body))
      errors.push({
        path: at("validate", "body"),
        message: `unknown model "${validate.body}"` + (modelNames.length ? `; models are ${modelNames.join(", ")}` : "; define it under models"),
      });
    else if (isObject(validate.body)) checkModelSchema(validate.body, modelNames, at("validate", "body"), errors);
    // A WebSocket route's validate.path is refused by compile-websocket.ts (no path parameters at all).
    if (Array.isArray(validate.path) && !websocket)
      validate.path.forEach((name, i) => {
        if (typeof name === "string" && !routeParams.includes(name))
          errors.push({ path: at("validate", "path", i), message: `{${name}} is not a path parameter of this route` });
      });
  }
}

function checkHeaders(headers: unknown, path: (string | number)[], errors: FieldError[]): void {
  if (!isObject(headers)) return;
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) errors.push({ path: [...path, name], message: "invalid header name" });
    if (typeof value === "string" && !HEADER_VALUE.test(value))
      errors.push({ path: [...path, name], message: "header values cannot contain CR, LF or NUL" });
  }
}

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
