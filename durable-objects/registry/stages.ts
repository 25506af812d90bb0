/**
 * Stages, deployments and history in the Registry's SQLite. Every function that changes a pointer runs inside
 * one `transactionSync` in its caller, so a publish, rollback or promote is all-or-nothing, and the Durable
 * Object's single-threaded execution serialises concurrent callers (no lost update).
 */
import type { CanaryState, DeploymentRecord, HistoryAction, HistoryEntry, ShadowState, StageState } from "../../src/deploy/types.ts";

export type Fail = { ok: false; status: 400 | 404 | 409 | 503; message: string; field?: string };
export type Result<T> = { ok: true; value: T } | Fail;
export const fail = (status: Fail["status"], message: string, field?: string): Fail => ({ ok: false, status, message, ...(field ? { field } : {}) });

/** Actions after which the stage's stable pointer names a different version. */
const STABLE_ACTIONS: HistoryAction[] = ["deploy", "rollback", "canary-promote", "auto-promote"];

interface StageRow extends Record<string, SqlStorageValue> {
  stage: string;
  deployment_id: string;
  updated_at: number;
  canary: string | null;
  cache_generation: number;
  shadow: string | null;
}

export function readStage(sql: SqlStorage, api: string, stage: string): StageState | undefined {
  const row = sql.exec<StageRow>("SELECT stage, deployment_id, updated_at, canary, cache_generation, shadow FROM stages WHERE stage = ?", stage).toArray()[0];
  return row ? toState(api, row) : undefined;
}

export function readStages(sql: SqlStorage, api: string): StageState[] {
  return sql.exec<StageRow>("SELECT stage, deployment_id, updated_at, canary, cache_generation, shadow FROM stages ORDER BY stage").toArray().map((r) => toState(api, r));
}

function toState(api: string, row: StageRow): StageState {
  return {
    api,
    stage: row.stage,
    deploymentId: row.deployment_id,
    updatedAt: row.updated_at,
    canary: row.canary ? (JSON.parse(row.canary) as CanaryState) : null,
    cacheGeneration: row.cache_generation,
    ...(row.shadow ? { shadow: JSON.parse(row.shadow) as ShadowState } : {}),
  };
}

export function writeStage(sql: SqlStorage, stage: string, deploymentId: string, canary: CanaryState | null, now: number): void {
  sql.exec(
    "INSERT INTO stages (stage, deployment_id, updated_at, canary) VALUES (?, ?, ?, ?) ON CONFLICT (stage) DO UPDATE SET deployment_id = excluded.deployment_id, updated_at = excluded.updated_at, canary = excluded.canary",
    stage,
    deploymentId,
    now,
    canary ? JSON.stringify(canary) : null,
  );
}

export function appendHistory(sql: SqlStorage, stage: string, action: HistoryAction, deploymentId: string, description: string | null, now: number): void {
  sql.exec("INSERT INTO history (at, stage, action, deployment_id, description) VALUES (?, ?, ?, ?, ?)", now, stage, action, deploymentId, description);
}

export function readHistory(sql: SqlStorage, stage: string | undefined, limit: number): HistoryEntry[] {
  const rows = stage
    ? sql.exec("SELECT seq, at, stage, action, deployment_id, description FROM history WHERE stage = ? ORDER BY seq DESC LIMIT ?", stage, limit)
    : sql.exec("SELECT seq, at, stage, action, deployment_id, description FROM history ORDER BY seq DESC LIMIT ?", limit);
  return rows.toArray().map((r) => ({
    seq: r.seq as number,
    at: r.at as number,
    stage: r.stage as string,
    action: r.action as HistoryAction,
    deploymentId: r.deployment_id as string,
    description: (r.description as string | null) ?? null,
  }));
}

export function insertDeployment(sql: SqlStorage, id: string, bundleText: string, routes: number, description: string | null, now: number): boolean {
  const exists = sql.exec("SELECT 1 FROM deployments WHERE id = ?", id).toArray().length > 0;
  if (!exists) sql.exec("INSERT INTO deployments (id, created_at, description, routes, bundle) VALUES (?, ?, ?, ?, ?)", id, now, description, routes, bundleText);
  return !exists;
}

export function listDeployments(sql: SqlStorage, limit: number): DeploymentRecord[] {
  return sql
    .exec("SELECT id, created_at, description, routes FROM deployments ORDER BY created_at DESC, id LIMIT ?", limit)
    .toArray()
    .map((r) => ({ id: r.id as string, createdAt: r.created_at as number, description: (r.description as string | null) ?? null, routes: r.routes as number }));
}

export function bundleText(sql: SqlStorage, id: string): string | undefined {
  return sql.exec<{ bundle: string }>("SELECT bundle FROM deployments WHERE id = ?", id).toArray()[0]?.bundle;
}

/** A deployment id from a full id or a unique prefix of at least 6 characters. */
export function resolveDeploymentId(sql: SqlStorage, idOrPrefix: string, field: string): Result<string> {
  if (!/^[0-9a-f]{6,64}$/.test(idOrPrefix)) return fail(400, "must be a deployment id (or a prefix of at least 6 hex characters)", field);
  const rows = sql.exec<{ id: string }>("SELECT id FROM deployments WHERE id >= ? AND id < ? LIMIT 2", idOrPrefix, idOrPrefix + "g").toArray();
  if (rows.length === 0) return fail(404, `no deployment ${idOrPrefix}`, field);
  if (rows.length > 1) return fail(400, `deployment prefix ${idOrPrefix} is ambiguous`, field);
  return { ok: true, value: rows[0]!.id };
}

/** A stage cache flush: one counter bumped, every older entry out of reach (O(1), nothing deleted). */
export function bumpCacheGeneration(sql: SqlStorage, stage: string): number | undefined {
  sql.exec("UPDATE stages SET cache_generation = cache_generation + 1 WHERE stage = ?", stage);
  return sql.exec<{ g: number }>("SELECT cache_generation AS g FROM stages WHERE stage = ?", stage).toArray()[0]?.g;
}

/**
 * The version most recently made stable (deployed, rolled back to or promoted) on a stage it still serves: the one
 * whose routing rules for custom domains the API publishes (domain-index.ts). Undefined before any stable version.
 */
export function latestStable(sql: SqlStorage): string | undefined {
  const placeholders = STABLE_ACTIONS.map(() => "?").join(", ");
  return sql
    .exec<{ deployment_id: string }>(
      `SELECT h.deployment_id FROM history h JOIN stages s ON s.stage = h.stage AND s.deployment_id = h.deployment_id WHERE h.action IN (${placeholders}) ORDER BY h.seq DESC LIMIT 1`,
      ...STABLE_ACTIONS,
    )
    .toArray()[0]?.deployment_id;
}

/** The stable version before the current one, from the stage's history. */
export function previousStable(sql: SqlStorage, stage: string, current: string): string | undefined {
  const placeholders = STABLE_ACTIONS.map(() => "?").join(", ");
  const rows = sql.exec<{ deployment_id: string }>(
    `SELECT deployment_id FROM history WHERE stage = ? AND action IN (${placeholders}) ORDER BY seq DESC`,
    stage,
    ...STABLE_ACTIONS,
  );
  // Walk back past the current version (it may appear several times in a row) to the one before it.
  let seenCurrent = false;
  for (const row of rows) {
    if (row.deployment_id === current) seenCurrent = true;
    else if (seenCurrent) return row.deployment_id;
  }
  return undefined;
}
