/**
 * A WebSocket bundle made ready to serve, once per version per isolate (CompiledBundle builds it): the route
 * selection expression parsed, message routes by key, and the two routes the request pipeline serves for a
 * WebSocket API — the upgrade (`$connect`) and the management API (`@connections`). Data only, like every compiled
 * route: the integrations these two run (the hand-off to a hub, `@connections`) are built by
 * websocket/integrations.ts for the integrate step, per compiled WebSocket.
 */
import type { Bundle, BundleRoute, BundleWebSocket } from "../config/bundle.ts";
import { CONNECT_ROUTE } from "../config/compile-websocket.ts";
import { parseRouteSelection, type RouteSelection } from "../websocket/route-selection.ts";
import { compileRoute, type CompiledRoute } from "./compiled-route.ts";

export interface CompiledWebSocket {
  settings: BundleWebSocket;
  selection: RouteSelection;
  /** Every route by its key ($connect and $disconnect included); each runs its own integration. */
  routes: Map<string, CompiledRoute>;
  /** What match-route picks for an upgrade: the $connect route's checks; its integration runs $connect then hands the socket to a hub. */
  upgrade: CompiledRoute;
  /** What match-route picks for `/@connections/…` and `/@broadcast…`: SigV4 by the management authorizer. */
  management: CompiledRoute;
}

const NO_ROUTE: Omit<BundleRoute, "key" | "path" | "integration"> = {
  method: "ANY",
  validate: null,
  authorizer: null,
  apiKeyRequired: false,
  resourcePolicy: null,
  throttle: null,
  cache: null,
  forwardInternalHeaders: [],
};

export function compileWebSocket(bundle: Bundle): CompiledWebSocket {
  const settings = bundle.websocket!;
  const selection = parseRouteSelection(settings.routeSelectionExpression);
  if ("error" in selection) throw new Error(`routeSelectionExpression: ${selection.error}`);
  const routes = new Map(bundle.routes.map((spec) => [spec.key, compileRoute(bundle, spec)]));
  const connect = routes.get(CONNECT_ROUTE);
  // The connection rate limit is the $connect route's throttle (a throttle written on $connect wins), so the
  // pipeline's throttle step enforces it with its 429 and Retry-After, per API stage.
  const rate = settings.limits.newConnectionsPerSecond;
  const upgradeSpec: BundleRoute = {
    ...(connect?.spec ?? { ...NO_ROUTE, key: CONNECT_ROUTE, path: CONNECT_ROUTE, integration: { type: "mock", status: 200, headers: {}, body: "", mapping: null } }),
    throttle: connect?.spec.throttle ?? (rate > 0 ? { rate, burst: Math.max(1, Math.ceil(rate)), strict: false, shadow: false } : null),
  };
  const upgradeBase = compileRoute(bundle, upgradeSpec);
  // No mapping around the hand-off (the transform step would map the upgrade and the 101): the $connect
  // integration's own request is mapped where it is called (websocket/invoke.ts).
  const upgrade: CompiledRoute = { ...upgradeBase, integrationType: "websocket-connect", mapping: null };
  const managementSpec: BundleRoute = {
    ...NO_ROUTE,
    key: "@connections",
    path: "@connections",
    integration: { type: "mock", status: 403, headers: {}, body: "", mapping: null },
    authorizer: settings.managementAuthorizer ? { name: settings.managementAuthorizer, scopes: [] } : null,
  };
  // Resource policies guard clients; @connections callers are the API's own backends, authenticated by SigV4.
  const management: CompiledRoute = { ...compileRoute(bundle, managementSpec), integrationType: "websocket-management", policies: [], mapping: null };
  return { settings, selection, routes, upgrade, management };
}
