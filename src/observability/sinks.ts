/**
 * Where a request's metrics record goes: one record, several sinks.
 *
 * - **Analytics Engine** (`ANALYTICS` bound): one data point per request (analytics-engine.ts).
 * - **The batched store** (metrics.ts): per-isolate samples flushed to the Registry every METRICS_FLUSH_MS. It is
 *   the local store — what the admin API, the dashboard and the automated canary read when Analytics Engine is not
 *   the source — so it keeps running unless Analytics Engine is both written and readable (the SQL API's account
 *   and token set: metrics-reader.ts), when it would only duplicate the data points.
 *
 * A sink is a function of the record: adding one (Logpush, a queue) is one more entry here, not a change to the
 * pipeline.
 */
import type { Env } from "../env.ts";
import { writeDataPoint } from "./analytics-engine.ts";
import { recordResponse } from "./metrics.ts";
import { analyticsReadable } from "./metrics-reader.ts";
import type { RequestRecord } from "./record.ts";

export type MetricsSink = (record: RequestRecord, env: Env, exec: ExecutionContext) => void;

const analyticsSink: MetricsSink = (record, env) => {
  if (env.ANALYTICS) writeDataPoint(env.ANALYTICS, record);
};

const batchedSink: MetricsSink = (record, env, exec) => {
  if (!(env.ANALYTICS && analyticsReadable(env))) recordResponse(env, exec, record);
};

export const SINKS: readonly MetricsSink[] = [analyticsSink, batchedSink];

export function recordRequest(record: RequestRecord, env: Env, exec: ExecutionContext, sinks: readonly MetricsSink[] = SINKS): void {
  for (const sink of sinks) sink(record, env, exec);
}
