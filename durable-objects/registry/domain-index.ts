/**
 * The domain index (the Registry's `index` instance, tables `domains`, `domain_routing` and `apis` in STORAGE.md):
 * custom-domain host + base path → API and stage, and each host's routing rules, for the whole Worker, rewritten by
 * each API's instance after every stable pointer change. Who may hold what: src/deploy/domain-ownership.ts.
 */
import type { BundleDomainRouting } from "../../src/config/bundle.ts";
import { ownershipConflict } from "../../src/deploy/domain-ownership.ts";
import type { DomainRow, RoutingRow } from "../../src/deploy/types.ts";
import { orPrevious } from "../contract.ts";
import { REGISTRY_CONTRACT } from "./contract.ts";
import * as stages from "./stages.ts";
import { fail, type Result } from "./stages.ts";
import type { RegistryObjectEnv } from "./env.ts";

const toRow = (r: Record<string, SqlStorageValue>): DomainRow => ({ host: r.host as string, basePath: r.base_path as string, api: r.api as string, stage: r.stage as string });

/**
 * Replaces an API's mappings and routing rules, unless `version` is older than the one last applied for it (a late,
 * out-of-order sync) or a host belongs to another API (409, nothing changed). `bump` moves the index's own version,
 * in the same transaction.
 */
export function setApiDomains(
  sql: SqlStorage,
  storage: DurableObjectStorage,
  api: string,
  version: number,
  domains: DomainRow[],
  routing: RoutingRow[],
  bump: () => void,
): Result<number> {
  const row = sql.exec<{ version: number }>("SELECT version FROM apis WHERE name = ?", api).toArray()[0];
  if (row && row.version > version) return { ok: true, value: row.version };
  const conflict = ownershipConflict({ domains: allDomains(sql), routing: allRouting(sql) }, api, domains, routing);
  if (conflict) return fail(409, conflict.message, conflict.field);
  storage.transactionSync(() => {
    sql.exec("DELETE FROM domains WHERE api = ?", api);
    sql.exec("DELETE FROM domain_routing WHERE api = ?", api);
    for (const d of domains) sql.exec("INSERT INTO domains (host, base_path, api, stage) VALUES (?, ?, ?, ?)", d.host, d.basePath, api, d.stage);
    for (const r of routing) sql.exec("INSERT INTO domain_routing (host, api, routing) VALUES (?, ?, ?)", r.host, api, JSON.stringify({ routingMode: r.routingMode, rules: r.rules }));
    sql.exec("INSERT OR REPLACE INTO apis (name, version, updated_at) VALUES (?, ?, ?)", api, version, Date.now());
    bump();
  });
  return { ok: true, value: version };
}

/** Every mapping. */
export function allDomains(sql: SqlStorage): DomainRow[] {
  return sql.exec("SELECT host, base_path, api, stage FROM domains ORDER BY host, base_path").toArray().map(toRow);
}

/** Every host's routing rules. */
export function allRouting(sql: SqlStorage): RoutingRow[] {
  return sql
    .exec<{ host: string; api: string; routing: string }>("SELECT host, api, routing FROM domain_routing ORDER BY host")
    .toArray()
    .map((r) => ({ host: r.host, api: r.api, ...(JSON.parse(r.routing) as Omit<BundleDomainRouting, "host">) }));
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

/** What the index publishes (its snapshot's value, and `domainTable`'s): mappings, routing rules, the APIs it knows. */
export function domainTable(sql: SqlStorage): { domains: DomainRow[]; routing: RoutingRow[]; apis: string[] } {
  return { domains: allDomains(sql), routing: allRouting(sql), apis: apis(sql).map((a) => a.name) };
}

/**
 * From an API instance, after its stable pointers moved: sends the index the API's mappings — the `domains` of the
 * bundles its stages serve, for those stages — and its routing rules — the `domainRouting` of the version it most
 * recently made stable (stages.latestStable) — with its version, so a late, out-of-order sync is ignored there.
 */
export async function syncApi(env: Pick<RegistryObjectEnv, "REGISTRY">, sql: SqlStorage, api: string, version: number): Promise<void> {
  const read = (id: string) => {
    const text = stages.bundleText(sql, id);
    return text ? (JSON.parse(text) as { domains?: { host: string; basePath: string; stage: string }[]; domainRouting?: BundleDomainRouting[] }) : undefined;
  };
  const domains: DomainRow[] = [];
  for (const state of stages.readStages(sql, api))
    for (const d of read(state.deploymentId)?.domains ?? []) if (d.stage === state.stage) domains.push({ host: d.host, basePath: d.basePath, api, stage: d.stage });
  const latest = stages.latestStable(sql);
  const routing: RoutingRow[] = ((latest && read(latest)?.domainRouting) || []).map((r) => ({ ...r, api }));
  const index = env.REGISTRY.get(env.REGISTRY.idFromName("index"));
  // An index still on the previous release (a deploy rolling out) is told in its own contract, which has no rules.
  await orPrevious(
    () => index.mapDomains({ v: REGISTRY_CONTRACT, api, version, domains, routing }),
    () => (index as unknown as { setApiDomains(a: string, v: number, d: DomainRow[]): Promise<unknown> }).setApiDomains(api, version, domains),
  );
}
