/**
 * The data plane's view of deployments. Stage pointers and the domain table are read, once per `memoMs`
 * (REGISTRY_MEMO_MS, default 5 s) per isolate, from the snapshots the Registry publishes in KV, and from the
 * Registry itself only when no trustworthy snapshot exists (snapshot-reader.ts): a publish or rollback reaches every
 * request within KV's propagation (up to 60 s) plus that bound. Bundles are immutable and memoised forever by id. A
 * configuration-store fault never makes serving more permissive — never an older version than the isolate knew,
 * least of all the embedded bundle:
 *
 * - a snapshot with a lower version than the isolate knows is ignored; one older than SNAPSHOT_TRUST_MS is trusted
 *   only once the Registry confirms it;
 * - neither can be read → the last pointers this isolate knew keep serving (retried after 1 s);
 * - neither can be read and this isolate never knew the API → 503 (`ConfigUnavailableError`), counted: the
 *   embedded default serves only a stage the Registry (or its snapshot) positively said was never published, since
 *   an unreachable Registry may hold a newer version (one that added an authorizer, say);
 * - a bundle that cannot be loaded (a KV error reads as a KV miss: the Registry's copy is tried), fails to parse,
 *   or does not hash to its id → refused and logged, and the last good bundle for that stage keeps serving,
 *   else 503 — never the embedded default.
 *
 * Each request gets one StageResolution, so it is served wholly by one version.
 */
import type { Flavor } from "../config/types.ts";
import type { Env } from "../env.ts";
import { constantTimeEqual } from "../security/constant-time.ts";
import { GatewayError } from "../pipeline/gateway-responses.ts";
import { loadBundle } from "./bundle-store.ts";
import { bucketOf, inCanary, stickyValue } from "./canary.ts";
import { CompiledBundle } from "./compiled-bundle.ts";
import type { CompiledRouting } from "../routing/routing-rules.ts";
import { ConfigUnavailableError, type CallerFacts, type CanaryAssignment, type ConfigSource, type DomainTarget, type EmbeddedConfigSource, type StageResolution } from "./config-source.ts";
import { PublishedDomains } from "./domain-table.ts";
import { awaitShared } from "../util/await-shared.ts";
import { readDomainTable, readServing, withTimeout } from "./registry-client.ts";
import { readSnapshot, refreshKnown, SNAPSHOT_KV_WAIT_MS, type Known } from "./snapshot-reader.ts";
import { apiSnapshotKey, DOMAINS_SNAPSHOT_KEY, isDomainTable, isServingState, SNAPSHOT_TRUST_MS } from "./snapshots.ts";
import type { ServingState, StageState } from "./types.ts";

export const DEFAULT_MEMO_MS = 5000;
const REGISTRY_WAIT_MS = 2000;
/** A refresh reads KV (bounded on its own) and then, if need be, the Registry. */
const REFRESH_WAIT_MS = SNAPSHOT_KV_WAIT_MS + REGISTRY_WAIT_MS;
const RETRY_AFTER_FAILURE_MS = 1000;
const MAX_MEMO_ENTRIES = 10_000;
/** Compiled bundles kept by this source — per app (stable and canary of every stage in use fit easily). */
const MAX_BUNDLES = 32;

/** Headers a tester uses to force a version; honoured only with the PORTICO_FORCE_SECRET value. */
export const FORCE_VERSION_HEADER = "x-portico-force-version";
export const FORCE_SECRET_HEADER = "x-portico-force-secret";

const NO_CANARY: CanaryAssignment & { canary: boolean } = { canary: false, reason: "no canary" };

/** A memo entry: what the isolate knows (nothing yet: value undefined), and when it last looked. */
interface Memo<T> {
  value: T | undefined;
  version?: number;
  evidenceAt?: number;
  fetchedAt: number;
  pending?: Promise<T | undefined>;
}

/** A snapshot-then-Registry read of one key, given what the isolate knows. */
type Load<T> = (key: string, known: Known<T> | undefined) => Promise<Known<T>>;

