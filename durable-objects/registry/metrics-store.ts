/**
 * Per-version metrics tables (SQL helpers): a MetricsStore shard merges the batches isolates flush into slots of
 * METRICS_SLOT_MS per stage and version (one write per isolate per flush, never one per request); the Registry keeps
 * the same table for batches from the previous release (v0 `recordMetrics`), and reads every shard's totals (or
 * series) plus its own to judge canaries and answer the admin API. This is the local store: what the admin API, the
 * dashboard and the automated canary read when Analytics Engine is not the source (src/observability/metrics-reader.ts).
 */
import { emptyHistogram, mergeInto, percentile } from "../../src/observability/histogram.ts";
import type { MetricsSample, SeriesPoint, VersionMetrics, VersionSeries } from "../../src/deploy/types.ts";

/** Slots older than this are dropped as new ones arrive. */
export const METRICS_RETENTION_MS = 24 * 60 * 60 * 1000;

interface Row extends Record<string, SqlStorageValue> {
  version: string;
  slot: number;
  count: number;
  c4xx: number;
  c5xx: number;
  degraded: number;
  fail_closed: number;
  cache_hits: number;
  cache_misses: number;
  throttled: number;
  refused: number;
  ws_connects: number;
  ws_disconnects: number;
  ws_messages: number;
  ws_messages_out: number;
  latency: string;
  integration_latency: string;
}

const COLUMNS =
  "version, slot, count, c4xx, c5xx, degraded, fail_closed, cache_hits, cache_misses, throttled, refused, ws_connects, ws_disconnects, ws_messages, ws_messages_out, latency, integration_latency";

export function recordSamples(sql: SqlStorage, samples: MetricsSample[], now: number): void {
  for (const s of samples) {
    const existing = sql.exec<Row>(`SELECT ${COLUMNS} FROM metrics WHERE stage = ? AND version = ? AND slot = ?`, s.stage, s.version, s.slot).toArray()[0];
    const latency = existing ? (JSON.parse(existing.latency) as number[]) : emptyHistogram();
    const integration = existing ? (JSON.parse(existing.integration_latency) as number[]) : emptyHistogram();
    mergeInto(latency, s.latency);
    mergeInto(integration, s.integrationLatency);
    sql.exec(
      "INSERT OR REPLACE INTO metrics (stage, version, slot, count, c4xx, c5xx, degraded, fail_closed, cache_hits, cache_misses, throttled, refused, ws_connects, ws_disconnects, ws_messages, ws_messages_out, latency, integration_latency) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      s.stage,
      s.version,
      s.slot,
      (existing?.count ?? 0) + s.count,
      (existing?.c4xx ?? 0) + s.c4xx,
      (existing?.c5xx ?? 0) + s.c5xx,
      (existing?.degraded ?? 0) + (s.degraded ?? 0),
      (existing?.fail_closed ?? 0) + (s.failClosed ?? 0),
      (existing?.cache_hits ?? 0) + (s.cacheHits ?? 0),
      (existing?.cache_misses ?? 0) + (s.cacheMisses ?? 0),
      (existing?.throttled ?? 0) + (s.throttled ?? 0),
      (existing?.refused ?? 0) + (s.refused ?? 0),
      (existing?.ws_connects ?? 0) + (s.wsConnects ?? 0),
      (existing?.ws_disconnects ?? 0) + (s.wsDisconnects ?? 0),
      (existing?.ws_messages ?? 0) + (s.wsMessages ?? 0),
      (existing?.ws_messages_out ?? 0) + (s.wsMessagesOut ?? 0),
      JSON.stringify(latency),
      JSON.stringify(integration),
    );
  }
  sql.exec("DELETE FROM metrics WHERE slot < ?", now - METRICS_RETENTION_MS);
}

/** Each version's totals and percentiles on a stage since `since` (ms), from this table alone. */
export function versionMetrics(sql: SqlStorage, stage: string, since: number, stable: string | null, canary: string | null): VersionMetrics[] {
  return summarize(stageTotals(sql, stage, since), stable, canary);
}

