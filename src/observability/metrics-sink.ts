/**
 * Where batched metrics go, and where they are read back: the seam the observability work (Workers Analytics
 * Engine) plugs into. Today the sink is the MetricsStore Durable Object, sharded per API (`metrics:<api>:<n>`, n <
 * METRICS_SHARDS): each flush goes to a shard picked at random, so the isolates' flushes spread evenly and no
 * object — least of all the API's Registry — takes a call per isolate per interval. Totals are read from every shard
 * and merged; a shard that cannot be read fails the read (canary analysis then waits rather than judge on part of
 * the traffic).
 */
import { METRICS_CONTRACT, type MetricsStore } from "../../durable-objects/metrics-store/index.ts";
import { mergeByVersion } from "../../durable-objects/registry/metrics-store.ts";
import { valueOf } from "../../durable-objects/contract.ts";
import type { MetricsSample } from "../deploy/types.ts";

/** What reaching the MetricsStore needs of the environment (the Worker's, a hub's, the Registry's). */
export interface MetricsStoreEnv {
  METRICS_STORE: DurableObjectNamespace<MetricsStore>;
  /** How many shards each API's metrics are spread over (default 16). */
  METRICS_SHARDS?: string;
}

export const DEFAULT_METRICS_SHARDS = 16;
export const MAX_METRICS_SHARDS = 256;

/** Receives an isolate's batch for one API. */
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

/** Per version, every shard's totals for a stage since `since`, merged. Throws when a shard cannot be read. */
export async function readStageTotals(env: MetricsStoreEnv, api: string, stage: string, since: number): Promise<MetricsSample[]> {
  const shards = await Promise.all(
    Array.from({ length: metricsShards(env) }, async (_, shard) =>
      valueOf<MetricsSample[]>(await shardStub(env, api, shard).totals({ v: METRICS_CONTRACT, stage, since }), METRICS_CONTRACT, `MetricsStore ${metricsStoreName(api, shard)}`),
    ),
  );
  return mergeByVersion(shards.flat());
}
