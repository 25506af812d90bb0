/**
 * Registry: the class bound in wrangler.toml. Contract v1 is RegistryObject (registry.ts); here are the methods of
 * the previous release (contract v0: positional arguments, unversioned replies), answered for one release so that
 * isolates and objects still running it during a deploy keep working: each maps onto its v1 method and answers in
 * the v0 shape (a v1 `Reply` is a v0 `Result` plus `v`, which old callers ignore). API keys moved to KeyStore, so the
 * v0 key methods are forwarded there; the table they used is kept read-only, for the shards' one-time copy.
 * @deprecated Every method of this class is contract v0; callers of this release use RegistryObject's.
 */
import type { ApiKeyRecord, AutoCanaryConfig, DeploymentRecord, DomainRow, HistoryEntry, KeyLookup, ServingState, StageState, VersionMetrics } from "../../src/deploy/types.ts";
import { KeyStoreClient } from "../../src/deploy/key-store-client.ts";
import { newKeyId } from "../../src/security/api-keys.ts";
import { Refused, type Reply } from "../contract.ts";
import type { KeyChanges } from "../key-store/keys.ts";
import { configuredKeyShards } from "../key-store/layout.ts";
import { REGISTRY_CONTRACT, type CanaryInput, type DomainIndexRpc, type KeyDirectoryRpc, type PublishInput } from "./contract.ts";
import { RegistryObject } from "./registry.ts";
import type { Result } from "./stages.ts";

export type { Result } from "./stages.ts";
export type { ApiKeyRecord, KeyLookup, ServingState, DomainRow } from "../../src/deploy/types.ts";
export type { CanaryInput, PublishInput } from "./contract.ts";

const V = REGISTRY_CONTRACT;

/**
 * A v1 reply as a v0 Result: the same object (its `v` is ignored by v0 callers). Its status may be one v0 never
 * sent (501, 503); the previous release's admin API passes any status on.
 */
const asResult = <T>(reply: Promise<Reply<T>>) => reply as Promise<Result<T>>;

/** The value of a v1 reply, for v0 methods that returned bare values (a refusal becomes the error v0 threw). */
function bare<T>(reply: Reply<T>): T {
  if (!reply.ok) throw new Refused("Registry", reply);
  return reply.value;
}

export class Registry extends RegistryObject implements KeyDirectoryRpc, DomainIndexRpc {
  /** @deprecated v0: `serving`. */
  servingState(): ServingState {
    return bare(this.serving({ v: V, api: "" }));
  }

  /** @deprecated v0: `bundle`. */
  bundleText(id: string): string | null {
    return bare(this.bundle({ v: V, id }));
  }

  /** @deprecated v0: `deploy`. */
  publish(input: PublishInput): Promise<Result<{ stage: StageState; deployment: DeploymentRecord; changed: boolean }>> {
    return asResult(this.deploy({ v: V, ...input }));
  }

  /** @deprecated v0: `revert`. */
  rollback(stage: string, to?: string): Promise<Result<StageState>> {
    return asResult(this.revert({ v: V, stage, ...(to !== undefined ? { to } : {}) }));
  }

  /** @deprecated v0: `configureCanary`. */
  setCanary(stage: string, input: CanaryInput): Promise<Result<StageState>> {
    return asResult(this.configureCanary({ v: V, stage, canary: input }));
  }

  /** @deprecated v0: `promote`. */
  promoteCanary(stage: string): Promise<Result<StageState>> {
    return asResult(this.promote({ v: V, stage }));
  }

  /** @deprecated v0: `removeCanary`. */
  deleteCanary(stage: string): Promise<Result<StageState>> {
    return asResult(this.removeCanary({ v: V, stage }));
  }

  /** @deprecated v0: `automate`. */
  startAutoCanary(stage: string, config: AutoCanaryConfig): Promise<Result<StageState>> {
    return asResult(this.automate({ v: V, stage, config }));
  }

  /** @deprecated v0: `flushStageCache`. */
  flushCache(stage: string): Promise<Result<{ stage: string; cacheGeneration: number }>> {
    return asResult(this.flushStageCache({ v: V, stage }));
  }

  /** @deprecated v0: `listHistory`. */
  history(stage?: string, limit = 50): HistoryEntry[] {
    return bare(this.listHistory({ v: V, ...(stage !== undefined ? { stage } : {}), limit }));
  }

  /** @deprecated v0: `listDeployments`. */
  deployments(limit = 50): DeploymentRecord[] {
    return bare(this.listDeployments({ v: V, limit }));
  }

  /** @deprecated v0: `stageMetrics`. */
  async metrics(stage: string, sinceMs: number): Promise<VersionMetrics[]> {
    return bare(await this.stageMetrics({ v: V, stage, since: sinceMs }));
  }

  /** @deprecated v0: `mapDomains`. */
  setApiDomains(api: string, version: number, domains: DomainRow[]): Promise<Result<number>> {
    return asResult(this.mapDomains({ v: V, api, version, domains }));
  }

  /** @deprecated v0: `domainTable`. */
  domains(): DomainRow[] {
    return bare(this.domainTable({ v: V })).domains;
  }

  /** @deprecated v0: `hostTargets`. */
  domainTargets(host: string): DomainRow[] {
    return bare(this.hostTargets({ v: V, host }));
  }

  /** @deprecated v0: `listApis`. */
  apis(): { name: string; updatedAt: number }[] {
    return bare(this.listApis({ v: V }));
  }

  // ---- API keys, forwarded to KeyStore (the `keys` instance) ----

  #keyStore(): KeyStoreClient {
    return new KeyStoreClient(this.env, bare(this.keyLayout({ v: V, proposed: configuredKeyShards(this.env.KEY_SHARDS) })));
  }

  /** @deprecated v0: KeyStore `create`. */
  createKey(input: { name: string; description: string | null; hash: string; hint: string; enabled: boolean; stages: string[]; plans: string[] }): Promise<ApiKeyRecord> {
    return this.#keyStore().create({ ...input, id: newKeyId() });
  }

  /** @deprecated v0: KeyStore `list`. */
  listKeys(): Promise<ApiKeyRecord[]> {
    return this.#keyStore().list();
  }

  /** @deprecated v0: KeyStore `get`. */
  getKey(id: string): Promise<ApiKeyRecord | null> {
    return this.#keyStore().get(id);
  }

  /**
   * @deprecated v0: KeyStore `update`. A rotation from the previous release's admin API is refused (409): its new
   * value was not made for the key's shard, and moving a key between shards could leave both values working at once.
   */
  updateKey(id: string, changes: KeyChanges): Promise<Result<ApiKeyRecord>> {
    return this.#keyStore().update(id, changes);
  }

  /** @deprecated v0: KeyStore `inPlan`. */
  keysInPlan(plan: string): Promise<ApiKeyRecord[]> {
    return this.#keyStore().inPlan(plan);
  }

  /** @deprecated v0: KeyStore `remove`. */
  async deleteKey(id: string): Promise<Result<{ id: string }>> {
    return this.#keyStore().remove(id);
  }

  /** @deprecated v0: KeyStore `lookup` (isolates of the previous release ask here). */
  lookupKey(hash: string): Promise<KeyLookup | null> {
    if (!/^[0-9a-f]{64}$/.test(hash)) return Promise.resolve(null);
    return this.#keyStore().lookup(hash);
  }
}

