/**
 * The integration interface: one per route, built once per bundle from its compiled config, invoked per request.
 * Every integration passes the shared contract suite in `test/worker/integrations/contract.test.ts`.
 *
 * An integration returns the response to send (streamed when it can) or throws a GatewayError: 504 for a timeout,
 * Amazon's network-error response, 502 for a malformed Lambda-style reply, 500 for a configuration problem.
 */
import type { RequestContext } from "../pipeline/context.ts";

export interface Integration {
  /** The integration type, for logs and metrics. */
  readonly type: string;
  invoke(ctx: RequestContext): Promise<Response>;
}