const sampleOf = (stage: string, slot: number, row: Row): MetricsSample => ({
  stage,
  version: row.version,
  slot,
  count: row.count,
  c4xx: row.c4xx,
  c5xx: row.c5xx,
  degraded: row.degraded,
  failClosed: row.fail_closed,
  cacheHits: row.cache_hits,
  cacheMisses: row.cache_misses,
  throttled: row.throttled,
  refused: row.refused,
  wsConnects: row.ws_connects,
  wsDisconnects: row.ws_disconnects,
  wsMessages: row.ws_messages,
  wsMessagesOut: row.ws_messages_out,
  latency: JSON.parse(row.latency) as number[],
  integrationLatency: JSON.parse(row.integration_latency) as number[],
});

/**
 * Per version, everything recorded on a stage since `since`, summed into one sample each (`slot` is `since`): what a
 * MetricsStore shard answers, small whatever the window (one histogram pair per version, not one per slot).
 */
export function stageTotals(sql: SqlStorage, stage: string, since: number): MetricsSample[] {
  const byKey = new Map<string, MetricsSample>();
  for (const row of sql.exec<Row>(`SELECT ${COLUMNS} FROM metrics WHERE stage = ? AND slot >= ?`, stage, since)) addTo(byKey, row.version, sampleOf(stage, since, row));
  return [...byKey.values()];
}

/**
 * Per version and step of `stepMs` (a multiple of the slot), everything recorded on a stage since `since`: one
 * sample per (version, step), `slot` the step's start. What a shard answers for the dashboard's time series.
 */
export function stageSteps(sql: SqlStorage, stage: string, since: number, stepMs: number): MetricsSample[] {
  const byKey = new Map<string, MetricsSample>();
  for (const row of sql.exec<Row>(`SELECT ${COLUMNS} FROM metrics WHERE stage = ? AND slot >= ? ORDER BY slot`, stage, since)) {
    const t = row.slot - (row.slot % stepMs);
    addTo(byKey, `${row.version}\n${t}`, sampleOf(stage, t, row));
  }
  return [...byKey.values()];
}

/** Sums samples of one stage by version (the totals of several MetricsStore shards and the Registry's own table). */
export function mergeByVersion(samples: Iterable<MetricsSample>): MetricsSample[] {
  const byKey = new Map<string, MetricsSample>();
  for (const s of samples) addTo(byKey, s.version, s);
  return [...byKey.values()];
}

/** Sums samples of one stage by version and step (several shards' `stageSteps` and the Registry's own). */
export function mergeBySlot(samples: Iterable<MetricsSample>): MetricsSample[] {
  const byKey = new Map<string, MetricsSample>();
  for (const s of samples) addTo(byKey, `${s.version}\n${s.slot}`, s);
  return [...byKey.values()];
}

function addTo(byKey: Map<string, MetricsSample>, key: string, s: MetricsSample): void {
  const v = byKey.get(key);
  if (!v) {
    byKey.set(key, { ...s, latency: [...s.latency], integrationLatency: [...s.integrationLatency] });
    return;
  }
  v.count += s.count;
  v.c4xx += s.c4xx;
  v.c5xx += s.c5xx;
  v.degraded = (v.degraded ?? 0) + (s.degraded ?? 0);
  v.failClosed = (v.failClosed ?? 0) + (s.failClosed ?? 0);
  v.cacheHits = (v.cacheHits ?? 0) + (s.cacheHits ?? 0);
  v.cacheMisses = (v.cacheMisses ?? 0) + (s.cacheMisses ?? 0);
  v.throttled = (v.throttled ?? 0) + (s.throttled ?? 0);
  v.refused = (v.refused ?? 0) + (s.refused ?? 0);
  v.wsConnects = (v.wsConnects ?? 0) + (s.wsConnects ?? 0);
  v.wsDisconnects = (v.wsDisconnects ?? 0) + (s.wsDisconnects ?? 0);
  v.wsMessages = (v.wsMessages ?? 0) + (s.wsMessages ?? 0);
  v.wsMessagesOut = (v.wsMessagesOut ?? 0) + (s.wsMessagesOut ?? 0);
  mergeInto(v.latency, s.latency);
  mergeInto(v.integrationLatency, s.integrationLatency);
}

