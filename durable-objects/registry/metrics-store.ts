/**
 * Per-version metrics in the Registry: isolates flush batched samples (one write per isolate per flush, never
 * one per request) and they are merged into slots of METRICS_SLOT_MS per stage and version.
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
  type Totals = { count: number; c4xx: number; c5xx: number; degraded: number; failClosed: number; cacheHits: number; cacheMisses: number; ws: [number, number, number, number]; latency: number[]; integration: number[] };
  const byVersion = new Map<string, Totals>();
  for (const row of sql.exec<Row>("SELECT version, count, c4xx, c5xx, degraded, fail_closed, cache_hits, cache_misses, ws_connects, ws_disconnects, ws_messages, ws_messages_out, latency, integration_latency FROM metrics WHERE stage = ? AND slot >= ?", stage, since)) {
    let v = byVersion.get(row.version);
    if (!v) byVersion.set(row.version, (v = { count: 0, c4xx: 0, c5xx: 0, degraded: 0, failClosed: 0, cacheHits: 0, cacheMisses: 0, ws: [0, 0, 0, 0], latency: emptyHistogram(), integration: emptyHistogram() }));
    v.ws[0] += row.ws_connects;
    v.ws[1] += row.ws_disconnects;
    v.ws[2] += row.ws_messages;
    v.ws[3] += row.ws_messages_out;
    v.count += row.count;
    v.c4xx += row.c4xx;
    v.c5xx += row.c5xx;
    v.degraded += row.degraded;
    v.failClosed += row.fail_closed;
    v.cacheHits += row.cache_hits;
    v.cacheMisses += row.cache_misses;
    mergeInto(v.latency, JSON.parse(row.latency) as number[]);
    mergeInto(v.integration, JSON.parse(row.integration_latency) as number[]);
  }
  const out: VersionMetrics[] = [];
  for (const [version, v] of byVersion) {
    out.push({
      version,
      role: version === stable ? "stable" : version === canary ? "canary" : "other",
      count: v.count,
      c4xx: v.c4xx,
      c5xx: v.c5xx,
      errorRate4xx: v.count ? v.c4xx / v.count : 0,
      errorRate5xx: v.count ? v.c5xx / v.count : 0,
      degraded: v.degraded,
      failClosed: v.failClosed,
      cacheHits: v.cacheHits,
      cacheMisses: v.cacheMisses,
      // Only WebSocket APIs have these; other versions' output is unchanged.
      ...(v.ws.some((n) => n > 0) ? { wsConnects: v.ws[0], wsDisconnects: v.ws[1], wsMessages: v.ws[2], wsMessagesOut: v.ws[3] } : {}),
      p50: percentile(v.latency, 50),
      p95: percentile(v.latency, 95),
      p99: percentile(v.latency, 99),
      integrationP50: percentile(v.integration, 50),
      integrationP95: percentile(v.integration, 95),
      integrationP99: percentile(v.integration, 99),
    });
  }
  const order = { stable: 0, canary: 1, other: 2 };
  return out.sort((a, b) => order[a.role] - order[b.role] || b.count - a.count);
}
