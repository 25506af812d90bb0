/**
 * The shape every pipeline step has: request work, then `await next()`, then response work on the way back
 * out (Hono's middleware model). A step that ends the request throws a GatewayError (or returns a response)
 * and the steps after it never run.
 */
import type { ConfigSource } from "../deploy/config-source.ts";
import type { Env } from "../env.ts";
import type { RequestContext } from "./context.ts";

/** A request in the Worker's pipeline: its context with the Worker's whole environment. */
export type GatewayContext = RequestContext<Env>;
export type Next = () => Promise<Response>;
export type StepHandler = (ctx: GatewayContext, next: Next) => Promise<Response>;

/** What steps may depend on, given once when the pipeline is built. */
export interface PipelineDeps {
  source: ConfigSource;
}

/** A step factory: validates its options once, returns the per-request handler. */
export type StepFactory = (deps: PipelineDeps) => StepHandler;
