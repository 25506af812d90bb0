/** API keys in the Registry's `keys` instance (table api_keys, STORAGE.md). Values never reach storage: only hashes. */
import { fail, type Result } from "./stages.ts";
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