const roleOf = (version: string, stable: string | null, canary: string | null): VersionMetrics["role"] => (version === stable ? "stable" : version === canary ? "canary" : "other");
const ORDER = { stable: 0, canary: 1, other: 2 };

/** Per-version totals as the admin API and canary analysis show them: rates, percentiles and each version's role. */
export function summarize(totals: MetricsSample[], stable: string | null, canary: string | null): VersionMetrics[] {
  const out: VersionMetrics[] = totals.map((v) => ({
    version: v.version,
    role: roleOf(v.version, stable, canary),
    count: v.count,
    c4xx: v.c4xx,
    c5xx: v.c5xx,
    errorRate4xx: v.count ? v.c4xx / v.count : 0,
    errorRate5xx: v.count ? v.c5xx / v.count : 0,
    degraded: v.degraded ?? 0,
    failClosed: v.failClosed ?? 0,
    cacheHits: v.cacheHits ?? 0,
    cacheMisses: v.cacheMisses ?? 0,
    throttled: v.throttled ?? 0,
    refused: v.refused ?? 0,
    // Only WebSocket APIs have these; other versions' output is unchanged.
    ...(wsCounts(v) ?? {}),
    p50: percentile(v.latency, 50),
    p95: percentile(v.latency, 95),
    p99: percentile(v.latency, 99),
    integrationP50: percentile(v.integrationLatency, 50),
    integrationP95: percentile(v.integrationLatency, 95),
    integrationP99: percentile(v.integrationLatency, 99),
  }));
  return out.sort((a, b) => ORDER[a.role] - ORDER[b.role] || b.count - a.count);
}

/** A version's WebSocket counts, or undefined when it has none (an HTTP API's version). */
export function wsCounts(v: Pick<MetricsSample, "wsConnects" | "wsDisconnects" | "wsMessages" | "wsMessagesOut">) {
  return v.wsConnects || v.wsDisconnects || v.wsMessages || v.wsMessagesOut
    ? { wsConnects: v.wsConnects ?? 0, wsDisconnects: v.wsDisconnects ?? 0, wsMessages: v.wsMessages ?? 0, wsMessagesOut: v.wsMessagesOut ?? 0 }
    : undefined;
}

/** Per version, its steps in time order as the dashboard's charts show them. */
export function seriesOf(steps: MetricsSample[], stable: string | null, canary: string | null): VersionSeries[] {
  const byVersion = new Map<string, SeriesPoint[]>();
  for (const s of steps) {
    let points = byVersion.get(s.version);
    if (!points) byVersion.set(s.version, (points = []));
    points.push(seriesPoint(s));
  }
  const out: VersionSeries[] = [];
  for (const [version, points] of byVersion) out.push({ version, role: roleOf(version, stable, canary), points: points.sort((a, b) => a.t - b.t) });
  return out.sort((a, b) => ORDER[a.role] - ORDER[b.role]);
}

/** Each version's counts and percentiles per step of `stepMs` since `since`, from this table alone. */
export function versionSeries(sql: SqlStorage, stage: string, since: number, stepMs: number, stable: string | null, canary: string | null): VersionSeries[] {
  return seriesOf(stageSteps(sql, stage, since, stepMs), stable, canary);
}

function seriesPoint(v: MetricsSample): SeriesPoint {
  return {
    t: v.slot,
    count: v.count,
    c4xx: v.c4xx,
    c5xx: v.c5xx,
    p50: percentile(v.latency, 50),
    p99: percentile(v.latency, 99),
    integrationP50: percentile(v.integrationLatency, 50),
    integrationP99: percentile(v.integrationLatency, 99),
    cacheHits: v.cacheHits ?? 0,
    cacheMisses: v.cacheMisses ?? 0,
    throttled: v.throttled ?? 0,
    refused: v.refused ?? 0,
  };
}
