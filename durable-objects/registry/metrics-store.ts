/**
 * Per-version metrics in the Registry: isolates flush batched samples (one write per isolate per flush, never
 * one per request) and they are merged into slots of METRICS_SLOT_MS per stage and version. This is the local
 * store: what the admin API, the dashboard and the automated canary read when Analytics Engine is not the source
 * (src/observability/metrics-reader.ts).
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
  latency: string;
  integration_latency: string;
}

const COLUMNS = "version, slot, count, c4xx, c5xx, degraded, fail_closed, cache_hits, cache_misses, throttled, refused, latency, integration_latency";

export function recordSamples(sql: SqlStorage, samples: MetricsSample[], now: number): void {
  for (const s of samples) {
    const existing = sql.exec<Row>(`SELECT ${COLUMNS} FROM metrics WHERE stage = ? AND version = ? AND slot = ?`, s.stage, s.version, s.slot).toArray()[0];
    const latency = existing ? (JSON.parse(existing.latency) as number[]) : emptyHistogram();
    const integration = existing ? (JSON.parse(existing.integration_latency) as number[]) : emptyHistogram();
    mergeInto(latency, s.latency);
    mergeInto(integration, s.integrationLatency);
    sql.exec(
      "INSERT OR REPLACE INTO metrics (stage, version, slot, count, c4xx, c5xx, degraded, fail_closed, cache_hits, cache_misses, throttled, refused, latency, integration_latency) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
      JSON.stringify(latency),
      JSON.stringify(integration),
    );
  }
  sql.exec("DELETE FROM metrics WHERE slot < ?", now - METRICS_RETENTION_MS);
}

interface Totals {
  count: number;
  c4xx: number;
  c5xx: number;
  degraded: number;
  failClosed: number;
  cacheHits: number;
  cacheMisses: number;
  throttled: number;
  refused: number;
  latency: number[];
  integration: number[];
}

const emptyTotals = (): Totals => ({ count: 0, c4xx: 0, c5xx: 0, degraded: 0, failClosed: 0, cacheHits: 0, cacheMisses: 0, throttled: 0, refused: 0, latency: emptyHistogram(), integration: emptyHistogram() });

function add(t: Totals, row: Row): void {
  t.count += row.count;
  t.c4xx += row.c4xx;
  t.c5xx += row.c5xx;
  t.degraded += row.degraded;
  t.failClosed += row.fail_closed;
  t.cacheHits += row.cache_hits;
  t.cacheMisses += row.cache_misses;
  t.throttled += row.throttled;
  t.refused += row.refused;
  mergeInto(t.latency, JSON.parse(row.latency) as number[]);
  mergeInto(t.integration, JSON.parse(row.integration_latency) as number[]);
}

const roleOf = (version: string, stable: string | null, canary: string | null): VersionMetrics["role"] => (version === stable ? "stable" : version === canary ? "canary" : "other");
const ORDER = { stable: 0, canary: 1, other: 2 };

/** Each version's totals and percentiles on a stage since `since` (ms). */
export function versionMetrics(sql: SqlStorage, stage: string, since: number, stable: string | null, canary: string | null): VersionMetrics[] {
  const byVersion = new Map<string, Totals>();
  for (const row of sql.exec<Row>(`SELECT ${COLUMNS} FROM metrics WHERE stage = ? AND slot >= ?`, stage, since)) {
    let v = byVersion.get(row.version);
    if (!v) byVersion.set(row.version, (v = emptyTotals()));
    add(v, row);
  }
  const out: VersionMetrics[] = [];
  for (const [version, v] of byVersion) {
    out.push({
      version,
      role: roleOf(version, stable, canary),
      count: v.count,
      c4xx: v.c4xx,
      c5xx: v.c5xx,
      errorRate4xx: v.count ? v.c4xx / v.count : 0,
      errorRate5xx: v.count ? v.c5xx / v.count : 0,
      degraded: v.degraded,
      failClosed: v.failClosed,
      cacheHits: v.cacheHits,
      cacheMisses: v.cacheMisses,
      throttled: v.throttled,
      refused: v.refused,
      p50: percentile(v.latency, 50),
      p95: percentile(v.latency, 95),
      p99: percentile(v.latency, 99),
      integrationP50: percentile(v.integration, 50),
      integrationP95: percentile(v.integration, 95),
      integrationP99: percentile(v.integration, 99),
    });
  }
  return out.sort((a, b) => ORDER[a.role] - ORDER[b.role] || b.count - a.count);
}

/** Each version's counts and percentiles per step of `stepMs` since `since`: the dashboard's charts. */
export function versionSeries(sql: SqlStorage, stage: string, since: number, stepMs: number, stable: string | null, canary: string | null): VersionSeries[] {
  const byVersion = new Map<string, Map<number, Totals>>();
  for (const row of sql.exec<Row>(`SELECT ${COLUMNS} FROM metrics WHERE stage = ? AND slot >= ? ORDER BY slot`, stage, since)) {
    let steps = byVersion.get(row.version);
    if (!steps) byVersion.set(row.version, (steps = new Map()));
    const t = row.slot - (row.slot % stepMs);
    let totals = steps.get(t);
    if (!totals) steps.set(t, (totals = emptyTotals()));
    add(totals, row);
  }
  const out: VersionSeries[] = [];
  for (const [version, steps] of byVersion)
    out.push({ version, role: roleOf(version, stable, canary), points: [...steps].sort((a, b) => a[0] - b[0]).map(([t, v]) => seriesPoint(t, v)) });
  return out.sort((a, b) => ORDER[a.role] - ORDER[b.role]);
}

function seriesPoint(t: number, v: Totals): SeriesPoint {
  return {
    t,
    count: v.count,
    c4xx: v.c4xx,
    c5xx: v.c5xx,
    p50: percentile(v.latency, 50),
    p99: percentile(v.latency, 99),
    integrationP50: percentile(v.integration, 50),
    integrationP99: percentile(v.integration, 99),
    cacheHits: v.cacheHits,
    cacheMisses: v.cacheMisses,
    throttled: v.throttled,
    refused: v.refused,
  };
}
