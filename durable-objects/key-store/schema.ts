/**
 * A KeyStore shard's SQLite tables (durable-objects/STORAGE.md). Statements are idempotent and run in the
 * constructor; a schema change adds a numbered step, never edits an old one.
 */
export const MIGRATIONS: string[] = [
  // 1: keys (the same columns as the Registry's former api_keys table) and the shard's place in the layout.
  `
  CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT,
    hash TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    stages TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    plans TEXT NOT NULL DEFAULT '[]'
  );
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `,
];

export function migrate(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  const row = sql.exec<{ version: number }>("SELECT version FROM schema_version").toArray()[0];
  const current = row?.version ?? 0;
  for (let i = current; i < MIGRATIONS.length; i++) sql.exec(MIGRATIONS[i]!);
  if (!row) sql.exec("INSERT INTO schema_version (version) VALUES (?)", MIGRATIONS.length);
  else if (current < MIGRATIONS.length) sql.exec("UPDATE schema_version SET version = ?", MIGRATIONS.length);
}
