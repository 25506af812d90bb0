/**
 * The batched store's client: the API's MetricsStore shards (`metrics:<api>:<n>`, n < METRICS_SHARDS), written once
 * per flush to a shard picked at random (so the isolates' flushes spread evenly and no object — least of all the
 * API's Registry — takes a call per isolate per interval) and read back from every shard, merged. A shard that
 * cannot be read fails the read (canary analysis then waits rather than judge on part of the traffic). Apart from
 * the record sinks (metrics-sink.ts) because the Registry and the hubs use it too: it takes a narrow environment and
 * imports nothing of the pipeline (docs/architecture.md#layers).
 */
import { METRICS_CONTRACT, type MetricsStore } from "../../durable-objects/metrics-store/index.ts";
import { mergeByVersion, mergeBySlot } from "../../durable-objects/registry/metrics-store.ts";
import { valueOf } from "../../durable-objects/contract.ts";
import type { MetricsSample } from "../deploy/types.ts";

export const DEFAULT_METRICS_SHARDS = 16;
export const MAX_METRICS_SHARDS = 256;

/** What reaching the MetricsStore needs of the environment (the Worker's, a hub's, the Registry's). */
export interface MetricsStoreEnv {
  METRICS_STORE: DurableObjectNamespace<MetricsStore>;
  /** How many shards each API's metrics are spread over (default 16). */
  METRICS_SHARDS?: string;
}

/** Receives an isolate's batch for one API (the batched store's writer). */
export interface MetricsSink {
  write(api: string, samples: MetricsSample[]): Promise<void>;
}

/** METRICS_SHARDS, within 1–256 (default 16). Raising it is safe; lowering it hides the dropped shards' last 24 hours. */
export function metricsShards(env: Pick<MetricsStoreEnv, "METRICS_SHARDS">): number {
  const n = Number(env.METRICS_SHARDS);
  return Number.isInteger(n) && n >= 1 && n <= MAX_METRICS_SHARDS ? n : DEFAULT_METRICS_SHARDS;
}

export const metricsStoreName = (api: string, shard: number) => `metrics:${api}:${shard}`;

const shardStub = (env: MetricsStoreEnv, api: string, shard: number) => env.METRICS_STORE.get(env.METRICS_STORE.idFromName(metricsStoreName(api, shard)));

/** The MetricsStore sink: one call per API per flush, to a random shard. */
export function metricsStoreSink(env: MetricsStoreEnv): MetricsSink {
  return {
    async write(api, samples) {
      const shard = Math.floor(Math.random() * metricsShards(env));
      valueOf(await shardStub(env, api, shard).record({ v: METRICS_CONTRACT, samples }), METRICS_CONTRACT, `MetricsStore ${metricsStoreName(api, shard)}`);
    },
  };
}

/** Asks every shard of an API, in parallel; throws when any cannot be read. */
function everyShard(env: MetricsStoreEnv, api: string, ask: (shard: ReturnType<typeof shardStub>) => Promise<unknown>): Promise<MetricsSample[][]> {
  return Promise.all(
    Array.from({ length: metricsShards(env) }, async (_, shard) => valueOf<MetricsSample[]>(await ask(shardStub(env, api, shard)), METRICS_CONTRACT, `MetricsStore ${metricsStoreName(api, shard)}`)),
  );
}

/** Per version, every shard's totals for a stage since `since`, merged. Throws when a shard cannot be read. */
export async function readStageTotals(env: MetricsStoreEnv, api: string, stage: string, since: number): Promise<MetricsSample[]> {
  return mergeByVersion((await everyShard(env, api, (s) => s.totals({ v: METRICS_CONTRACT, stage, since }))).flat());
}

/** Per version and step of `stepMs`, every shard's counts for a stage since `since`, merged. Throws when a shard cannot be read. */
export async function readStageSteps(env: MetricsStoreEnv, api: string, stage: string, since: number, stepMs: number): Promise<MetricsSample[]> {
  return mergeBySlot((await everyShard(env, api, (s) => s.steps({ v: METRICS_CONTRACT, stage, since, stepMs }))).flat());
}
