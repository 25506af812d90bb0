/**
 * Where a request's metrics go: the seam between the pipeline and the
 * metrics backends. One record per request (record.ts) goes to every sink in RECORD_SINKS:
 *
 * - **Analytics Engine** (`ANALYTICS` bound): one data point per request (analytics-engine.ts), no Durable Object.
 * - **The batched store** (metrics.ts): the app's samples (its AppState's MetricsBuffer), flushed every
 *   METRICS_FLUSH_MS to the API's MetricsStore shards (metrics-store-client.ts, which also reads them back). It is the
 *   local store — what the admin API, the dashboard and the automated canary read when Analytics Engine is not the
 *   source — so it keeps running unless Analytics Engine is both written and readable (the SQL API's account and
 *   token set: metrics-reader.ts), when it would only duplicate the data points. WebSocket hubs' connection and
 *   message counts are not requests: they always go to the batched store (metrics.ts `recordWebSocket`).
 *
 * A sink is a function of the record: adding one (Logpush, a queue) is one more entry in RECORD_SINKS, not a change to
 * the pipeline.
 */
import type { Env } from "../env.ts";
import { writeDataPoint } from "./analytics-engine.ts";
import { recordResponse, type MetricsBuffer } from "./metrics.ts";
import { analyticsReadable } from "./metrics-reader.ts";
import type { RequestRecord } from "./record.ts";

/**
 * Takes one request's record (synchronously: any I/O goes through `waitUntil`). `metrics` is the serving app's
 * buffer (its AppState): a sink that batches keeps its batch there, never in the module.
 */
export type RecordSink = (record: RequestRecord, env: Env, exec: ExecutionContext, metrics: MetricsBuffer) => void;

const analyticsSink: RecordSink = (record, env) => {
  if (env.ANALYTICS) writeDataPoint(env.ANALYTICS, record);
};

const batchedSink: RecordSink = (record, env, exec, metrics) => {
  if (!(env.ANALYTICS && analyticsReadable(env))) recordResponse(env, exec, record, metrics);
};

export const RECORD_SINKS: readonly RecordSink[] = [analyticsSink, batchedSink];

/** Hands one request's record to every sink, with the serving app's metrics buffer. */
export function recordRequest(record: RequestRecord, env: Env, exec: ExecutionContext, metrics: MetricsBuffer, sinks: readonly RecordSink[] = RECORD_SINKS): void {
  for (const sink of sinks) sink(record, env, exec, metrics);
}
