/** The part of autocannon's in-process API the benchmark uses (the package ships no types). */
declare module "autocannon" {
  export interface Options {
    url: string;
    connections?: number;
    /** Seconds. */
    duration?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    /** Responses whose body differs are counted in `mismatches`. */
    expectBody?: string;
    /** Seconds before a request counts as timed out. */
    timeout?: number;
    /** Return the raw result (encoded histograms) so several runs can be aggregated. */
    skipAggregateResult?: boolean;
  }

  export interface Percentiles {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    p50: number;
    p90: number;
    p99: number;
    p99_9: number;
    totalCount?: number;
  }

  /** A run's result with `skipAggregateResult`: counters plus encoded histograms. */
  export interface RawResult {
    totalCompletedRequests: number;
    totalRequests: number;
    totalBytes: number;
    errors: number;
    timeouts: number;
    mismatches: number;
    non2xx: number;
    resets: number;
    /** Seconds, to two decimals. */
    duration: number;
    statusCodeStats: Record<string, { count: number }>;
  }

  export interface Result extends RawResult {
    /** Milliseconds (integer resolution). */
    latency: Percentiles;
  }

  interface Autocannon {
    /** Returns an event emitter that is also thenable. */
    (options: Options): PromiseLike<RawResult>;
    aggregateResult(results: RawResult[], options?: Partial<Options>): Result;
  }

  const autocannon: Autocannon;
  export default autocannon;
}
