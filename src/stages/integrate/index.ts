/** Integrate: the terminal stage. The matched route's integration produces the response. */
import type { StageFactory } from "../../pipeline/stage.ts";

export const integrate: StageFactory = () =>
  async function integrate(ctx) {
    const integration = ctx.route!.integration;
    // Integrations that call a backend describe their target (transport.ts); a mock answers itself.
    if (ctx.explain && integration.type === "mock") ctx.explain.integration = { type: "mock", target: "mock (answered by the gateway)" };
    return integration.invoke(ctx);
  };
