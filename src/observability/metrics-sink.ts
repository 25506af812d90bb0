/**
 * Where a request's metrics go, and where the batched store is read back: the seam between the pipeline and the
 * metrics backends. One record per request (record.ts) goes to every sink in RECORD_SINKS:
 *
 * - **Analytics Engine** (`ANALYTICS` bound): one data point per request (analytics-engine.ts), no Durable Object.
 * - **The batched store** (metrics.ts): per-isolate samples, flushed every METRICS_FLUSH_MS to the API's MetricsStore
 *   shards (`metrics:<api>:<n>`, n < METRICS_SHARDS; each flush to a shard picked at random, so the isolates' flushes
 *   spread evenly and no object — least of all the API's Registry — takes a call per isolate per interval). It is the
 *   local store — what the admin API, the dashboard and the automated canary read when Analytics Engine is not the
 *   source — so it keeps running unless Analytics Engine is both written and readable (the SQL API's account and
 *   token set: metrics-reader.ts), when it would only duplicate the data points. WebSocket hubs' connection and
 *   message counts are not requests: they always go to the batched store (metrics.ts `recordWebSocket`).
 *
 * A sink is a function of the record: adding one (Logpush, a queue) is one more entry in RECORD_SINKS, not a change to
 * the pipeline. Totals are read from every shard and merged; a shard that cannot be read fails the read (canary
 * analysis then waits rather than judge on part of the traffic).
 */
import { METRICS_CONTRACT } from "../../durable-objects/metrics-store/index.ts";
import { mergeByVersion, mergeBySlot } from "../../durable-objects/registry/metrics-store.ts";
import { valueOf } from "../../durable-objects/contract.ts";
import type { MetricsSample } from "../deploy/types.ts";
import type { Env } from "../env.ts";
import { writeDataPoint } from "./analytics-engine.ts";
import { recordResponse } from "./metrics.ts";
import { analyticsReadable } from "./metrics-reader.ts";
import type { RequestRecord } from "./record.ts";

export const DEFAULT_METRICS_SHARDS = 16;
export const MAX_METRICS_SHARDS = 256;

/** Takes one request's record (synchronously: any I/O goes through `waitUntil`). */
export type RecordSink = (record: RequestRecord, env: Env, exec: ExecutionContext) => void;

const analyticsSink: RecordSink = (record, env) => {
  if (env.ANALYTICS) writeDataPoint(env.ANALYTICS, record);
};

const batchedSink: RecordSink = (record, env, exec) => {
  if (!(env.ANALYTICS && analyticsReadable(env))) recordResponse(env, exec, record);
};

export const RECORD_SINKS: readonly RecordSink[] = [analyticsSink, batchedSink];

/** Hands one request's record to every sink. */
export function recordRequest(record: RequestRecord, env: Env, exec: ExecutionContext, sinks: readonly RecordSink[] = RECORD_SINKS): void {
  for (const sink of sinks) sink(record, env, exec);
}

/** Receives an isolate's batch for one API (the batched store's writer). */
export interface MetricsSink {
  write(api: string, samples: MetricsSample[]): Promise<void>;
}

/** METRICS_SHARDS, within 1–256 (default 16). Raising it is safe; lowering it hides the dropped shards' last 24 hours. */
export function metricsShards(env: Pick<Env, "METRICS_SHARDS">): number {
  const n = Number(env.METRICS_SHARDS);
  return Number.isInteger(n) && n >= 1 && n <= MAX_METRICS_SHARDS ? n : DEFAULT_METRICS_SHARDS;
}

export const metricsStoreName = (api: string, shard: number) => `metrics:${api}:${shard}`;

const shardStub = (env: Env, api: string, shard: number) => env.METRICS_STORE.get(env.METRICS_STORE.idFromName(metricsStoreName(api, shard)));

/** The MetricsStore sink: one call per API per flush, to a random shard. */
export function metricsStoreSink(env: Env): MetricsSink {
  return {
    async write(api, samples) {
      const shard = Math.floor(Math.random() * metricsShards(env));
      valueOf(await shardStub(env, api, shard).record({ v: METRICS_CONTRACT, samples }), METRICS_CONTRACT, `MetricsStore ${metricsStoreName(api, shard)}`);
    },
  };
}

/** Asks every shard of an API, in parallel; throws when any cannot be read. */
function everyShard(env: Env, api: string, ask: (shard: ReturnType<typeof shardStub>) => Promise<unknown>): Promise<MetricsSample[][]> {
  return Promise.all(
    Array.from({ length: metricsShards(env) }, async (_, shard) => valueOf<MetricsSample[]>(await ask(shardStub(env, api, shard)), METRICS_CONTRACT, `MetricsStore ${metricsStoreName(api, shard)}`)),
  );
}

/** Per version, every shard's totals for a stage since `since`, merged. Throws when a shard cannot be read. */
export async function readStageTotals(env: Env, api: string, stage: string, since: number): Promise<MetricsSample[]> {
  return mergeByVersion((await everyShard(env, api, (s) => s.totals({ v: METRICS_CONTRACT, stage, since }))).flat());
}

/** Per version and step of `stepMs`, every shard's counts for a stage since `since`, merged. Throws when a shard cannot be read. */
export async function readStageSteps(env: Env, api: string, stage: string, since: number, stepMs: number): Promise<MetricsSample[]> {
  return mergeBySlot((await everyShard(env, api, (s) => s.steps({ v: METRICS_CONTRACT, stage, since, stepMs }))).flat());
}
