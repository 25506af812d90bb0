/** Integrate: the terminal stage. The matched route's integration produces the response. */
import type { StageFactory } from "../../pipeline/stage.ts";

export const integrate: StageFactory = () =>
  async function integrate(ctx) {
    return ctx.route!.integration.invoke(ctx);
  };
