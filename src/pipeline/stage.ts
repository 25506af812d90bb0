/**
 * The shape every pipeline stage has: request work, then `await next()`, then response work on the way back
 * out (Hono's middleware model). A stage that ends the request throws a GatewayError (or returns a response)
 * and the stages after it never run.
 */
import type { ConfigSource } from "../deploy/config-source.ts";
import type { RequestContext } from "./context.ts";

export type Next = () => Promise<Response>;
export type StageHandler = (ctx: RequestContext, next: Next) => Promise<Response>;

/** What stages may depend on, given once when the pipeline is built. */
export interface PipelineDeps {
  source: ConfigSource;
}

/** A stage factory: validates its options once, returns the per-request handler. */
export type StageFactory = (deps: PipelineDeps) => StageHandler;
