/**
 * Shadow evaluation in the Registry: which candidate a stage evaluates (the `stages.shadow` column, read by the
 * data plane with the stage's pointers) and the report isolates send in batches (the `shadow_kinds` and
 * `shadow_samples` tables, plus a `meta` row per stage saying which candidate the report is about). Bounded: one
 * counter per kind, at most SAMPLES_PER_KIND samples per kind (the newest). STORAGE.md documents the tables.
 */
import type { ShadowBatch, ShadowKind, ShadowReport, ShadowSample, ShadowState } from "../../src/deploy/types.ts";

export const SAMPLES_PER_KIND = 5;
/** Counters that are not kinds of difference live in the same table under names no kind has. */
const EVALUATED = ":evaluated";
const DIFFERING = ":differing";
const SKIPPED = ":skipped:";

interface ReportHead {
  deploymentId: string;
  startedAt: number;
  stoppedAt: number | null;
}

const headKey = (stage: string) => `shadow-report:${stage}`;

export function readShadow(sql: SqlStorage, stage: string): ShadowState | null {
  const row = sql.exec<{ shadow: string | null }>("SELECT shadow FROM stages WHERE stage = ?", stage).toArray()[0];
  return row?.shadow ? (JSON.parse(row.shadow) as ShadowState) : null;
}

/** Starts (or restarts) a stage's shadow: a new report for the candidate. */
export function startShadow(sql: SqlStorage, stage: string, state: ShadowState): void {
  sql.exec("UPDATE stages SET shadow = ? WHERE stage = ?", JSON.stringify(state), stage);
  sql.exec("DELETE FROM shadow_kinds WHERE stage = ?", stage);
  sql.exec("DELETE FROM shadow_samples WHERE stage = ?", stage);
  const head: ReportHead = { deploymentId: state.deploymentId, startedAt: state.startedAt, stoppedAt: null };
  sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", headKey(stage), JSON.stringify(head));
}

/** Stops it; the report stays, for `shadow report` and `--require-clean-shadow`, until the next start. */
export function stopShadow(sql: SqlStorage, stage: string, now: number): void {
  sql.exec("UPDATE stages SET shadow = NULL WHERE stage = ?", stage);
  const head = readHead(sql, stage);
  if (head) sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", headKey(stage), JSON.stringify({ ...head, stoppedAt: now }));
}

function readHead(sql: SqlStorage, stage: string): ReportHead | null {
  const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", headKey(stage)).toArray()[0];
  return row ? (JSON.parse(row.value) as ReportHead) : null;
}

/**
 * Adds an isolate's batch to the report of the candidate it evaluated — also after a stop, since isolates flush
 * what they evaluated while it ran; a batch about another candidate (an earlier shadow) is dropped.
 */
export function recordShadow(sql: SqlStorage, stage: string, batch: ShadowBatch): boolean {
  const head = readHead(sql, stage);
  if (!head || head.deploymentId !== batch.deploymentId) return false;
  const bump = (kind: string, n: number) => {
    if (n > 0)
      sql.exec("INSERT INTO shadow_kinds (stage, kind, count) VALUES (?, ?, ?) ON CONFLICT (stage, kind) DO UPDATE SET count = count + excluded.count", stage, kind, n);
  };
  bump(EVALUATED, batch.evaluated);
  bump(DIFFERING, batch.differing);
  for (const [reason, n] of Object.entries(batch.skipped)) bump(SKIPPED + reason.slice(0, 120), n);
  for (const [kind, n] of Object.entries(batch.kinds)) bump(kind, n ?? 0);
  for (const sample of batch.samples) {
    for (const kind of new Set(sample.differences.map((d) => d.kind))) {
      const seq = (sql.exec<{ s: number | null }>("SELECT MAX(seq) AS s FROM shadow_samples WHERE stage = ? AND kind = ?", stage, kind).toArray()[0]?.s ?? 0) + 1;
      sql.exec("INSERT INTO shadow_samples (stage, kind, seq, sample) VALUES (?, ?, ?, ?)", stage, kind, seq, JSON.stringify(sample));
      sql.exec("DELETE FROM shadow_samples WHERE stage = ? AND kind = ? AND seq <= ?", stage, kind, seq - SAMPLES_PER_KIND);
    }
  }
  return true;
}

export function shadowReport(sql: SqlStorage, stage: string): ShadowReport {
  const head = readHead(sql, stage);
  const counts = new Map(sql.exec<{ kind: string; count: number }>("SELECT kind, count FROM shadow_kinds WHERE stage = ?", stage).toArray().map((r) => [r.kind, r.count]));
  const samples = new Map<string, ShadowSample[]>();
  for (const row of sql.exec<{ kind: string; sample: string }>("SELECT kind, sample FROM shadow_samples WHERE stage = ? ORDER BY seq DESC", stage)) {
    const list = samples.get(row.kind) ?? [];
    list.push(JSON.parse(row.sample) as ShadowSample);
    samples.set(row.kind, list);
  }
  const evaluated = counts.get(EVALUATED) ?? 0;
  const differing = counts.get(DIFFERING) ?? 0;
  const skipped: Record<string, number> = {};
  const kinds: ShadowReport["kinds"] = [];
  for (const [kind, count] of counts) {
    if (kind.startsWith(SKIPPED)) skipped[kind.slice(SKIPPED.length)] = count;
    else if (!kind.startsWith(":")) kinds.push({ kind: kind as ShadowKind, count, samples: samples.get(kind) ?? [] });
  }
  kinds.sort((a, b) => b.count - a.count || a.kind.localeCompare(b.kind));
  return {
    stage,
    shadow: readShadow(sql, stage),
    deploymentId: head?.deploymentId ?? null,
    startedAt: head?.startedAt ?? null,
    stoppedAt: head?.stoppedAt ?? null,
    evaluated,
    differing,
    skipped,
    kinds,
    clean: evaluated > 0 && differing === 0,
  };
}

/** Why `deploymentId` may not go ahead under `--require-clean-shadow`, or null when its report is clean. */
export function unclean(sql: SqlStorage, stage: string, deploymentId: string, minRequests: number): string | null {
  const report = shadowReport(sql, stage);
  if (report.deploymentId !== deploymentId)
    return `no shadow report for ${deploymentId.slice(0, 12)} on ${stage}: run portico shadow start --stage ${stage} --version ${deploymentId.slice(0, 12)} first`;
  if (report.evaluated < minRequests) return `the shadow report for ${deploymentId.slice(0, 12)} has ${report.evaluated} evaluated requests; ${minRequests} needed`;
  if (report.differing > 0)
    return `the shadow report for ${deploymentId.slice(0, 12)} is not clean: ${report.differing} of ${report.evaluated} requests differ (${report.kinds.map((k) => `${k.kind} ${k.count}`).join(", ")}); see portico shadow report --stage ${stage}`;
  return null;
}
