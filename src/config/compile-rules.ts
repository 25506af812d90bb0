/**
 * The compiler's rules that span fields (the schema checks each field alone): route keys and their parameters,
 * integrations' URIs and templates against the route, forwarded headers, body models, domains, CORS and header
 * settings. Each area's own rules are in its `compile-*.ts` sibling, called from here. Defensive: the shape may be
 * wrong in places `check.ts` has already reported.
 */
import { isObject, type FieldError } from "./field-errors.ts";
import { checkModelSchema, checkModels } from "./models.ts";
import { checkIdentity } from "./compile-identity.ts";
import { checkLimits } from "./compile-limits.ts";
import { checkWebSocket, refusedOnWebSocket } from "./compile-websocket.ts";
import { checkMapping, mappedPathParameters } from "./compile-mapping.ts";
import { checkQuotas } from "./compile-quotas.ts";
import { checkRouting } from "./compile-routing.ts";
import { checkIntegrationKind } from "./compile-integrations.ts";
import { DEFAULT_ROUTE, parameterNames, parseRouteKey } from "../routing/route-key.ts";
import { isForeignHeader, PORTICO_PREFIX } from "../security/client-headers.ts";
import { checkOutboundTemplate } from "../security/outbound.ts";
import { checkFormat } from "../observability/access-log/format.ts";
import type { ApiDefinition, RouteDefinition, RouteMethod, ValidateDefinition } from "./types.ts";
import type { IntegrationDefinition } from "./integration-types.ts";

const STAGE_VARIABLE = /\$\{stageVariables\.([^}]*)\}/g;
const PATH_PLACEHOLDER = /\{([^{}$]+)\}/g;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const HEADER_VALUE = /^[^\r\n\0]*$/;

/** Rules that span fields. Defensive: the shape may be wrong in places already reported. */
export function checkSemantics(def: ApiDefinition, errors: FieldError[], localDev: boolean): void {
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
