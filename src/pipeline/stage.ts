/**
 * The shape every pipeline stage has: request work, then `await next()`, then response work on the way back
 * out (Hono's middleware model). A stage that ends the request throws a GatewayError (or returns a response)
 * and the stages after it never run.
 */
import type { ConfigSource } from "../deploy/config-source.ts";
import type { Env } from "../env.ts";
import type { RequestContext } from "./context.ts";

/** A request in the Worker's pipeline: its context with the Worker's whole environment. */
export type GatewayContext = RequestContext<Env>;
export type Next = () => Promise<Response>;
export type StageHandler = (ctx: GatewayContext, next: Next) => Promise<Response>;

/** What stages may depend on, given once when the pipeline is built. */
export interface PipelineDeps {
  source: ConfigSource;
}

/** A stage factory: validates its options once, returns the per-request handler. */
export type StageFactory = (deps: PipelineDeps) => StageHandler;
