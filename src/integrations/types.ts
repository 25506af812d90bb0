/**
 * The integration interface: one per route, built once per bundle from its compiled config, invoked per request.
 * Every integration passes the shared contract suite in `test/worker/integrations/contract.test.ts`.
 *
 * An integration returns the response to send (streamed when it can) or throws a GatewayError: 504 for a timeout,
 * Amazon's network-error response, 502 for a malformed Lambda-style reply, 500 for a configuration problem.
 */
import type { RequestContext, RequestEnv } from "../pipeline/context.ts";

/** `E`: what the integration needs of the environment beyond bindings by name (the WebSocket ones call hubs). */
export interface Integration<E extends RequestEnv = RequestEnv> {
  /** The integration type, for logs and metrics. */
  readonly type: string;
  invoke(ctx: RequestContext<E>): Promise<Response>;
}
