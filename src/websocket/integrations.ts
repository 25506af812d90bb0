/**
 * The integrations of a WebSocket API's two pipeline routes (deploy/compiled-websocket.ts): the upgrade, which runs
 * `$connect` and hands the socket to a hub (connect.ts), and Amazon's `@connections` management API
 * (management.ts). Built once per compiled WebSocket, on its first request; every other route's integration is an
 * ordinary one (integrations/index.ts).
 */
import { CONNECT_ROUTE } from "../config/compile-websocket.ts";
import type { CompiledRoute } from "../deploy/compiled-route.ts";
import type { CompiledWebSocket } from "../deploy/compiled-websocket.ts";
import type { Integration } from "../integrations/types.ts";
import type { RequestEnv } from "../pipeline/context.ts";
import { connectIntegration } from "./connect.ts";
import type { HubsEnv } from "./hub-client.ts";
import { managementIntegration } from "./management.ts";

/** Both call hubs, so they need `CONNECTION_HUB` as well as bindings by name. */
type WebSocketIntegration = Integration<RequestEnv & HubsEnv>;

const built = new WeakMap<CompiledWebSocket, { upgrade: WebSocketIntegration; management: WebSocketIntegration }>();

/** The integration of `route` when it is the WebSocket API's upgrade or management route; undefined otherwise. */
export function webSocketIntegration(ws: CompiledWebSocket, route: CompiledRoute): WebSocketIntegration | undefined {
  if (route !== ws.upgrade && route !== ws.management) return undefined;
  let pair = built.get(ws);
  if (!pair) {
    pair = { upgrade: connectIntegration(ws.routes.get(CONNECT_ROUTE) ?? null), management: managementIntegration(ws.settings) };
    built.set(ws, pair);
  }
  return route === ws.upgrade ? pair.upgrade : pair.management;
}
