/**
 * The Registry's SQLite tables (documented in durable-objects/STORAGE.md). Statements are idempotent and run in
 * the constructor; a schema change adds a numbered step to MIGRATIONS, never edits an old one.
 */
export const MIGRATIONS: string[] = [
  // 1: stages, deployments, history, metrics (API instances) and the domain index (the index instance).
  `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS deployments (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    description TEXT,
    routes INTEGER NOT NULL,
    bundle TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS stages (
    stage TEXT PRIMARY KEY,
    deployment_id TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    canary TEXT
  );
  CREATE TABLE IF NOT EXISTS history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    stage TEXT NOT NULL,
    action TEXT NOT NULL,
    deployment_id TEXT NOT NULL,
    description TEXT
  );
  CREATE INDEX IF NOT EXISTS history_by_stage ON history (stage, seq);
  CREATE TABLE IF NOT EXISTS metrics (
    stage TEXT NOT NULL,
    version TEXT NOT NULL,
    slot INTEGER NOT NULL,
    count INTEGER NOT NULL,
    c4xx INTEGER NOT NULL,
    c5xx INTEGER NOT NULL,
    latency TEXT NOT NULL,
    integration_latency TEXT NOT NULL,
    PRIMARY KEY (stage, version, slot)
  );
  CREATE TABLE IF NOT EXISTS domains (
    host TEXT NOT NULL,
    base_path TEXT NOT NULL,
    api TEXT NOT NULL,
    stage TEXT NOT NULL,
    PRIMARY KEY (host, base_path)
  );
  CREATE TABLE IF NOT EXISTS apis (name TEXT PRIMARY KEY, version INTEGER NOT NULL, updated_at INTEGER NOT NULL);
  `,
  // 2: API keys (the keys instance): only the SHA-256 of a value is stored.
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
    updated_at INTEGER NOT NULL
  );
  `,
  // 3: usage plans a key belongs to ("api/plan").
  `ALTER TABLE api_keys ADD COLUMN plans TEXT NOT NULL DEFAULT '[]';`,
  // 4: throttle and quota decisions made without their Durable Object (fail open or closed).
  `ALTER TABLE metrics ADD COLUMN degraded INTEGER NOT NULL DEFAULT 0;`,
  // 5: the response cache: a stage's flush generation, and hit/miss counts per version.
  `
  ALTER TABLE stages ADD COLUMN cache_generation INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE metrics ADD COLUMN cache_hits INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE metrics ADD COLUMN cache_misses INTEGER NOT NULL DEFAULT 0;
  `,
  // 6: requests refused because a dependency could not be trusted (JWKS keys past their maximum age).
  `ALTER TABLE metrics ADD COLUMN fail_closed INTEGER NOT NULL DEFAULT 0;`,
  // 7: WebSocket APIs: connections opened and closed, messages from clients and frames to them, per version.
  `
  ALTER TABLE metrics ADD COLUMN ws_connects INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE metrics ADD COLUMN ws_disconnects INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE metrics ADD COLUMN ws_messages INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE metrics ADD COLUMN ws_messages_out INTEGER NOT NULL DEFAULT 0;
  `,
  // 8: routing rules for custom domains (the index instance): one row per host, owned by one API.
  `
  CREATE TABLE IF NOT EXISTS domain_routing (
    host TEXT PRIMARY KEY,
    api TEXT NOT NULL,
    routing TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS domain_routing_by_api ON domain_routing (api);
  `,
  // 9: throttled and refused counts per version (the dashboard's charts); shadow evaluation of a candidate version.
  `
  ALTER TABLE metrics ADD COLUMN throttled INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE metrics ADD COLUMN refused INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE stages ADD COLUMN shadow TEXT;
  CREATE TABLE IF NOT EXISTS shadow_kinds (
    stage TEXT NOT NULL,
    kind TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (stage, kind)
  );
  CREATE TABLE IF NOT EXISTS shadow_samples (
    stage TEXT NOT NULL,
    kind TEXT NOT NULL,
    seq INTEGER NOT NULL,
    sample TEXT NOT NULL,
    PRIMARY KEY (stage, kind, seq)
  );
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
