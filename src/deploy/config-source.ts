/**
 * Where the data plane learns which bundle serves a stage: the seam between request handling and deployments.
 * The resolve-stage step asks a ConfigSource and nothing else; `EmbeddedConfigSource` answers from the bundle
 * compiled into the Worker at build time, and the registry-backed source (deployments) wraps it, falling back
 * to it for stages that were never published.
 */
import type { Bundle } from "../config/bundle.ts";
import type { Flavor } from "../config/types.ts";
import { GatewayError } from "../pipeline/gateway-responses.ts";
import { CompiledBundle } from "./compiled-bundle.ts";
import { compileRouting, type CompiledRouting } from "../routing/routing-rules.ts";
import type { ShadowState, StickyKey } from "./types.ts";

/** The bundle (and facts about the version) that serves one request. */
export interface StageResolution {
  bundle: CompiledBundle;
  /** Stage variables, with a canary's overrides applied when the canary serves. */
  variables: Record<string, string>;
  isCanary: boolean;
  /** Whose cache entries this request uses: the stable version's id, or a canary's own (useStageCache false). */
  cacheNamespace: string;
  /** The stage's cache flush generation: a flush bumps it, so every older entry is out of reach at once. */
  cacheGeneration: number;
  /** Why this version serves the request (stable or canary), for the explain record. */
  assignment?: CanaryAssignment;
  /** The stage's shadow evaluation, when one runs (a candidate version evaluated beside the live one). */
  shadow?: ShadowState | null;
}

/** How a request was assigned to a stage's canary or stable version (text only when explained: describeAssignment). */
export interface CanaryAssignment {
  /** Set when no split decided: "no canary", "forced …", "canary at 0%". */
  reason?: string;
  /** The caller's bucket in 0–9999, when the split decided, with what decided it. */
  bucket?: number;
  percent?: number;
  sticky?: StickyKey;
  hadKey?: boolean;
}

/** A custom-domain mapping: host (+ base path) → API and stage. */
export interface DomainTarget {
  api: string;
  stage: string;
  /** The first path segment the mapping consumes; "" when it maps the whole host. */
  basePath: string;
}

/** The facts stage resolution may use to pick stable or canary (sticky keys). */
export interface CallerFacts {
  request: Request;
  clientIp: string;
}

export interface ConfigSource {
  /** The API served on the Worker's own host names (`/<stage>/...`). */
  defaultApi(): string;
  /** Custom-domain mappings for a host (lower-cased, without port); empty when the host has none. */
  domainTargets(host: string): Promise<DomainTarget[]> | DomainTarget[];
  /**
   * A host's routing rules and routing mode (Amazon's routing rules for custom domains), compiled; undefined when
   * the host has none. Checked before `domainTargets` (routing/routing-rules.ts); read from the same domain table.
   */
  domainRouting?(host: string): CompiledRouting | undefined | Promise<CompiledRouting | undefined>;
  /** The flavour of `api` when some version of it is at hand (unknown stages answer as its flavour does). */
  flavorOf?(api: string): Flavor | undefined;
  /** The bundle serving `api`/`stage` for this caller, or undefined when no such stage exists. */
  resolveStage(api: string, stage: string, caller: CallerFacts): Promise<StageResolution | undefined> | StageResolution | undefined;
}

const NO_TARGETS: DomainTarget[] = [];

/** The version under which requests no version could serve are counted (metrics, `resolve-stage`). */
export const UNAVAILABLE_VERSION = "unavailable";

/**
 * No version can be served safely (the configuration store failed and the isolate knows no version): Amazon's
 * error body with 503 and Retry-After, so clients retry. Logged when made; resolve-stage counts it per stage.
 */
export class ConfigUnavailableError extends GatewayError {
  /** The API and stage the request was for, when known (the metrics it is counted in). */
  readonly api: string | undefined;
  readonly stage: string | undefined;
  constructor(scope: { api?: string | undefined; stage?: string | undefined; host?: string }, reason: string) {
    super("DEFAULT_5XX", { status: 503, message: "Service Unavailable", headers: { "retry-after": "1" }, detail: reason });
    this.api = scope.api;
    this.stage = scope.stage;
    console.error(JSON.stringify({ level: "error", event: "config-unavailable", ...scope, reason }));
  }
}

/** Mappings for `host`: exact, or a `*.` wildcard standing for exactly one label (`*.example.com` ⊃ `a.example.com`). */
export function matchDomains<T extends { host: string }>(domains: readonly T[], host: string): T[] {
  const dot = host.indexOf(".");
  const wildcard = dot > 0 ? `*${host.slice(dot)}` : undefined;
  return domains.filter((d) => d.host === host || d.host === wildcard);
}

/**
 * The embedded default: bundles compiled in at build time, serving the stages they define — the default API's,
 * and other APIs' (`others`, e.g. the example's WebSocket chat) on their custom domains.
 */
export class EmbeddedConfigSource implements ConfigSource {
  readonly bundle: CompiledBundle;
  readonly #api: string;
  /** Every embedded bundle by API name, the default one included. */
  readonly #byApi = new Map<string, CompiledBundle>();
  /** Routing rules by host, of every embedded bundle, compiled once (each rule's default API is its bundle's). */
  readonly #routing: { host: string; api: string; routing: CompiledRouting }[];

  constructor(id: string, bundle: Bundle, api?: string, others: { id: string; bundle: Bundle }[] = []) {
    this.bundle = CompiledBundle.of(id, bundle);
    this.#api = api || bundle.api.name;
    for (const other of others) this.#byApi.set(other.bundle.api.name, CompiledBundle.of(other.id, other.bundle));
    this.#byApi.set(bundle.api.name, this.bundle);
    this.#routing = [...this.#byApi.values()].flatMap(({ bundle: b }) =>
      (b.domainRouting ?? []).map((r) => ({ host: r.host, api: b.api.name, routing: compileRouting(r, b.api.name) })),
    );
  }

  /** `include`: which embedded APIs' rules count (the Registry source leaves out those published since). */
  domainRouting(host: string, include?: (api: string) => boolean): CompiledRouting | undefined {
    if (!this.#routing.length) return undefined;
    // An exact host wins over a `*.` wildcard.
    const matches = matchDomains(this.#routing, host).filter((m) => !include || include(m.api));
    return (matches.find((m) => m.host === host) ?? matches[0])?.routing;
  }

  defaultApi(): string {
    return this.#api;
  }

  domainTargets(host: string): DomainTarget[] {
    if (this.#byApi.size === 1 && !this.bundle.bundle.domains.length) return NO_TARGETS;
    const targets: DomainTarget[] = [];
    for (const compiled of this.#byApi.values())
      for (const d of matchDomains(compiled.bundle.domains, host)) targets.push({ api: compiled.bundle.api.name, stage: d.stage, basePath: d.basePath });
    return targets.length ? targets : NO_TARGETS;
  }

  flavorOf(api: string): Flavor | undefined {
    return api === this.bundle.bundle.api.name ? this.bundle.bundle.api.flavor : undefined;
  }

  resolveStage(api: string, stage: string): StageResolution | undefined {
    const compiled = this.#byApi.get(api);
    if (!compiled) return undefined;
    const settings = Object.hasOwn(compiled.bundle.stages, stage) ? compiled.bundle.stages[stage] : undefined;
    if (!settings) return undefined;
    return { bundle: compiled, variables: settings.variables, isCanary: false, cacheNamespace: compiled.id, cacheGeneration: 0 };
  }
}
