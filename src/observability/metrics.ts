/**
 * Per-version metrics from the data plane, batched per app (its AppState; a hub's own): each response adds to an
 * in-memory sample per (API, stage, version, slot), and the batch goes to a sink (metrics-store-client.ts: the API's
 * MetricsStore shards, never its Registry) in one RPC per API at most every METRICS_FLUSH_MS (default 5 s) through
 * `waitUntil` — never a Durable Object write per request.
 */
import { withTimeout } from "../deploy/registry-client.ts";
import { METRICS_SLOT_MS, type MetricsSample } from "../deploy/types.ts";
import { emptyHistogram, mergeInto, observe } from "./histogram.ts";
import { metricsStoreSink, type MetricsSink, type MetricsStoreEnv } from "./metrics-store-client.ts";

/** What recording and flushing metrics needs of the environment. */
export interface MetricsEnv extends MetricsStoreEnv {
  /** How often an isolate sends its batched metrics, in ms (default 5000). */
  METRICS_FLUSH_MS?: string;
}

const DEFAULT_FLUSH_MS = 5000;
const MAX_PENDING_SAMPLES = 500;
/** A flush that takes longer is abandoned (metrics are best-effort; a request's background work must end). */
const FLUSH_WAIT_MS = 5000;

export interface Observation {
  api: string;
  stage: string;
  version: string;
  status: number;
  latencyMs: number;
  integrationLatencyMs: number | undefined;
  /** Throttle/quota decisions this request got without their Durable Object. */
  degraded?: number;
  /** Refusals because a dependency could not be trusted (stale JWKS keys). */
  failClosed?: number;
  cache?: "HIT" | "MISS" | "BYPASS";
  /** Refused by a token bucket or a quota (429). */
  throttled?: boolean;
  /** Refused by the gateway for who or what the request is (4xx gateway responses other than throttling). */
  refused?: boolean;
}

/** WebSocket counts from a hub (connections and messages are not HTTP responses: no status, no latency). */
export interface WebSocketObservation {
  api: string;
  stage: string;
  version: string;
  wsConnects?: number;
  wsDisconnects?: number;
  wsMessages?: number;
  wsMessagesOut?: number;
}

export class MetricsBuffer {
  #byApi = new Map<string, Map<string, MetricsSample>>();
  #size = 0;
  #lastFlush = Date.now();

