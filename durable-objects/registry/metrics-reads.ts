/**
 * The Registry's metrics reads: each version's totals (the admin API, automated canaries) and its counts per step
 * (the dashboard's charts), merged from every MetricsStore shard of the API and the instance's own table (batches
 * from the previous release, metrics-store.ts); automated canaries read Analytics Engine instead when the Worker
 * reads metrics there. registry.ts answers the RPC calls with these.
 */
import { METRICS_SLOT_MS, type VersionMetrics, type VersionSeries } from "../../src/deploy/types.ts";
import { versionMetricsFromAnalytics } from "../../src/observability/analytics-sql.ts";
import { analyticsReadable } from "../../src/observability/metrics-reader.ts";
import { readStageSteps, readStageTotals } from "../../src/observability/metrics-store-client.ts";
import type { StageMetricsCall, StageSeriesCall } from "./contract.ts";
import type { RegistryObjectEnv } from "./env.ts";
import { mergeBySlot, mergeByVersion, seriesOf, stageSteps, stageTotals, summarize } from "./metrics-store.ts";
import * as stages from "./stages.ts";
import { fail, type Result } from "./stages.ts";

/** What the reads need of the Registry instance. */
export interface MetricsHost {
  env: RegistryObjectEnv;
  sql: SqlStorage;
  /** The API this instance holds ("" before its first deploy). */
  api: string;
}

/** Every MetricsStore shard's totals plus this instance's own table, per version. */
export async function versionTotals(host: MetricsHost, stage: string, since: number, stable: string | null, canary: string | null, api = host.api): Promise<VersionMetrics[]> {
  const shards = await readStageTotals(host.env, api, stage, since);
  return summarize(mergeByVersion([...stageTotals(host.sql, stage, since), ...shards]), stable, canary);
}

/**
 * What automated canaries are judged on: Analytics Engine's SQL API when the Worker reads metrics there (its
 * isolates then skip the batched store: metrics-sink.ts), else the local store. Either way a failed read throws,
 * and the canary is judged at the next check, never on part of the traffic.
 */
export function canaryMetrics(host: MetricsHost, stage: string, since: number, stable: string, canary: string): Promise<VersionMetrics[]> {
  if (analyticsReadable(host.env)) return versionMetricsFromAnalytics(host.env, host.api, stage, since, stable, canary);
  return versionTotals(host, stage, since, stable, canary);
}

/** An instance that holds an API answers only for it; one that holds none reads the API its caller names. */
function otherApi(host: MetricsHost, api: string | undefined): Result<never> | null {
  return host.api && api !== undefined && api !== host.api ? fail(400, `this instance holds API ${host.api}, not ${api}`, "api") : null;
}

/** The stage's totals per version (stable and canary named), or 503 when a shard cannot be read. */
export async function stageMetrics(host: MetricsHost, call: StageMetricsCall): Promise<Result<VersionMetrics[]>> {
  const refused = otherApi(host, call.api);
  if (refused) return refused;
  const state = stages.readStage(host.sql, host.api, call.stage);
  try {
    return { ok: true, value: await versionTotals(host, call.stage, call.since, state?.deploymentId ?? null, state?.canary?.deploymentId ?? null, host.api || call.api || "") };
  } catch (err) {
    return fail(503, `metrics unavailable: ${(err as Error).message}`);
  }
}

/** Each version's counts per step (the dashboard's charts) from the local store: every shard plus this instance's own table. */
export async function stageSeries(host: MetricsHost, call: StageSeriesCall): Promise<Result<VersionSeries[]>> {
  const refused = otherApi(host, call.api);
  if (refused) return refused;
  if (!Number.isInteger(call.stepMs) || call.stepMs <= 0 || call.stepMs % METRICS_SLOT_MS !== 0 || call.stepMs > 86_400_000)
    return fail(400, `stepMs must be a multiple of ${METRICS_SLOT_MS} up to a day`, "stepMs");
  const state = stages.readStage(host.sql, host.api, call.stage);
  try {
    const shards = await readStageSteps(host.env, host.api || call.api || "", call.stage, call.since, call.stepMs);
    const steps = mergeBySlot([...stageSteps(host.sql, call.stage, call.since, call.stepMs), ...shards]);
    return { ok: true, value: seriesOf(steps, state?.deploymentId ?? null, state?.canary?.deploymentId ?? null) };
  } catch (err) {
    return fail(503, `metrics unavailable: ${(err as Error).message}`);
  }
}
