/**
 * Reading the request data points back through Analytics Engine's SQL API
 * (`POST https://api.cloudflare.com/client/v4/accounts/<ANALYTICS_ACCOUNT_ID>/analytics_engine/sql`, bearer
 * ANALYTICS_API_TOKEN — an API token with Account Analytics Read, kept as a Worker secret). The queries follow the
 * layout in analytics-engine.ts; every count is weighted by `_sample_interval`, since Analytics Engine samples
 * busy indexes and each stored row then stands for that many requests.
 *
 * Names go into SQL only after matching the admin API's name patterns (letters, digits, `-`, `_`): nothing a caller
 * sends reaches a query as text.
 */
import type { SeriesPoint, VersionMetrics, VersionSeries } from "../deploy/types.ts";

/** What asking Analytics Engine's SQL API needs of the environment (the Worker's, or a Registry judging a canary). */
export interface AnalyticsSqlEnv {
  /** With ANALYTICS_API_TOKEN: the account whose SQL API answers. */
  ANALYTICS_ACCOUNT_ID?: string;
  /** Secret: an API token with Account Analytics Read. */
  ANALYTICS_API_TOKEN?: string;
  /** The SQL API's address (default Cloudflare's, for ANALYTICS_ACCOUNT_ID); tests point it at a local stand-in. */
  ANALYTICS_SQL_URL?: string;
  /** The dataset ANALYTICS writes to (default `portico_requests`). */
  ANALYTICS_DATASET?: string;
}

const DEFAULT_DATASET = "portico_requests";
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const QUERY_TIMEOUT_MS = 10_000;

export class AnalyticsQueryError extends Error {}

/** The SQL API's address for this Worker. */
export function sqlUrl(env: AnalyticsSqlEnv): string {
  return env.ANALYTICS_SQL_URL || `https://api.cloudflare.com/client/v4/accounts/${env.ANALYTICS_ACCOUNT_ID}/analytics_engine/sql`;
}

function name(value: string): string {
  if (!SAFE_NAME.test(value)) throw new AnalyticsQueryError(`not a name Portico queries by: ${JSON.stringify(value)}`);
  return `'${value}'`;
}

/** Runs one query; rows as objects (FORMAT JSON). */
export async function query(env: AnalyticsSqlEnv, sql: string): Promise<Record<string, unknown>[]> {
  let res: Response;
  try {
    res = await fetch(sqlUrl(env), {
      method: "POST",
      headers: { authorization: `Bearer ${env.ANALYTICS_API_TOKEN ?? ""}`, "content-type": "text/plain" },
      body: sql,
      signal: AbortSignal.timeout(QUERY_TIMEOUT_MS),
    });
  } catch (err) {
    throw new AnalyticsQueryError(`the Analytics Engine SQL API could not be reached: ${(err as Error).message}`);
  }
  const text = await res.text();
  // The API's error text says what was wrong with the query; it never holds the token.
  if (!res.ok) throw new AnalyticsQueryError(`the Analytics Engine SQL API answered ${res.status}: ${text.slice(0, 300)}`);
  try {
    const body = JSON.parse(text) as { data?: unknown };
    if (!Array.isArray(body.data)) throw new Error("no data");
    return body.data as Record<string, unknown>[];
  } catch {
    throw new AnalyticsQueryError("the Analytics Engine SQL API answered something other than FORMAT JSON");
  }
}

const num = (v: unknown): number => {
  const n = typeof v === "number" ? v : Number(v);
  return Number.isFinite(n) ? n : 0;
};
const ms = (v: unknown): number | null => {
  const n = typeof v === "number" ? v : Number(v);
  return Number.isFinite(n) && n >= 0 ? Math.round(n * 100) / 100 : null;
};

function window(env: AnalyticsSqlEnv, api: string, stage: string, sinceMs: number, now: number): string {
  // Whole seconds, rounded: the milliseconds the clock moves between the caller's `since` and this query (I/O runs in
  // between) must not widen an asked-for 30 minutes to 1801 seconds.
  const seconds = Math.max(1, Math.round((now - sinceMs) / 1000));
  return `FROM ${dataset(env)} WHERE blob1 = ${name(api)} AND blob2 = ${name(stage)} AND timestamp > NOW() - INTERVAL '${seconds}' SECOND`;
}

const dataset = (env: AnalyticsSqlEnv) => {
  const d = env.ANALYTICS_DATASET || DEFAULT_DATASET;
  if (!/^[A-Za-z0-9_]{1,64}$/.test(d)) throw new AnalyticsQueryError(`ANALYTICS_DATASET is not a dataset name: ${JSON.stringify(d)}`);
  return d;
};

