/**
 * Integrate: the terminal stage. The matched route's integration produces the response: built per route on first
 * use (integrations/index.ts), or, for a WebSocket API's upgrade and `@connections` routes, the hand-off to a hub
 * and the management API (websocket/integrations.ts).
 */
import { integrationFor } from "../../integrations/index.ts";
import type { StageFactory } from "../../pipeline/stage.ts";
import { webSocketIntegration } from "../../websocket/integrations.ts";

export const integrate: StageFactory = () =>
  async function integrate(ctx) {
    const bundle = ctx.bundle!;
    const route = ctx.route!;
    const integration = (bundle.websocket && webSocketIntegration(bundle.websocket, route)) || integrationFor(route, bundle.bundle);
    return integration.invoke(ctx);
  };
