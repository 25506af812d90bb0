/** `mock` (Amazon's MOCK): the gateway answers itself with the configured status, headers and body. */
import type { Bundle, BundleMockIntegration } from "../../config/bundle.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import type { Integration } from "../types.ts";

const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);

export function mockIntegration(spec: BundleMockIntegration, _bundle: Bundle): Integration {
  // Built once: the runtime copies a Headers object natively, where a list of pairs is converted item by item.
  const headers = new Headers(spec.headers);
  const body = NULL_BODY_STATUS.has(spec.status) ? null : spec.body;
  return {
    type: "mock",
    async invoke(ctx: RequestContext): Promise<Response> {
      return new Response(ctx.request.method === "HEAD" ? null : body, { status: spec.status, headers });
    },
  };
}
