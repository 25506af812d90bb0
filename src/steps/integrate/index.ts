/**
 * Integrate: the terminal step. The matched route's integration produces the response: built per route on first
 * use (integrations/index.ts), or, for a WebSocket API's upgrade and `@connections` routes, the hand-off to a hub
 * and the management API (websocket/integrations.ts).
 */
import { integrationFor } from "../../integrations/index.ts";
import { describeTarget } from "../../observability/shadow/evaluate.ts";
import type { StepFactory } from "../../pipeline/step.ts";
import { webSocketIntegration } from "../../websocket/integrations.ts";

/** Integrations answered through a Cloudflare binding: no backend request for transport.ts to describe. */
const BINDING_KINDS = new Set(["queue", "r2", "workflow"]);

export const integrate: StepFactory = () =>
  async function integrate(ctx) {
    const bundle = ctx.bundle!;
    const route = ctx.route!;
    const integration = (bundle.websocket && webSocketIntegration(bundle.websocket, route)) || integrationFor(route, bundle.bundle);
    const explain = ctx.explain;
    if (!explain) return integration.invoke(ctx);
    // Integrations that call a backend describe their target (transport.ts, service/); a mock answers itself, and a
    // binding integration is described by its spec (the binding and action, never the key or body).
    if (integration.type === "mock") explain.integration = { type: "mock", target: "mock (answered by the gateway)" };
    if (!BINDING_KINDS.has(integration.type)) return integration.invoke(ctx);
    const described = { type: integration.type, target: describeTarget(route.spec.integration, ctx.stageVariables, ctx.pathParams, ctx.path) } as NonNullable<typeof explain.integration>;
    explain.integration = described;
    try {
      return await integration.invoke(ctx);
    } finally {
      if (ctx.integrationLatencyMs !== undefined) described.latencyMs = ctx.integrationLatencyMs;
    }
  };
