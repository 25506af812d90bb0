/**
 * Shadow evaluation in the Registry: which candidate a stage evaluates (the `stages.shadow` column, read by the
 * data plane with the stage's pointers) and the report isolates send in batches (the `shadow_kinds` and
 * `shadow_samples` tables, plus a `meta` row per stage saying which candidate the report is about). Bounded: one
 * counter per kind, at most SAMPLES_PER_KIND samples per kind (the newest). STORAGE.md documents the tables.
 */
import type { ShadowBatch, ShadowKind, ShadowReport, ShadowSample, ShadowState, StageState } from "../../src/deploy/types.ts";
import * as stages from "./stages.ts";
import { fail, type Result } from "./stages.ts";

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

const KINDS = new Set<string>(["route", "policy", "authorization", "apiKey", "validation", "throttle", "cache", "integration", "template", "outcome"] satisfies ShadowKind[]);
/** Bounds on one batch: an isolate sends at most 3 samples per kind (src/observability/shadow/buffer.ts). */
const MAX_BATCH_SAMPLES = 64;
const MAX_SKIP_REASONS = 64;
const count = (n: unknown) => typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 1e9;

/** Why a batch cannot be counted, or null: checked whole before anything is written, so none is half-counted. */
export function invalidBatch(batch: ShadowBatch): string | null {
  if (typeof batch !== "object" || batch === null) return "batch must be an object";
  if (typeof batch.deploymentId !== "string" || !/^[0-9a-f]{6,64}$/.test(batch.deploymentId)) return "batch.deploymentId must be a deployment id";
  if (!count(batch.evaluated) || !count(batch.differing) || batch.differing > batch.evaluated) return "batch.evaluated and batch.differing must be counts, differing ≤ evaluated";
  const skipped = Object.entries(batch.skipped ?? {});
  if (typeof batch.skipped !== "object" || skipped.length > MAX_SKIP_REASONS || !skipped.every(([, n]) => count(n))) return "batch.skipped must map reasons to counts";
  if (typeof batch.kinds !== "object" || !Object.entries(batch.kinds ?? {}).every(([k, n]) => KINDS.has(k) && count(n))) return "batch.kinds must map kinds of difference to counts";
  if (!Array.isArray(batch.samples) || batch.samples.length > MAX_BATCH_SAMPLES) return `batch.samples must be a list of at most ${MAX_BATCH_SAMPLES}`;
  for (const sample of batch.samples)
    if (typeof sample !== "object" || sample === null || !Array.isArray(sample.differences) || !sample.differences.every((d) => KINDS.has(d?.kind)))
      return "batch.samples must list differences by kind";
  return null;
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

/**
 * `--require-clean-shadow` on configureCanary, promote and automate: 400 for a gate that is not well formed (never read
 * as "no gate"), 409 when the version's report on the stage is missing, too small or not clean; null otherwise.
 */
export function gateRefusal(sql: SqlStorage, stage: string, deploymentId: string, gate: { requireCleanShadow?: unknown; minShadowRequests?: unknown }): Result<never> | null {
  if (gate.requireCleanShadow === undefined || gate.requireCleanShadow === false) return null;
  if (gate.requireCleanShadow !== true) return fail(400, "requireCleanShadow must be a boolean", "requireCleanShadow");
  const min = gate.minShadowRequests ?? 1;
  if (typeof min !== "number" || !Number.isInteger(min) || min < 1 || min > 1_000_000) return fail(400, "minShadowRequests must be an integer from 1 to 1000000", "minShadowRequests");
  const why = unclean(sql, stage, deploymentId, min);
  return why ? fail(409, why, "requireCleanShadow") : null;
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

/** What starting and stopping need of the Registry instance. */
export interface ShadowHost {
  sql: SqlStorage;
  storage: DurableObjectStorage;
  api: string;
  /** Whether a deployment's bundle defines the stage. */
  defines(deploymentId: string, stage: string): boolean;
  bumpVersion(): void;
}

/**
 * Starts evaluating `version` (an id or unique prefix) on `percent` of a stage's requests, with a fresh report: one
 * transaction (the stage's shadow, the report's head, the history row, the version). Refused: an unknown stage or
 * version, the stage's own stable version, a version that does not define the stage, a percent outside 0.01–100.
 */
export function begin(host: ShadowHost, stage: string, version: unknown, percent: unknown, now: number): Result<StageState> {
  const existing = stages.readStage(host.sql, host.api, stage);
  if (!existing) return fail(404, `no stage "${stage}"`, "stage");
  if (typeof percent !== "number" || !(percent >= 0.01 && percent <= 100)) return fail(400, "percent must be from 0.01 to 100", "percent");
  if (typeof version !== "string") return fail(400, "version must be a deployment id or prefix", "deploymentId");
  const resolved = stages.resolveDeploymentId(host.sql, version, "deploymentId");
  if (!resolved.ok) return resolved;
  const id = resolved.value;
  if (id === existing.deploymentId) return fail(409, "the candidate is the stage's stable version: shadow a version the stage does not serve yet", "deploymentId");
  if (!host.defines(id, stage)) return fail(400, `deployment ${id.slice(0, 12)} does not define stage "${stage}"`, "deploymentId");
  host.storage.transactionSync(() => {
    startShadow(host.sql, stage, { deploymentId: id, percent, startedAt: now });
    stages.appendHistory(host.sql, stage, "shadow-start", id, `shadow evaluation of ${percent}% of requests`, now);
    host.bumpVersion();
  });
  return { ok: true, value: stages.readStage(host.sql, host.api, stage)! };
}

/** Stops a stage's shadow (409 when none runs); the report stays. */
export function end(host: ShadowHost, stage: string, now: number): Result<StageState> {
  const existing = stages.readStage(host.sql, host.api, stage);
  if (!existing) return fail(404, `no stage "${stage}"`, "stage");
  if (!existing.shadow) return fail(409, `stage "${stage}" has no shadow evaluation running`, "stage");
  host.storage.transactionSync(() => {
    stopShadow(host.sql, stage, now);
    stages.appendHistory(host.sql, stage, "shadow-stop", existing.shadow!.deploymentId, "shadow evaluation stopped", now);
    host.bumpVersion();
  });
  return { ok: true, value: stages.readStage(host.sql, host.api, stage)! };
}

/** The stage's report, whether or not a shadow runs now (404 for an unknown stage). */
export function report(host: ShadowHost, stage: string): Result<ShadowReport> {
  if (!stages.readStage(host.sql, host.api, stage)) return fail(404, `no stage "${stage}"`, "stage");
  return { ok: true, value: shadowReport(host.sql, stage) };
}

/** Counts an isolate's batch in one transaction (recordShadow's true or false); a malformed batch is refused whole (400). */
export function record(host: ShadowHost, stage: string, batch: ShadowBatch): Result<boolean> {
  const why = invalidBatch(batch);
  if (why) return fail(400, why, "batch");
  return { ok: true, value: host.storage.transactionSync(() => recordShadow(host.sql, stage, batch)) };
}
