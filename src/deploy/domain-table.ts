/**
 * The published domain table as an isolate holds it (registry-source.ts): the index's mappings, each host's routing
 * rules compiled once per version read — never per request — and the APIs the index knows, which decide whether an
 * embedded bundle's own rules may stand in for a host.
 */
import { compileRouting, type CompiledRouting } from "../routing/routing-rules.ts";
import { matchDomains, type DomainTarget } from "./config-source.ts";
import type { DomainTable } from "./snapshots.ts";

export class PublishedDomains {
  readonly #targets: (DomainTarget & { host: string })[];
  readonly #routing: { host: string; routing: CompiledRouting }[];
  readonly #apis: ReadonlySet<string>;

  constructor(table: DomainTable) {
    this.#targets = table.domains.map((r) => ({ host: r.host, api: r.api, stage: r.stage, basePath: r.basePath }));
    this.#routing = (table.routing ?? []).map((r) => ({ host: r.host, routing: compileRouting(r, r.api) }));
    this.#apis = new Set(table.apis ?? []);
  }

  /** Published mappings for `host` (exact, or by a one-label `*.` wildcard). */
  targets(host: string): DomainTarget[] {
    return this.#targets.length ? matchDomains(this.#targets, host).map(({ api, stage, basePath }) => ({ api, stage, basePath })) : [];
  }

  /** The host's published routing rules: an exact host's over a `*.` wildcard's. */
  routing(host: string): CompiledRouting | undefined {
    if (!this.#routing.length) return undefined;
    const matches = matchDomains(this.#routing, host);
    return (matches.find((m) => m.host === host) ?? matches[0])?.routing;
  }

  /** True when the index maps the host or routes it: then only what was published decides for it. */
  knows(host: string): boolean {
    return this.routing(host) !== undefined || this.targets(host).length > 0;
  }

  /** True when `api` was ever published: its embedded bundle's rules are then out of date, never a stand-in. */
  published(api: string): boolean {
    return this.#apis.has(api);
  }
}