export class RegistryConfigSource implements ConfigSource {
  readonly #env: Env;
  readonly #embedded: EmbeddedConfigSource;
  readonly #memoMs: number;
  readonly #prepare: (compiled: CompiledBundle) => void;
  readonly #pointers = new Map<string, Memo<ServingState>>();
  readonly #domains = new Map<string, Memo<PublishedDomains>>();
  readonly #bundles = new Map<string, CompiledBundle>();
  readonly #lastGood = new Map<string, CompiledBundle>();
  readonly #refused = new Map<string, { reason: string; until: number }>();
  /** SNAPSHOT_TRUST_MS, less up to a quarter at random per isolate: isolates that learnt a version at the same moment do not all ask the Registry at the same moment when it ages. */
  readonly #trustMs = SNAPSHOT_TRUST_MS * (0.75 + Math.random() * 0.25);
  // Made once: a closure per request just to pass to a memo hit would be garbage on the hot path. The table is
  // compiled (routing rules included) once per version read: a snapshot of the version already held is not.
  readonly #loadDomains: Load<PublishedDomains> = (_key, known) =>
    refreshKnown(
      DOMAINS_SNAPSHOT_KEY,
      known,
      {
        snapshot: async () => {
          const snapshot = await readSnapshot(this.#env.BUNDLES, DOMAINS_SNAPSHOT_KEY, isDomainTable);
          if (!snapshot) return undefined;
          return { ...snapshot, value: known?.version === snapshot.version ? known.value : new PublishedDomains(snapshot.value) };
        },
        registry: async (kv) => {
          const table = await readDomainTable(this.#env, kv);
          return { version: table.version, value: known?.version === table.version ? known.value : new PublishedDomains(table) };
        },
      },
      this.#trustMs,
    );
  readonly #loadServing: Load<ServingState> = (api, known) =>
    refreshKnown(
      apiSnapshotKey(api),
      known,
      {
        snapshot: () => readSnapshot(this.#env.BUNDLES, apiSnapshotKey(api), isServingState),
        registry: async (kv) => {
          const state = await readServing(this.#env, api, kv);
          return { version: state.version, value: state };
        },
      },
      this.#trustMs,
    );

  /**
   * `prepare` builds a loaded bundle's executors (steps/executors.ts, given by the Worker's entry, which sits above
   * them): a bundle it throws on is refused like one that does not compile, and the last good version serves.
   */
  constructor(env: Env, embedded: EmbeddedConfigSource, memoMs = Number(env.REGISTRY_MEMO_MS) || DEFAULT_MEMO_MS, prepare: (compiled: CompiledBundle) => void = () => {}) {
    this.#env = env;
    this.#embedded = embedded;
    this.#memoMs = memoMs;
    this.#prepare = prepare;
  }

  defaultApi(): string {
    return this.#embedded.defaultApi();
  }

  /** From a version of the API this isolate already holds (no Registry call), else the embedded bundle's. */
  flavorOf(api: string): Flavor | undefined {
    const serving = this.#pointers.get(api)?.value;
    for (const state of Object.values(serving?.stages ?? {})) {
      const known = this.#bundles.get(state.deploymentId);
      if (known) return known.bundle.api.flavor;
    }
    return this.#embedded.flavorOf(api);
  }

  // Both answer synchronously on a memo hit (the common case): no promise, no microtask on the hot path.

  /** From the whole domain table, memoised as one entry: a made-up Host header costs no Registry call. */
  domainTargets(host: string): DomainTarget[] | Promise<DomainTarget[]> {
    const table = this.#memoised(this.#domains, "*", this.#loadDomains);
    const pick = (published: PublishedDomains | undefined) => {
      // Never read: the published table might map this host elsewhere, so the embedded mappings cannot stand in.
      if (published === undefined) {
        // Never read. A host the embedded bundle maps may be mapped elsewhere now: nothing serves it. Any other host
        // goes on as unmapped — the default API by path, which is reachable that way on every host anyway, and
        // whose own resolution fails closed in turn when its pointers were never read either.
        const embedded = this.#embedded.domainTargets(host);
        if (embedded.length) throw new ConfigUnavailableError({ host, api: embedded[0]!.api, stage: embedded[0]!.stage }, "the domain table was never read in this isolate (no trustworthy snapshot, and the Registry did not answer)");
        return [];
      }
      const targets = published.targets(host);
      return targets.length ? targets : this.#embedded.domainTargets(host);
    };
    return table instanceof Promise ? table.then(pick) : pick(table);
  }

  /**
   * The host's routing rules from the same table: the published ones (the version each owning API most recently made
   * stable). An embedded bundle's rules stand in only for a host the table neither maps nor routes, and only while
   * their API was never published — a published version may have changed or dropped them.
   */
  domainRouting(host: string): CompiledRouting | undefined | Promise<CompiledRouting | undefined> {
    const table = this.#memoised(this.#domains, "*", this.#loadDomains);
    const pick = (published: PublishedDomains | undefined) => {
      if (published === undefined) {
        // Never read: the host's published rules may differ from the embedded ones (or route it elsewhere).
        const embedded = this.#embedded.domainRouting(host);
        if (embedded) throw new ConfigUnavailableError({ host }, "the domain table was never read in this isolate (no trustworthy snapshot, and the Registry did not answer)");
        return undefined;
      }
      const own = published.routing(host);
      if (own) return own;
      const embedded = this.#embedded.domainRouting(host, (api) => !published.published(api));
      return embedded && !published.knows(host) ? embedded : undefined;
    };
    return table instanceof Promise ? table.then(pick) : pick(table);
  }

  resolveStage(api: string, stage: string, caller: CallerFacts): StageResolution | undefined | Promise<StageResolution | undefined> {
    const serving = this.#memoised(this.#pointers, api, this.#loadServing);
    return serving instanceof Promise ? serving.then((s) => this.#resolveWith(s, api, stage, caller)) : this.#resolveWith(serving, api, stage, caller);
  }

  #resolveWith(serving: ServingState | undefined, api: string, stage: string, caller: CallerFacts): StageResolution | undefined | Promise<StageResolution | undefined> {
    // No answer from the Registry, ever: it may hold a newer version than the embedded one, so nothing serves.
    if (serving === undefined) {
      // Counted per stage only for stages the operator named (the embedded bundle's): the path is the client's.
      const named = this.#embedded.resolveStage(api, stage) !== undefined;
      throw new ConfigUnavailableError({ api, stage: named ? stage : undefined }, "this API's pointers were never read in this isolate (no trustworthy snapshot, and the Registry did not answer)");
    }
    const state = Object.hasOwn(serving.stages, stage) ? serving.stages[stage] : undefined;
    // The Registry answered that this stage was never published: the embedded default may serve it.
    if (!state) return this.#embedded.resolveStage(api, stage);
    const assignment = state.canary ? this.#assign(state, caller) : NO_CANARY;
    const canary = assignment.canary ? state.canary : null;
    const id = canary ? canary.deploymentId : state.deploymentId;
    const known = this.#bundles.get(id);
    if (known) return this.#resolution(known, state, stage, canary, assignment);
    return this.#bundle(api, stage, canary ? "canary" : "stable", id).then((bundle) => this.#resolution(bundle, state, stage, canary, assignment));
  }

  #resolution(bundle: CompiledBundle, state: StageState, stage: string, canary: StageState["canary"], assignment: CanaryAssignment): StageResolution {
    const settings = bundle.bundle.stages[stage];
    if (!settings) throw new GatewayError("API_CONFIGURATION_ERROR", { detail: `bundle ${bundle.id} does not define stage ${stage}` });
    const variables = canary ? { ...settings.variables, ...canary.stageVariableOverrides } : settings.variables;
    const cacheNamespace = canary && !canary.useStageCache ? canary.deploymentId : state.deploymentId;
    return { bundle, variables, isCanary: !!canary, cacheNamespace, cacheGeneration: state.cacheGeneration ?? 0, assignment, shadow: state.shadow ?? null };
  }

  #assign(state: StageState, caller: CallerFacts): CanaryAssignment & { canary: boolean } {
    const canary = state.canary!;
    const forced = caller.request.headers.get(FORCE_VERSION_HEADER);
    if (forced && this.#forceAllowed(caller.request)) {
      const toCanary = forced === "canary" || canary.deploymentId.startsWith(forced);
      return { canary: toCanary, reason: `forced to ${toCanary ? "canary" : "stable"} by ${FORCE_VERSION_HEADER}` };
    }
    if (canary.percent <= 0) return { canary: false, reason: "canary at 0%" };
    if (canary.percent >= 100) return { canary: true, reason: "canary at 100%" };
    const key = stickyValue(canary.sticky, caller.request, caller.clientIp);
    const bucket = key === undefined ? Math.floor(Math.random() * 10_000) : bucketOf(key);
    // Facts, not text: the reason is written only when the request is explained (describeAssignment).
    return { canary: inCanary(bucket, canary.percent), bucket, percent: canary.percent, sticky: canary.sticky, hadKey: key !== undefined };
  }

  #forceAllowed(request: Request): boolean {
    const secret = this.#env.PORTICO_FORCE_SECRET;
    const given = request.headers.get(FORCE_SECRET_HEADER);
    return !!secret && !!given && constantTimeEqual(secret, given);
  }

  async #bundle(api: string, stage: string, role: string, id: string): Promise<CompiledBundle> {
    const known = this.#bundles.get(id);
    if (known) return known;
    const slot = `${api}/${stage}/${role}`;
    let loaded: { ok: true; compiled: CompiledBundle } | { ok: false; reason: string };
    const refused = this.#refused.get(id);
    // A bundle just refused is not read again on every request: once per memo bound is enough to notice a fix.
    const remembered = !!refused && refused.until > Date.now();
    if (remembered) loaded = { ok: false, reason: refused!.reason };
    else try {
      const read = await loadBundle(this.#env, api, id);
      // A bundle that cannot be compiled (written by an incompatible release, say) is refused like a bad hash.
      if (read.ok) {
        const compiled = CompiledBundle.of(id, read.bundle);
        this.#prepare(compiled);
        loaded = { ok: true, compiled };
      } else loaded = read;
    } catch (err) {
      loaded = { ok: false, reason: (err as Error).message };
    }
    if (!loaded.ok && !remembered) {
      if (this.#refused.size > 100) this.#refused.clear();
      this.#refused.set(id, { reason: loaded.reason, until: Date.now() + this.#memoMs });
    } else if (loaded.ok) this.#refused.delete(id);
    if (loaded.ok) {
      if (this.#bundles.size >= MAX_BUNDLES) this.#bundles.delete(this.#bundles.keys().next().value!);
      this.#bundles.set(id, loaded.compiled);
      this.#lastGood.set(slot, loaded.compiled);
      return loaded.compiled;
    }
    const fallback = this.#lastGood.get(slot) ?? this.#lastGood.get(`${api}/${stage}/stable`);
    console.error(JSON.stringify({ level: "error", event: "bundle-unavailable", api, stage, id, reason: loaded.reason, servingInstead: fallback?.id ?? null }));
    if (fallback) return fallback;
    // The stage was published (that is how we have its id): the embedded bundle is an older version, never a stand-in.
    throw new ConfigUnavailableError({ api, stage }, `bundle ${id} unavailable: ${loaded.reason}`);
  }

  /** Single-flight, time-bounded memo: a stale entry waits for one refresh; a failed refresh keeps the old value. */
  #memoised<T>(memo: Map<string, Memo<T>>, key: string, load: Load<T>): T | undefined | Promise<T | undefined> {
    const entry = memo.get(key);
    if (entry && Date.now() - entry.fetchedAt < this.#memoMs) return entry.value;
    return this.#refresh(memo, key, load, entry);
  }

  async #refresh<T>(memo: Map<string, Memo<T>>, key: string, load: Load<T>, entry: Memo<T> | undefined): Promise<T | undefined> {
    if (entry?.pending) {
      // Another request's refresh: wait for it on our own clock, and read what it stored.
      if (await awaitShared(entry.pending, REFRESH_WAIT_MS)) return memo.get(key)?.value;
      return entry.value;
    }
    const known: Known<T> | undefined = entry?.value !== undefined ? { value: entry.value, version: entry.version!, evidenceAt: entry.evidenceAt! } : undefined;
    const pending = withTimeout(load(key, known), REFRESH_WAIT_MS, "the configuration store").then(
      (got) => {
        memo.set(key, { value: got.value, version: got.version, evidenceAt: got.evidenceAt, fetchedAt: Date.now() });
        return got.value;
      },
      (err: unknown) => {
        console.error(JSON.stringify({ level: "error", event: "registry-unreachable", key, reason: (err as Error).message, keepServing: entry?.value !== undefined }));
        memo.set(key, { ...known, value: entry?.value, fetchedAt: Date.now() - this.#memoMs + RETRY_AFTER_FAILURE_MS });
        return entry?.value;
      },
    );
    // Bounded: host names come from clients (a wildcard route lets any Host through).
    if (!entry && memo.size >= MAX_MEMO_ENTRIES) memo.delete(memo.keys().next().value!);
    memo.set(key, { ...known, value: entry?.value, fetchedAt: entry?.fetchedAt ?? 0, pending });
    return pending;
  }
}
