/**
 * Per-version metrics tables (SQL helpers): a MetricsStore shard merges the batches isolates flush into slots of
 * METRICS_SLOT_MS per stage and version (one write per isolate per flush, never one per request); the Registry keeps
 * the same table for batches from the previous release (v0 `recordMetrics`), and reads every shard's totals plus its
 * own to judge canaries and answer the admin API.
 */
import { emptyHistogram, mergeInto, percentile } from "../../src/observability/histogram.ts";
import type { MetricsSample, VersionMetrics } from "../../src/deploy/types.ts";

/** Slots older than this are dropped as new ones arrive. */
export const METRICS_RETENTION_MS = 24 * 60 * 60 * 1000;

interface Row extends Record<string, SqlStorageValue> {
  version: string;
  count: number;
  c4xx: number;
  c5xx: number;
  degraded: number;
  fail_closed: number;
  cache_hits: number;
  cache_misses: number;
  ws_connects: number;
  ws_disconnects: number;
  ws_messages: number;
  ws_messages_out: number;
  latency: string;
  integration_latency: string;
}

export function recordSamples(sql: SqlStorage, samples: MetricsSample[], now: number): void {
  for (const s of samples) {
    const existing = sql
      .exec<Row>("SELECT version, count, c4xx, c5xx, degraded, fail_closed, cache_hits, cache_misses, ws_connects, ws_disconnects, ws_messages, ws_messages_out, latency, integration_latency FROM metrics WHERE stage = ? AND version = ? AND slot = ?", s.stage, s.version, s.slot)
      .toArray()[0];
    const latency = existing ? (JSON.parse(existing.latency) as number[]) : emptyHistogram();
    const integration = existing ? (JSON.parse(existing.integration_latency) as number[]) : emptyHistogram();
    mergeInto(latency, s.latency);
    mergeInto(integration, s.integrationLatency);
    sql.exec(
      "INSERT OR REPLACE INTO metrics (stage, version, slot, count, c4xx, c5xx, degraded, fail_closed, cache_hits, cache_misses, ws_connects, ws_disconnects, ws_messages, ws_messages_out, latency, integration_latency) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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

/** Each version's totals and percentiles on a stage since `since` (ms). */
export function versionMetrics(sql: SqlStorage, stage: string, since: number, stable: string | null, canary: string | null): VersionMetrics[] {
  return summarize(stageTotals(sql, stage, since), stable, canary);
}

/**
 * Per version, everything recorded on a stage since `since`, summed into one sample each (`slot` is `since`): what a
 * MetricsStore shard answers, small whatever the window (one histogram pair per version, not one per slot).
 */
export function stageTotals(sql: SqlStorage, stage: string, since: number): MetricsSample[] {
  const byVersion = new Map<string, MetricsSample>();
  for (const row of sql.exec<Row>("SELECT version, count, c4xx, c5xx, degraded, fail_closed, cache_hits, cache_misses, ws_connects, ws_disconnects, ws_messages, ws_messages_out, latency, integration_latency FROM metrics WHERE stage = ? AND slot >= ?", stage, since)) {
    addTo(byVersion, {
      stage,
      version: row.version,
      slot: since,
      count: row.count,
      c4xx: row.c4xx,
      c5xx: row.c5xx,
      degraded: row.degraded,
      failClosed: row.fail_closed,
      cacheHits: row.cache_hits,
      cacheMisses: row.cache_misses,
      wsConnects: row.ws_connects,
      wsDisconnects: row.ws_disconnects,
      wsMessages: row.ws_messages,
      wsMessagesOut: row.ws_messages_out,
      latency: JSON.parse(row.latency) as number[],
      integrationLatency: JSON.parse(row.integration_latency) as number[],
    });
  }
  return [...byVersion.values()];
}

/** Sums samples of one stage by version (the totals of several MetricsStore shards and the Registry's own table). */
export function mergeByVersion(samples: Iterable<MetricsSample>): MetricsSample[] {
  const byVersion = new Map<string, MetricsSample>();
  for (const s of samples) addTo(byVersion, s);
  return [...byVersion.values()];
}

function addTo(byVersion: Map<string, MetricsSample>, s: MetricsSample): void {
  const v = byVersion.get(s.version);
  if (!v) {
    byVersion.set(s.version, { ...s, latency: [...s.latency], integrationLatency: [...s.integrationLatency] });
    return;
  }
  v.count += s.count;
  v.c4xx += s.c4xx;
  v.c5xx += s.c5xx;
  v.degraded = (v.degraded ?? 0) + (s.degraded ?? 0);
  v.failClosed = (v.failClosed ?? 0) + (s.failClosed ?? 0);
  v.cacheHits = (v.cacheHits ?? 0) + (s.cacheHits ?? 0);
  v.cacheMisses = (v.cacheMisses ?? 0) + (s.cacheMisses ?? 0);
  v.wsConnects = (v.wsConnects ?? 0) + (s.wsConnects ?? 0);
  v.wsDisconnects = (v.wsDisconnects ?? 0) + (s.wsDisconnects ?? 0);
  v.wsMessages = (v.wsMessages ?? 0) + (s.wsMessages ?? 0);
  v.wsMessagesOut = (v.wsMessagesOut ?? 0) + (s.wsMessagesOut ?? 0);
  mergeInto(v.latency, s.latency);
  mergeInto(v.integrationLatency, s.integrationLatency);
}

/** Per-version totals as the admin API and canary analysis show them: rates, percentiles and each version's role. */
export function summarize(totals: MetricsSample[], stable: string | null, canary: string | null): VersionMetrics[] {
  const out: VersionMetrics[] = totals.map((v) => ({
    version: v.version,
    role: v.version === stable ? "stable" : v.version === canary ? "canary" : "other",
    count: v.count,
    c4xx: v.c4xx,
    c5xx: v.c5xx,
    errorRate4xx: v.count ? v.c4xx / v.count : 0,
    errorRate5xx: v.count ? v.c5xx / v.count : 0,
    degraded: v.degraded ?? 0,
    failClosed: v.failClosed ?? 0,
    cacheHits: v.cacheHits ?? 0,
    cacheMisses: v.cacheMisses ?? 0,
    // Only WebSocket APIs have these; other versions' output is unchanged.
    ...(v.wsConnects || v.wsDisconnects || v.wsMessages || v.wsMessagesOut
      ? { wsConnects: v.wsConnects ?? 0, wsDisconnects: v.wsDisconnects ?? 0, wsMessages: v.wsMessages ?? 0, wsMessagesOut: v.wsMessagesOut ?? 0 }
      : {}),
    p50: percentile(v.latency, 50),
    p95: percentile(v.latency, 95),
    p99: percentile(v.latency, 99),
    integrationP50: percentile(v.integrationLatency, 50),
    integrationP95: percentile(v.integrationLatency, 95),
    integrationP99: percentile(v.integrationLatency, 99),
  }));
  const order = { stable: 0, canary: 1, other: 2 };
  return out.sort((a, b) => order[a.role] - order[b.role] || b.count - a.count);
}
