/**
 * Who may hold a custom domain's mappings and routing rules (docs/deployments.md, "Custom domains and the domain
 * index"): a host + base path maps to one API; a host's routing rules belong to one API, and a host with routing
 * rules belongs wholly to that API — no other API maps it, since rules are evaluated before the host's mappings and
 * one API's rules over another's mappings would let either take the other's traffic. Rules may still send requests
 * to other APIs (`apiId`): that is the owning API's own statement. Hosts are compared as written (a `*.` wildcard is
 * a host of its own). Checked by the admin API before a publish changes anything, and by the index on every sync.
 */
import type { DomainRow } from "./types.ts";

/** What the index holds, as far as ownership goes. */
export interface DomainOwners {
  domains: readonly DomainRow[];
  routing: readonly { host: string; api: string }[];
}

/** Why `api` may not hold these mappings and routing rules, or undefined when it may. */
export function ownershipConflict(owners: DomainOwners, api: string, domains: readonly { host: string; basePath: string }[], routing: readonly { host: string }[]): { field: "domains" | "domainRouting"; message: string } | undefined {
  const shown = (host: string, basePath: string) => `${host}${basePath ? "/" + basePath : ""}`;
  const rulesOf = (host: string) => owners.routing.find((r) => r.host === host)?.api;
  for (const d of domains) {
    const owner = owners.domains.find((o) => o.host === d.host && o.basePath === d.basePath && o.api !== api);
    if (owner) return { field: "domains", message: `host ${shown(d.host, d.basePath)} is already mapped to API ${owner.api}` };
    const rules = rulesOf(d.host);
    if (rules && rules !== api) return { field: "domains", message: `host ${d.host} has routing rules of API ${rules}: only that API may map it` };
  }
  for (const r of routing) {
    const rules = rulesOf(r.host);
    if (rules && rules !== api) return { field: "domainRouting", message: `host ${r.host} already has routing rules of API ${rules}` };
    const mapped = owners.domains.find((o) => o.host === r.host && o.api !== api);
    if (mapped) return { field: "domainRouting", message: `host ${shown(r.host, mapped.basePath)} is mapped to API ${mapped.api}: routing rules for it must be that API's` };
  }
  return undefined;
}
