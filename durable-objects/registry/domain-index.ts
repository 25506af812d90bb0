/**
 * The domain index (the Registry's `index` instance, tables `domains` and `apis` in STORAGE.md): custom-domain host +
 * base path → API and stage for the whole Worker, rewritten by each API's instance after every pointer change.
 */
import type { DomainRow } from "../../src/deploy/types.ts";
import type { Env } from "../../src/env.ts";
import { orPrevious } from "../contract.ts";
import { REGISTRY_CONTRACT } from "./contract.ts";
import * as stages from "./stages.ts";
import { fail, type Result } from "./stages.ts";

const toRow = (r: Record<string, SqlStorageValue>): DomainRow => ({ host: r.host as string, basePath: r.base_path as string, api: r.api as string, stage: r.stage as string });

/**
 * Replaces an API's mappings, unless `version` is older than the one last applied for it (a late, out-of-order sync)
 * or a mapping belongs to another API (409). `bump` moves the index's own version, in the same transaction.
 */
export function setApiDomains(sql: SqlStorage, storage: DurableObjectStorage, api: string, version: number, domains: DomainRow[], bump: () => void): Result<number> {
  const row = sql.exec<{ version: number }>("SELECT version FROM apis WHERE name = ?", api).toArray()[0];
  if (row && row.version > version) return { ok: true, value: row.version };
  for (const d of domains) {
    const owner = sql.exec<{ api: string }>("SELECT api FROM domains WHERE host = ? AND base_path = ?", d.host, d.basePath).toArray()[0];
    if (owner && owner.api !== api) return fail(409, `host ${d.host}/${d.basePath} is already mapped to API ${owner.api}`, "domains");
  }
  storage.transactionSync(() => {
    sql.exec("DELETE FROM domains WHERE api = ?", api);
    for (const d of domains) sql.exec("INSERT INTO domains (host, base_path, api, stage) VALUES (?, ?, ?, ?)", d.host, d.basePath, api, d.stage);
    sql.exec("INSERT OR REPLACE INTO apis (name, version, updated_at) VALUES (?, ?, ?)", api, version, Date.now());
    bump();
  });
  return { ok: true, value: version };
}

/** Every mapping. */
export function allDomains(sql: SqlStorage): DomainRow[] {
  return sql.exec("SELECT host, base_path, api, stage FROM domains ORDER BY host, base_path").toArray().map(toRow);
}

/** Mappings for a host, exact or by a one-label `*.` wildcard. */
export function hostTargets(sql: SqlStorage, host: string): DomainRow[] {
  const dot = host.indexOf(".");
  const wildcard = dot > 0 ? `*${host.slice(dot)}` : "";
  return sql.exec("SELECT host, base_path, api, stage FROM domains WHERE host = ? OR host = ?", host, wildcard).toArray().map(toRow);
}

export function apis(sql: SqlStorage): { name: string; updatedAt: number }[] {
  return sql.exec("SELECT name, updated_at FROM apis ORDER BY name").toArray().map((r) => ({ name: r.name as string, updatedAt: r.updated_at as number }));
}

/**
 * From an API instance, after its pointers moved: sends the index the API's mappings — the `domains` of the bundles
 * its stages serve, for those stages — with its version, so a late, out-of-order sync is ignored there.
 */
export async function syncApi(env: Env, sql: SqlStorage, api: string, version: number): Promise<void> {
  const domains: DomainRow[] = [];
  for (const state of stages.readStages(sql, api)) {
    const text = stages.bundleText(sql, state.deploymentId);
    const bundle = text ? (JSON.parse(text) as { domains?: { host: string; basePath: string; stage: string }[] }) : undefined;
    for (const d of bundle?.domains ?? []) if (d.stage === state.stage) domains.push({ host: d.host, basePath: d.basePath, api, stage: d.stage });
  }
  const index = env.REGISTRY.get(env.REGISTRY.idFromName("index"));
  // An index still on the previous release (a deploy rolling out) is told in its own contract.
  await orPrevious(
    () => index.mapDomains({ v: REGISTRY_CONTRACT, api, version, domains }),
    () => (index as unknown as { setApiDomains(a: string, v: number, d: DomainRow[]): Promise<unknown> }).setApiDomains(api, version, domains),
  );
}
