/**
 * The Registry's RPC contract, version REGISTRY_CONTRACT (durable-objects/contract.ts has the rules; STORAGE.md the
 * table). Every call is one `{ v, …fields }` argument; every reply a `Reply`. The methods from before contracts
 * (v0: `servingState()`, `rollback(stage, to)`, …) are still answered for callers of the previous release
 * (durable-objects/registry/index.ts); the data plane falls back to them when a Registry predates v1.
 */
import type { AutoCanaryConfig, DomainRow, RoutingRow, ShadowBatch, StickyKey } from "../../src/deploy/types.ts";
import type { Reply } from "../contract.ts";
import type { KeyRow } from "../key-store/keys.ts";

export const REGISTRY_CONTRACT = 1;

type Call<T = unknown> = { v: number } & T;

export interface PublishInput {
  api: string;
  bundleId: string;
  /** The bundle's canonical JSON (its SHA-256 is bundleId). */
  bundleText: string;
  routes: number;
  /** Stages the bundle defines: a bundle can only serve those. */
  bundleStages: string[];
  stage: string;
  description: string | null;
  /** Deploy as the stage's canary at this percent instead of moving the stable pointer. */
  canaryPercent?: number;
}

/**
 * `--require-clean-shadow`, on `configureCanary`, `promote` and `automate`: the canary's version must first have a
 * clean shadow report on the stage (shadow.ts); refused with 409 otherwise.
 */
export interface ShadowGate {
  requireCleanShadow?: boolean;
  /** Evaluated requests the report needs (default 1). */
  minShadowRequests?: number;
}

export interface CanaryInput {
  deploymentId?: string;
  percent?: number;
  stageVariableOverrides?: Record<string, string>;
  useStageCache?: boolean;
  sticky?: StickyKey;
}

/**
 * What the caller found in KV before asking: no snapshot (or KV down), or one too old to trust alone. Either way the
 * Registry rewrites its snapshot (at most every SNAPSHOT_REWRITE_MS), so a snapshot that went missing or stale — a
 * Registry from before snapshots, failed writes — is mended by the first isolate that notices.
 */
export type SnapshotSeen = "missing" | "stale";

/** `serving`: the API's stage pointers. `api` names the snapshot a never-published API's Registry writes. */
export type ServingCall = Call<{ api: string; kv?: SnapshotSeen }>;
export type BundleCall = Call<{ id: string }>;
export type DomainTableCall = Call<{ kv?: SnapshotSeen }>;
export type DeployCall = Call<PublishInput>;
export type RevertCall = Call<{ stage: string; to?: string }>;
export type CanaryCall = Call<{ stage: string; canary: CanaryInput } & ShadowGate>;
export type StageCall = Call<{ stage: string }>;
export type PromoteCall = Call<{ stage: string } & ShadowGate>;
export type AutomateCall = Call<{ stage: string; config: AutoCanaryConfig } & ShadowGate>;
export type HistoryCall = Call<{ stage?: string; limit?: number }>;
export type DeploymentsCall = Call<{ limit?: number }>;
/**
 * `api`: the API whose MetricsStore shards to read. Needed for an API this instance never published (its stages are
 * served from the embedded bundle, so the instance has no name of its own yet); ignored when it names another API.
 */
export type StageMetricsCall = Call<{ stage: string; since: number; api?: string }>;
/** `stageSeries`: as StageMetricsCall, per step of `stepMs` (a multiple of METRICS_SLOT_MS): the dashboard's charts. */
export type StageSeriesCall = Call<{ stage: string; since: number; stepMs: number; api?: string }>;
/** `startShadow`: evaluate `version` (an id or unique prefix) beside the stage's live version on `percent` of requests. */
export type StartShadowCall = Call<{ stage: string; version: string; percent: number }>;
/** `recordShadow`: one isolate's shadow results for a stage since its last flush. */
export type RecordShadowCall = Call<{ stage: string; batch: ShadowBatch }>;
/** `routing`: the API's routing rules by host (absent from a caller that predates them: the API then has none). */
export type MapDomainsCall = Call<{ api: string; version: number; domains: DomainRow[]; routing?: RoutingRow[] }>;
export type HostCall = Call<{ host: string }>;
export type ListApisCall = Call;
/** The `keys` instance: the KeyStore's shard count, recorded at first use (`proposed` is the caller's KEY_SHARDS). */
export type KeyLayoutCall = Call<{ proposed: number }>;
/** The `keys` instance: pre-KeyStore keys whose hash is in [from, to), after `after`, for a shard's one-time copy. */
export type LegacyKeysCall = Call<{ from: string; to: string | null; after: string; limit: number }>;

/**
 * The Registry's methods that other objects call, as they see them: the KeyStore asks the `keys` instance (the
 * directory), and an API's instance tells the `index` instance its domains. Their `REGISTRY` is typed by these rather
 * than by the Registry class, which imports the code they share with it (the KeyStore's client; the Registry
 * itself); Registry implements both, so the two cannot drift apart.
 */
export interface KeyDirectoryRpc extends Rpc.DurableObjectBranded {
  keyLayout(call: KeyLayoutCall): Reply<number>;
  legacyKeys(call: LegacyKeysCall): Reply<KeyRow[]>;
}

/** The domain index's one method an API's Registry calls (domain-index.ts). */
export interface DomainIndexRpc extends Rpc.DurableObjectBranded {
  mapDomains(call: MapDomainsCall): Promise<Reply<number>>;
}