  #sample(api: string, stage: string, version: string, now: number): MetricsSample {
    let samples = this.#byApi.get(api);
    if (!samples) this.#byApi.set(api, (samples = new Map()));
    const slot = now - (now % METRICS_SLOT_MS);
    const key = `${stage}\n${version}\n${slot}`;
    let sample = samples.get(key);
    if (!sample) {
      sample = { stage, version, slot, count: 0, c4xx: 0, c5xx: 0, degraded: 0, latency: emptyHistogram(), integrationLatency: emptyHistogram() };
      samples.set(key, sample);
      this.#size++;
    }
    return sample;
  }

  /** Adds a hub's WebSocket counts to the (API, stage, version, slot) sample. */
  recordWebSocket(o: WebSocketObservation, now = Date.now()): void {
    const sample = this.#sample(o.api, o.stage, o.version, now);
    if (o.wsConnects) sample.wsConnects = (sample.wsConnects ?? 0) + o.wsConnects;
    if (o.wsDisconnects) sample.wsDisconnects = (sample.wsDisconnects ?? 0) + o.wsDisconnects;
    if (o.wsMessages) sample.wsMessages = (sample.wsMessages ?? 0) + o.wsMessages;
    if (o.wsMessagesOut) sample.wsMessagesOut = (sample.wsMessagesOut ?? 0) + o.wsMessagesOut;
  }

  record(o: Observation, now = Date.now()): void {
    const sample = this.#sample(o.api, o.stage, o.version, now);
    sample.count++;
    sample.degraded = (sample.degraded ?? 0) + (o.degraded ?? 0);
    if (o.failClosed) sample.failClosed = (sample.failClosed ?? 0) + o.failClosed;
    if (o.cache === "HIT") sample.cacheHits = (sample.cacheHits ?? 0) + 1;
    else if (o.cache === "MISS") sample.cacheMisses = (sample.cacheMisses ?? 0) + 1;
    if (o.throttled) sample.throttled = (sample.throttled ?? 0) + 1;
    if (o.refused) sample.refused = (sample.refused ?? 0) + 1;
    if (o.status >= 500) sample.c5xx++;
    else if (o.status >= 400) sample.c4xx++;
    observe(sample.latency, o.latencyMs);
    if (o.integrationLatencyMs !== undefined) observe(sample.integrationLatency, o.integrationLatencyMs);
  }

  /**
   * Puts back samples whose flush failed, merged with any recorded since, so an outage of the Registry — when
   * failures worth counting happen — does not lose them. Bounded like recording: past MAX_PENDING_SAMPLES new
   * keys are dropped.
   */
  restore(api: string, samples: readonly MetricsSample[]): void {
    let mine = this.#byApi.get(api);
    if (!mine) this.#byApi.set(api, (mine = new Map()));
    for (const s of samples) {
      const key = `${s.stage}\n${s.version}\n${s.slot}`;
      const sample = mine.get(key);
      if (!sample) {
        if (this.#size >= MAX_PENDING_SAMPLES * 2) continue;
        mine.set(key, s);
        this.#size++;
        continue;
      }
      sample.count += s.count;
      sample.c4xx += s.c4xx;
      sample.c5xx += s.c5xx;
      sample.degraded = (sample.degraded ?? 0) + (s.degraded ?? 0);
      if (s.failClosed) sample.failClosed = (sample.failClosed ?? 0) + s.failClosed;
      if (s.cacheHits) sample.cacheHits = (sample.cacheHits ?? 0) + s.cacheHits;
      if (s.cacheMisses) sample.cacheMisses = (sample.cacheMisses ?? 0) + s.cacheMisses;
      if (s.throttled) sample.throttled = (sample.throttled ?? 0) + s.throttled;
      if (s.refused) sample.refused = (sample.refused ?? 0) + s.refused;
      if (s.wsConnects) sample.wsConnects = (sample.wsConnects ?? 0) + s.wsConnects;
      if (s.wsDisconnects) sample.wsDisconnects = (sample.wsDisconnects ?? 0) + s.wsDisconnects;
      if (s.wsMessages) sample.wsMessages = (sample.wsMessages ?? 0) + s.wsMessages;
      if (s.wsMessagesOut) sample.wsMessagesOut = (sample.wsMessagesOut ?? 0) + s.wsMessagesOut;
      mergeInto(sample.latency, s.latency);
      mergeInto(sample.integrationLatency, s.integrationLatency);
    }
  }

  due(flushMs: number, now = Date.now()): boolean {
    return this.#size > 0 && (now - this.#lastFlush >= flushMs || this.#size >= MAX_PENDING_SAMPLES);
  }

  /** Takes everything recorded so far, grouped by API. */
  drain(now = Date.now()): Map<string, MetricsSample[]> {
    const out = new Map<string, MetricsSample[]>();
    for (const [api, samples] of this.#byApi) out.set(api, [...samples.values()]);
    this.#byApi = new Map();
    this.#size = 0;
    this.#lastFlush = now;
    return out;
  }
}

/**
 * Sends the buffer to the sink; a failed batch is logged and put back for the next flush (bounded), since an
 * outage is when the failures worth counting happen. (A batch that timed out may have been written: metrics are
 * best-effort, and a rare double count beats losing an outage's 503s.)
 */
export async function flushMetrics(env: MetricsEnv, buffer: MetricsBuffer, sink: MetricsSink = metricsStoreSink(env)): Promise<void> {
  const batches = buffer.drain();
  await Promise.all(
    [...batches].map(([api, samples]) =>
      withTimeout(sink.write(api, samples), FLUSH_WAIT_MS, "the metrics store").catch((err: unknown) => {
        console.error(JSON.stringify({ level: "warn", event: "metrics-flush-failed", api, samples: samples.length, reason: (err as Error).message }));
        buffer.restore(api, samples);
      }),
    ),
  );
}

/** Records one response, and flushes in the background when the batch is due. */
export function recordResponse(env: MetricsEnv, exec: ExecutionContext, o: Observation, buffer: MetricsBuffer): void {
  buffer.record(o);
  if (buffer.due(Number(env.METRICS_FLUSH_MS) || DEFAULT_FLUSH_MS)) exec.waitUntil(flushMetrics(env, buffer));
}
