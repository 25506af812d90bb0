/**
 * API keys in SQLite (table api_keys, STORAGE.md): a KeyStore shard's keys, and — read-only since KeyStore — the
 * Registry's `keys` instance's from before it. Values never reach storage: only hashes.
 */
import { fail, type Result } from "../registry/stages.ts";
import type { ApiKeyRecord, KeyLookup } from "../../src/deploy/types.ts";

export type { ApiKeyRecord, KeyLookup };

type Row = Record<string, SqlStorageValue>;

const toRecord = (r: Row): ApiKeyRecord => ({
  id: r.id as string,
  name: r.name as string,
  description: (r.description as string | null) ?? null,
  hint: r.hint as string,
  enabled: r.enabled === 1,
  stages: JSON.parse(r.stages as string) as string[],
  plans: JSON.parse(r.plans as string) as string[],
  createdAt: r.created_at as number,
  updatedAt: r.updated_at as number,
});

export function insertKey(
  sql: SqlStorage,
  input: { id: string; name: string; description: string | null; hash: string; hint: string; enabled: boolean; stages: string[]; plans?: string[] },
  now: number,
): ApiKeyRecord {
  sql.exec(
    "INSERT INTO api_keys (id, name, description, hash, hint, enabled, stages, plans, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    input.id, input.name, input.description, input.hash, input.hint, input.enabled ? 1 : 0, JSON.stringify(input.stages), JSON.stringify(input.plans ?? []), now, now,
  );
  return getKey(sql, input.id)!;
}

/** A stored row, hash included: what a shard copies from the Registry's table (timestamps kept). */
export interface KeyRow extends Record<string, SqlStorageValue> {
  id: string;
  name: string;
  description: string | null;
  hash: string;
  hint: string;
  enabled: number;
  stages: string;
  plans: string;
  created_at: number;
  updated_at: number;
}

/** Rows whose hash is in [from, to) and after `after`, in hash order. */
export function rowsInRange(sql: SqlStorage, from: string, to: string | null, after: string, limit: number): KeyRow[] {
  const start = after > from ? after : from;
  const op = after > from ? ">" : ">=";
  const rows = to === null
    ? sql.exec<KeyRow>(`SELECT id, name, description, hash, hint, enabled, stages, plans, created_at, updated_at FROM api_keys WHERE hash ${op} ? ORDER BY hash LIMIT ?`, start, limit)
    : sql.exec<KeyRow>(`SELECT id, name, description, hash, hint, enabled, stages, plans, created_at, updated_at FROM api_keys WHERE hash ${op} ? AND hash < ? ORDER BY hash LIMIT ?`, start, to, limit);
  return rows.toArray();
}

/** Inserts a copied row unless a key with its id or hash is already there (the copy never overwrites). */
export function insertRow(sql: SqlStorage, r: KeyRow): void {
  sql.exec(
    "INSERT OR IGNORE INTO api_keys (id, name, description, hash, hint, enabled, stages, plans, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    r.id, r.name, r.description, r.hash, r.hint, r.enabled, r.stages, r.plans, r.created_at, r.updated_at,
  );
}

export function getKey(sql: SqlStorage, id: string): ApiKeyRecord | undefined {
  const row = sql.exec("SELECT * FROM api_keys WHERE id = ?", id).toArray()[0];
  return row ? toRecord(row) : undefined;
}

export function listKeys(sql: SqlStorage): ApiKeyRecord[] {
  return sql.exec("SELECT * FROM api_keys ORDER BY created_at, id").toArray().map(toRecord);
}

export function lookupByHash(sql: SqlStorage, hash: string): KeyLookup | null {
  const row = sql.exec("SELECT id, enabled, stages, plans FROM api_keys WHERE hash = ?", hash).toArray()[0];
  return row
    ? { id: row.id as string, enabled: row.enabled === 1, stages: JSON.parse(row.stages as string) as string[], plans: JSON.parse(row.plans as string) as string[] }
    : null;
}

export function updateKey(
  sql: SqlStorage,
  id: string,
  changes: KeyChanges,
  now: number,
): Result<ApiKeyRecord> {
  const existing = getKey(sql, id);
  if (!existing) return fail(404, `no API key ${id}`, "id");
  sql.exec(
    "UPDATE api_keys SET name = ?, description = ?, enabled = ?, stages = ?, plans = ?, hash = COALESCE(?, hash), hint = COALESCE(?, hint), updated_at = ? WHERE id = ?",
    changes.name ?? existing.name,
    changes.description === undefined ? existing.description : changes.description,
    (changes.enabled ?? existing.enabled) ? 1 : 0,
    JSON.stringify(changes.stages ?? existing.stages),
    JSON.stringify(changes.plans ?? existing.plans),
    changes.hash ?? null,
    changes.hint ?? null,
    now,
    id,
  );
  return { ok: true, value: getKey(sql, id)! };
}

export function deleteKey(sql: SqlStorage, id: string): Result<{ id: string }> {
  if (!getKey(sql, id)) return fail(404, `no API key ${id}`, "id");
  sql.exec("DELETE FROM api_keys WHERE id = ?", id);
  return { ok: true, value: { id } };
}

export interface KeyChanges {
  name?: string;
  description?: string | null;
  enabled?: boolean;
  stages?: string[];
  plans?: string[];
  hash?: string;
  hint?: string;
}

/** Keys in a usage plan (`api/plan`), for usage reports. */
export function keysInPlan(sql: SqlStorage, plan: string): ApiKeyRecord[] {
  return listKeys(sql).filter((k) => k.plans.includes(plan));
}

/** Whether a key's stages cover `api`/`stage`. */
export function covers(stages: string[], api: string, stage: string): boolean {
  return stages.includes(`${api}/${stage}`) || stages.includes(`${api}/*`);
}
