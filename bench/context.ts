/** What the harness knows when it starts the bench's targets, and the shape of a target's factory. */
import type { WorkerOptions } from "miniflare";
import type { ExternalTarget } from "./processes.ts";

/** What the harness knows when it starts the Workers. */
export interface BenchContext {
  /** The local upstream's base URL (`/hello` answers 200 "hello"). */
  upstream: string;
  /** Miniflare options for the Portico Worker built by `build()` (bindings from wrangler.toml, plus ADMIN_TOKEN). */
  portico: WorkerOptions;
  /**
   * The same build with the account-wide bucket off (ACCOUNT_RATE=0), so only a route's own bucket applies, and
   * RateLimiter wrapped to count lease calls (throttle.ts): the throttle section's Worker.
   */
  porticoThrottle: WorkerOptions;
  /** The Portico build with the cache's memory tier off (CACHE_MEMORY_MS=0): every hit asks the Cache API. */
  porticoNoMemory: WorkerOptions;
  /** The Portico build as deployed, entered through a module that counts Cache API lookups (cache.ts). */
  porticoCache: WorkerOptions;
  /** The Portico build without the Analytics Engine binding: the observability section's "off" side. */
  porticoQuiet: WorkerOptions;
  /** The hand-written Hono gateway (peers/hono-gateway/), bundled by peers.ts. */
  honoGatewayScript: string;
}

/** How to start one Worker; each runs in its own Miniflare (its own workerd), on its own port. */
export type WorkerFactory = (ctx: BenchContext) => WorkerOptions;

/** How to start one native process (nginx): started on first use, stopped with the pool. */
export type ExternalFactory = (ctx: BenchContext) => Promise<ExternalTarget>;