/** Counts and latency percentiles over every row of a group. */
const COUNTS = `
  SUM(_sample_interval) AS count,
  SUM(IF(double1 >= 400 AND double1 < 500, _sample_interval, 0)) AS c4xx,
  SUM(IF(double1 >= 500, _sample_interval, 0)) AS c5xx,
  SUM(_sample_interval * double4) AS degraded,
  SUM(_sample_interval * double5) AS failClosed,
  SUM(IF(blob8 = 'HIT', _sample_interval, 0)) AS cacheHits,
  SUM(IF(blob8 = 'MISS', _sample_interval, 0)) AS cacheMisses,
  SUM(_sample_interval * double8) AS throttled,
  SUM(_sample_interval * double7) AS refused,
  quantileWeighted(0.5, double2, _sample_interval) AS p50,
  quantileWeighted(0.95, double2, _sample_interval) AS p95,
  quantileWeighted(0.99, double2, _sample_interval) AS p99`;
/** Integration latency percentiles: over the rows that reached an integration only (double3 ≥ 0). */
const INTEGRATION = `
  quantileWeighted(0.5, double3, _sample_interval) AS integrationP50,
  quantileWeighted(0.95, double3, _sample_interval) AS integrationP95,
  quantileWeighted(0.99, double3, _sample_interval) AS integrationP99`;

const roleOf = (version: string, stable: string | null, canary: string | null): VersionMetrics["role"] => (version === stable ? "stable" : version === canary ? "canary" : "other");
const ORDER = { stable: 0, canary: 1, other: 2 };

/** Each version's totals and percentiles on a stage since `sinceMs`, as the local store answers them. */
export async function versionMetricsFromAnalytics(env: AnalyticsSqlEnv, api: string, stage: string, sinceMs: number, stable: string | null, canary: string | null, now = Date.now()): Promise<VersionMetrics[]> {
  const where = window(env, api, stage, sinceMs, now);
  const [rows, integration] = await Promise.all([
    query(env, `SELECT blob3 AS version, ${COUNTS} ${where} GROUP BY version FORMAT JSON`),
    query(env, `SELECT blob3 AS version, ${INTEGRATION} ${where} AND double3 >= 0 GROUP BY version FORMAT JSON`),
  ]);
  const byVersion = new Map(integration.map((r) => [String(r.version), r]));
  return rows
    .map((r): VersionMetrics => {
      const version = String(r.version);
      const i = byVersion.get(version) ?? {};
      const count = num(r.count);
      return {
        version,
        role: roleOf(version, stable, canary),
        count,
        c4xx: num(r.c4xx),
        c5xx: num(r.c5xx),
        errorRate4xx: count ? num(r.c4xx) / count : 0,
        errorRate5xx: count ? num(r.c5xx) / count : 0,
        degraded: num(r.degraded),
        failClosed: num(r.failClosed),
        cacheHits: num(r.cacheHits),
        cacheMisses: num(r.cacheMisses),
        throttled: num(r.throttled),
        refused: num(r.refused),
        p50: ms(r.p50),
        p95: ms(r.p95),
        p99: ms(r.p99),
        integrationP50: ms(i.integrationP50),
        integrationP95: ms(i.integrationP95),
        integrationP99: ms(i.integrationP99),
      };
    })
    .sort((a, b) => ORDER[a.role] - ORDER[b.role] || b.count - a.count);
}

/** Each version's counts and percentiles per step of `stepSeconds`: the dashboard's charts. */
export async function versionSeriesFromAnalytics(env: AnalyticsSqlEnv, api: string, stage: string, sinceMs: number, stepSeconds: number, stable: string | null, canary: string | null, now = Date.now()): Promise<VersionSeries[]> {
  const step = Math.max(1, Math.floor(stepSeconds));
  const where = window(env, api, stage, sinceMs, now);
  const bucket = `toUnixTimestamp(toStartOfInterval(timestamp, INTERVAL '${step}' SECOND)) AS t`;
  const [rows, integration] = await Promise.all([
    query(env, `SELECT blob3 AS version, ${bucket}, ${COUNTS} ${where} GROUP BY version, t ORDER BY t FORMAT JSON`),
    query(env, `SELECT blob3 AS version, ${bucket}, ${INTEGRATION} ${where} AND double3 >= 0 GROUP BY version, t ORDER BY t FORMAT JSON`),
  ]);
  const integrationAt = new Map(integration.map((r) => [`${String(r.version)}@${num(r.t)}`, r]));
  const byVersion = new Map<string, SeriesPoint[]>();
  for (const r of rows) {
    const version = String(r.version);
    const t = num(r.t) * 1000;
    const i = integrationAt.get(`${version}@${num(r.t)}`) ?? {};
    let points = byVersion.get(version);
    if (!points) byVersion.set(version, (points = []));
    points.push({
      t,
      count: num(r.count),
      c4xx: num(r.c4xx),
      c5xx: num(r.c5xx),
      p50: ms(r.p50),
      p99: ms(r.p99),
      integrationP50: ms(i.integrationP50),
      integrationP99: ms(i.integrationP99),
      cacheHits: num(r.cacheHits),
      cacheMisses: num(r.cacheMisses),
      throttled: num(r.throttled),
      refused: num(r.refused),
    });
  }
  return [...byVersion]
    .map(([version, points]) => ({ version, role: roleOf(version, stable, canary), points: points.sort((a, b) => a.t - b.t) }))
    .sort((a, b) => ORDER[a.role] - ORDER[b.role]);
}
