/**
 * Where metrics are read back from — for the admin API, the CLI, the dashboard and the automated canary — behind
 * one small interface, so each of them works on either source:
 *
 * - **Analytics Engine** (production): when the Worker has ANALYTICS_ACCOUNT_ID and the ANALYTICS_API_TOKEN secret
 *   (or, for tests, ANALYTICS_SQL_URL), queries go to the SQL API (analytics-sql.ts);
 * - **the local store** otherwise (`wrangler dev`, tests, a Worker without those secrets): the batched per-version
 *   slots in the API's MetricsStore shards, merged by its Registry (durable-objects/registry/metrics-store.ts), the
 *   same queries answered there (src/admin/metrics.ts).
 */
import type { VersionMetrics, VersionSeries } from "../deploy/types.ts";
import { versionMetricsFromAnalytics, versionSeriesFromAnalytics, type AnalyticsSqlEnv } from "./analytics-sql.ts";

export type MetricsSource = "analytics-engine" | "local";

export interface MetricsReader {
  readonly source: MetricsSource;
  versions(api: string, stage: string, sinceMs: number, stable: string | null, canary: string | null): Promise<VersionMetrics[]>;
  series(api: string, stage: string, sinceMs: number, stepSeconds: number, stable: string | null, canary: string | null): Promise<VersionSeries[]>;
}

/** True when the SQL API can be asked: an account and a token (or a stand-in URL for tests). */
export function analyticsReadable(env: AnalyticsSqlEnv): boolean {
  return !!env.ANALYTICS_API_TOKEN && !!(env.ANALYTICS_ACCOUNT_ID || env.ANALYTICS_SQL_URL);
}

export function analyticsReader(env: AnalyticsSqlEnv): MetricsReader {
  return {
    source: "analytics-engine",
    versions: (api, stage, since, stable, canary) => versionMetricsFromAnalytics(env, api, stage, since, stable, canary),
    series: (api, stage, since, step, stable, canary) => versionSeriesFromAnalytics(env, api, stage, since, step, stable, canary),
  };
}
