/**
 * The compiler's WebSocket section (flavor: websocket): route keys, what a WebSocket route may carry, the route
 * selection expression, hubs, limits and the management API's authorizer — checks, and the resolved form.
 * The rest and http flavours must not use any of it.
 */
import type { BundleWebSocket, BundleWebSocketLimits } from "./bundle.ts";
import { isObject, type FieldError } from "./field-errors.ts";
import type { ApiDefinition, RouteDefinition } from "./types.ts";
import { parseRouteSelection } from "../websocket/route-selection.ts";

export const CONNECT_ROUTE = "$connect";
export const DISCONNECT_ROUTE = "$disconnect";
export const DEFAULT_WS_ROUTE = "$default";
const SPECIAL_KEYS = new Set([CONNECT_ROUTE, DISCONNECT_ROUTE, DEFAULT_WS_ROUTE]);
/** Custom route keys: what a client may send in the selected field; no whitespace, no leading `$`. */
const CUSTOM_KEY = /^[^\s$][^\s]{0,127}$/;

export const WEBSOCKET_DEFAULTS = {
  routeSelectionExpression: "$request.body.action",
  hubs: 16,
  limits: {
    maxMessageBytes: 128 * 1024,
    maxFrameBytes: 32 * 1024,
    idleTimeoutSeconds: 600,
    maxConnectionSeconds: 7200,
    newConnectionsPerSecond: 500,
    messagesPerSecond: 100,
    messageBurst: 200,
    maxGroupsPerConnection: 16,
  } satisfies BundleWebSocketLimits,
};

/** Every WebSocket rule, or — for the other flavours — that none of the WebSocket fields is used. */
export function checkWebSocket(def: ApiDefinition, errors: FieldError[]): void {
  const routes = isObject(def.routes) ? (def.routes as Record<string, unknown>) : {};
  if ((def.flavor ?? "rest") !== "websocket") {
    if (def.routeSelectionExpression !== undefined) errors.push({ path: ["routeSelectionExpression"], message: "only for flavor: websocket" });
    if (def.websocket !== undefined) errors.push({ path: ["websocket"], message: "only for flavor: websocket" });
    for (const [key, route] of Object.entries(routes))
      if (isObject(route) && route.routeResponse !== undefined) errors.push({ path: ["routes", key, "routeResponse"], message: "only for flavor: websocket" });
    return;
  }
  if (typeof def.routeSelectionExpression === "string") {
    const parsed = parseRouteSelection(def.routeSelectionExpression);
    if ("error" in parsed) errors.push({ path: ["routeSelectionExpression"], message: parsed.error });
  }
  if (def.cors !== undefined) errors.push({ path: ["cors"], message: "CORS does not apply to WebSocket APIs" });
  if (isObject(def.stages))
    for (const [name, stage] of Object.entries(def.stages))
      if (isObject(stage) && stage.cache !== undefined) errors.push({ path: ["stages", name, "cache"], message: "WebSocket APIs have no response cache" });
  const limits = def.websocket?.limits;
  if (isObject(limits) && typeof limits.maxFrameBytes === "number" && typeof limits.maxMessageBytes === "number" && limits.maxFrameBytes > limits.maxMessageBytes)
    errors.push({ path: ["websocket", "limits", "maxFrameBytes"], message: "cannot be larger than maxMessageBytes" });
  const management = def.websocket?.management;
  if (isObject(management) && typeof management.authorizer === "string") {
    const target = isObject(def.authorizers) ? (def.authorizers as Record<string, { type?: unknown }>)[management.authorizer] : undefined;
    if (!target || !Object.hasOwn(def.authorizers!, management.authorizer))
      errors.push({ path: ["websocket", "management", "authorizer"], message: `unknown authorizer "${management.authorizer}"` });
    else if (target.type !== "sigv4")
      errors.push({ path: ["websocket", "management", "authorizer"], message: `must be a sigv4 authorizer ("${management.authorizer}" is ${String(target.type)})` });
  }
  for (const [key, route] of Object.entries(routes)) {
    if (!SPECIAL_KEYS.has(key) && !CUSTOM_KEY.test(key)) {
      errors.push({
        path: ["routes", key],
        message: "a WebSocket route key is $connect, $disconnect, $default or a custom key (up to 128 characters, no whitespace, not starting with $)",
      });
      continue;
    }
    if (isObject(route)) checkRoute(key, route as unknown as RouteDefinition, errors);
  }
}

