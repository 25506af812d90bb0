/** The shapes of what the bench measures: requests, targets, scenarios and the sections they belong to. */
import type { WorkerPool } from "./pool.ts";

/** One request: what a fixed target sends every time, or what a stream draws per request. */
export interface RequestShape {
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Requests that vary per request (rotating tokens, many cache keys); one is made per side of a pair. */
export interface RequestStream {
  /** The next request to send. */
  next(): RequestShape;
  /** The measured slices start (after the warm-up): `counts` counts from here. */
  begin?(): void | Promise<void>;
  /** What the stream counted over the measured slices (kept with the side's result). */
  counts?(): Record<string, number> | Promise<Record<string, number>>;
}

/** One target of a pair: a Worker (or process) and the request every connection repeats, or a stream. */
export interface Target {
  /** A key of WORKERS or EXTERNAL. */
  worker: string;
  /** Path on that target (for Portico, with the stage: `/bench/hello`); with a stream, what its paths look like. */
  path: string;
  method?: string;
  /** Request headers; a function when they are only known at run time (a token signed by run.ts). */
  headers?: Record<string, string> | (() => Record<string, string>);
  body?: string;
  /** Requests drawn per request instead of the fixed one above (a new stream per side and run; it gets the pool). */
  stream?: (pool: WorkerPool) => RequestStream;
  /** Every response must carry this body (checked once before the run and counted during it). */
  expectBody: string;
  /** …and these response headers (lower-case names), e.g. `x-cache: HIT`; a wrong one counts as a mismatch. */
  expectHeaders?: Record<string, string>;
}

/** The benchmark's sections; `npm run bench -- <section>` runs one. */
export const SECTIONS = ["overhead", "deployments", "jwt", "throttle", "cache", "templates", "integrations", "observability", "peers", "overload", "routing", "websocket"] as const;
export type Section = (typeof SECTIONS)[number];

export interface Scenario extends Target {
  name: string;
  /** Its letter in issue 12's list of benchmarks ((a) full pipeline … (g) overload), where it has one. */
  item?: string;
  section: Exclude<Section, "routing" | "overload"> | "noise";
  /** The measured side's name in tables; default `Portico <name>`. */
  label?: string;
  /** The reference doing the same job with less; Portico's throughput is reported as a ratio of its. */
  baseline: Target & { name: string };
  /** The lowest acceptable ratio of Portico's req/s to the baseline's; null: reported for reference only. */
  targetRatio: number | null;
  /** At least this many interleaved slices (a small target difference needs finer interleaving). */
  slices?: number;
  /** Why the scenario cannot run on this machine (nginx not installed), or null: it is skipped with that line. */
  unavailable?: () => string | null;
  /**
   * Runs once before the sides start (create an API key, prime a cache, publish a definition …); it may start
   * the targets it needs through the pool.
   */
  setup?: (pool: WorkerPool, log: (line: string) => void) => Promise<void>;
}

