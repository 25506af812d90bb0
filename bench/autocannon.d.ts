/** The part of autocannon's in-process API the benchmark uses (the package ships no types). */
declare module "autocannon" {
  /** One request template of `requests`; `setupRequest` may change it per request. */
  export interface RequestTemplate {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
    /** Called before each request is built; `context` is the connection's (reset between rounds of `requests`). */
    setupRequest?: (request: RequestTemplate, context: Record<string, unknown>) => RequestTemplate;
    /** Called with each response, before the connection's next request is set up. Header names as sent. */
    onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string | string[]>) => void;
  }

  export interface Options {
    url: string;
    connections?: number;
    /** Seconds. */
    duration?: number;
    /** Send exactly this many requests (overrides duration). */
    amount?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    /** Responses whose body differs are counted in `mismatches` (not with `requests`: use verifyBody). */
    expectBody?: string;
    /** Responses for which this returns false are counted in `mismatches`. */
    verifyBody?: (body: string) => boolean;
    /** Request templates, sent in turn by every connection. */
    requests?: RequestTemplate[];
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
