/**
 * What `npm run bench` measures: the Workers it runs, and the scenarios, each a Portico request paired with the
 * bare Worker that does the same job with nothing else. A new scenario (a JWT-authorized route, a throttled
 * route, cache hits) is a route in bench-api.yaml and an entry in SCENARIOS; a new kind of baseline is an entry
 * in WORKERS.
 */
import type { WorkerOptions } from "miniflare";

/** What the harness knows when it starts the Workers. */
export interface BenchContext {
  /** The local upstream's base URL (`/hello` answers 200 "hello"). */
  upstream: string;
  /** Miniflare options for the Portico Worker built by `build()` (bindings from wrangler.toml). */
  portico: WorkerOptions;
}

/** How to start one Worker; each runs in its own Miniflare (its own workerd), on its own port. */
export type WorkerFactory = (ctx: BenchContext) => WorkerOptions;

export const WORKERS: Record<string, WorkerFactory> = {
  portico: (ctx) => ctx.portico,
  "bare-hello": () => ({
    modules: true,
    script: `export default { fetch() { return new Response("hello"); } };`,
  }),
  "bare-proxy": (ctx) => ({
    modules: true,
    script: `export default { fetch(request, env) { return fetch(env.UPSTREAM + "/hello"); } };`,
    bindings: { UPSTREAM: ctx.upstream },
  }),
};

/** One request shape, repeated by every connection. */
export interface Target {
  /** A key of WORKERS. */
  worker: string;
  /** Path on that Worker (for Portico, with the stage: `/bench/hello`). */
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Every response must carry this body (checked once before the run and counted during it). */
  expectBody: string;
}

export interface Scenario extends Target {
  name: string;
  /** The bare Worker doing the same job; Portico's throughput is reported as a ratio of its. */
  baseline: Target & { name: string };
  /** The lowest acceptable ratio of Portico's req/s to the baseline's. */
  targetRatio: number;
  /** Runs once before the scenario's warm-up (prime a cache, publish a definition …). */
  setup?: (urls: Record<string, URL>) => Promise<void>;
}

export const SCENARIOS: Scenario[] = [
  {
    name: "mock route",
    worker: "portico",
    path: "/bench/hello",
    expectBody: "hello",
    baseline: { name: "bare hello Worker", worker: "bare-hello", path: "/", expectBody: "hello" },
    targetRatio: 0.85,
  },
  {
    name: "http_proxy route",
    worker: "portico",
    path: "/bench/proxy",
    expectBody: "hello",
    baseline: { name: "bare fetch-proxy Worker", worker: "bare-proxy", path: "/", expectBody: "hello" },
    targetRatio: 0.85,
  },
];