function checkRoute(key: string, route: RouteDefinition, errors: FieldError[]): void {
  const at = (...rest: string[]) => ["routes", key, ...rest];
  const isConnect = key === CONNECT_ROUTE;
  // Amazon authorizes a WebSocket connection once, when it opens; messages ride on that decision.
  for (const field of ["authorizer", "apiKeyRequired", "resourcePolicy", "throttle"] as const)
    if (!isConnect && route[field] !== undefined) errors.push({ path: at(field), message: "only on $connect: a connection is authorized once, when it opens" });
  if (route.cache !== undefined) errors.push({ path: at("cache"), message: "WebSocket routes are not cached" });
  // Only the upgrade request carries a client's headers; a message's integration gets none of them.
  if (!isConnect && route.forwardInternalHeaders !== undefined)
    errors.push({ path: at("forwardInternalHeaders"), message: "only on $connect: messages carry no client headers" });
  if (route.routeResponse !== undefined && (isConnect || key === DISCONNECT_ROUTE))
    errors.push({ path: at("routeResponse"), message: `${key} has no route response (Amazon's two-way routes are $default and custom keys)` });
  const validate = route.validate;
  if (isObject(validate)) {
    if (isConnect) {
      if (validate.body !== undefined) errors.push({ path: at("validate", "body"), message: "$connect has no body; validate headers or query instead" });
    } else {
      for (const field of ["headers", "path", "query"] as const)
        if (validate[field] !== undefined) errors.push({ path: at("validate", field), message: "messages have only a body; parameters can be required on $connect" });
      if (key === DISCONNECT_ROUTE && validate.body !== undefined) errors.push({ path: at("validate", "body"), message: "$disconnect has no body" });
    }
    if (validate.path !== undefined && isConnect) errors.push({ path: at("validate", "path"), message: "$connect has no path parameters" });
  }
  const integration = route.integration as unknown;
  if (isObject(integration) && integration.type === "service" && integration.path !== undefined)
    errors.push({ path: at("integration", "path"), message: "WebSocket routes send their events to the service's root; path does not apply" });
  if (isObject(integration)) {
    const refused = refusedOnWebSocket(integration);
    if (refused) errors.push({ path: at("integration", "type"), message: refused });
    // A route response is one message, sent when the integration has answered: nothing to stream it into.
    if (integration.responseTransferMode === "STREAM")
      errors.push({ path: at("integration", "responseTransferMode"), message: "WebSocket routes do not stream: a route response is one message (use BUFFERED, the default)" });
    // Mapping templates are not applied to WebSocket routes yet (the hub's `transform` step is their seam): a
    // mapping that would be ignored is refused rather than accepted.
    for (const field of MAPPING_FIELDS)
      if (integration[field] !== undefined) errors.push({ path: at("integration", field), message: "mapping is not supported on WebSocket routes yet" });
    if (integration.type === "service" && integration.payloadFormat === "custom")
      errors.push({ path: at("integration", "payloadFormat"), message: "WebSocket routes send Amazon's WebSocket event: payloadFormat 1.0 or 2.0 (or raw)" });
  }
}

/**
 * Why a WebSocket route cannot use an integration of this kind, or null when it can. A WebSocket event reaches its
 * integration as a POST of the message to the stage's root (the upgrade: a GET), with no path parameters and no
 * mapping (src/websocket/invoke.ts): an `r2` object key and method, a Workflow status read's instance id and an `aws`
 * service request (made by its mapping) would have nothing to be made from, and a `queue` or a Workflow start would
 * answer every event — $connect's GET and $disconnect included — with a message or instance of its own. Refused
 * rather than half-working: a `service` Worker of one's own reaches any of these bindings from a WebSocket route.
 */
export function refusedOnWebSocket(integration: { type?: unknown }): string | null {
  switch (integration.type) {
    case "aws":
    case "queue":
    case "r2":
    case "workflow":
      return `${integration.type} integrations are not supported on WebSocket routes (an event is a POST of the message, with no path parameters or mapping); use http, http_proxy, service or mock, e.g. a service Worker that calls the binding`;
    default:
      return null;
  }
}

/** An integration's mapping fields (Amazon's non-proxy model, compile-mapping.ts). */
const MAPPING_FIELDS = ["requestTemplates", "passthroughBehavior", "contentHandling", "requestParameters", "responses", "responseParameters"] as const;

/** The resolved settings. The definition must have passed `checkWebSocket`. */
export function buildWebSocket(def: ApiDefinition): BundleWebSocket {
  const limits = def.websocket?.limits ?? {};
  const resolved: BundleWebSocketLimits = { ...WEBSOCKET_DEFAULTS.limits };
  for (const name of Object.keys(resolved) as (keyof BundleWebSocketLimits)[]) if (limits[name] !== undefined) resolved[name] = limits[name]!;
  // A message limit below the frame limit makes the frame limit moot; keep the pair consistent.
  if (limits.maxMessageBytes !== undefined && limits.maxFrameBytes === undefined) resolved.maxFrameBytes = Math.min(resolved.maxFrameBytes, resolved.maxMessageBytes);
  return {
    routeSelectionExpression: def.routeSelectionExpression ?? WEBSOCKET_DEFAULTS.routeSelectionExpression,
    hubs: def.websocket?.hubs ?? WEBSOCKET_DEFAULTS.hubs,
    limits: resolved,
    managementAuthorizer: def.websocket?.management?.authorizer ?? null,
  };
}
