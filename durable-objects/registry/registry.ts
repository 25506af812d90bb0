/**
 * The Registry's contract-v1 surface (durable-objects/registry/contract.ts): the source of truth for deployments. One
 * object per API (`api:<name>`) holds that API's stages, deployments (with a copy of each bundle), canaries and
 * history; `index` maps custom-domain hosts to APIs; `keys` is the KeyStore's directory (its layout, and the keys
 * stored before KeyStore). Each API instance and the index publish a snapshot to KV after every change and every
 * SNAPSHOT_REFRESH_MS, which the data plane reads instead of calling here. Tables in durable-objects/STORAGE.md.
 * The class bound in wrangler.toml (index.ts) adds the previous release's methods (contract v0).
 *
 * This class is the RPC surface: it checks each call's contract, hands the work to the module that owns it — deploys
 * and pointers (pointers.ts), automated canaries (canary-driver.ts), shadow evaluation (shadow.ts), the domain index
 * (domain-index.ts), snapshots (snapshots.ts), metrics (metrics-reads.ts, metrics-store.ts), the tables (stages.ts) —
 * and publishes what changed.
 */
import { DurableObject } from "cloudflare:workers";
import { apiSnapshotKey, DOMAINS_SNAPSHOT_KEY } from "../../src/deploy/snapshots.ts";
import type { DeploymentRecord, DomainRow, HistoryEntry, MetricsSample, RoutingRow, ServingState, ShadowReport, StageState, VersionMetrics, VersionSeries } from "../../src/deploy/types.ts";
import { ok, unknownContract, type Reply } from "../contract.ts";
import { configuredKeyShards } from "../key-store/layout.ts";
import { rowsInRange, type KeyRow } from "../key-store/keys.ts";
import { canaryChecksDue, evaluateAutoCanaries } from "./canary-driver.ts";
import * as contract from "./contract.ts";
import { REGISTRY_CONTRACT } from "./contract.ts";
import * as domainIndex from "./domain-index.ts";
import * as metrics from "./metrics-reads.ts";
import { recordSamples } from "./metrics-store.ts";
import * as pointers from "./pointers.ts";
import { migrate } from "./schema.ts";
import * as shadow from "./shadow.ts";
import { RegistrySnapshots } from "./snapshots.ts";
import * as stages from "./stages.ts";
import type { Result } from "./stages.ts";
import type { RegistryObjectEnv } from "./env.ts";

const V = REGISTRY_CONTRACT;
export { AUTO_CANARY_POLL_MS } from "./canary-driver.ts";
export { SNAPSHOT_REWRITE_MS } from "./snapshots.ts";

const withV = <T>(result: Result<T>): Reply<T> => ({ v: V, ...result });
const speaks = (call: unknown) => (call as { v?: unknown } | null)?.v === V;

export class RegistryObject extends DurableObject<RegistryObjectEnv> {
  readonly #sql: SqlStorage;
  readonly #snapshots: RegistrySnapshots;

  constructor(ctx: DurableObjectState, env: RegistryObjectEnv) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    migrate(this.#sql);
    this.#snapshots = new RegistrySnapshots(ctx, env.BUNDLES, () => this.#snapshotContent(), () => this.#scheduleAlarm());
  }

  #meta(key: string): string | undefined {
    return this.#sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value;
  }

  #setMeta(key: string, value: string): void {
    this.#sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, value);
  }

  #api(): string {
    return this.#meta("api") ?? "";
  }

  #version(): number {
    return Number(this.#meta("version") ?? "0");
  }

  #bumpVersion(): number {
    const next = this.#version() + 1;
    this.#setMeta("version", String(next));
    return next;
  }

  #servingState(): ServingState {
    const api = this.#api();
    return { api, version: this.#version(), stages: Object.fromEntries(stages.readStages(this.#sql, api).map((s) => [s.stage, s])) };
  }

  // ---- snapshots ----

  /** What this instance publishes: an API's pointers, or the domain table (the index), under `meta.snapshot_key`. */
  #snapshotContent() {
    const key = this.#meta("snapshot_key");
    if (!key) return undefined;
    if (key === DOMAINS_SNAPSHOT_KEY) return { key, version: this.#version(), value: domainIndex.domainTable(this.#sql) };
    return { key, version: this.#version(), value: this.#servingState() };
  }

  /** Names the snapshot this instance publishes (the first time it learns what it is). */
  #publishesTo(key: string): void {
    if (this.#meta("snapshot_key") !== key) this.#setMeta("snapshot_key", key);
  }

  // ---- data plane reads ----

  /** The API's pointers; and its snapshot rewritten when the caller found none, or one too old (`kv`). */
  serving(call: contract.ServingCall): Reply<ServingState> {
    if (!speaks(call)) return unknownContract(V, call);
    const api = this.#api();
    // A never-published API gets a snapshot ("no stages") only when the data plane asks (it says what KV had): the
    // embedded default's API then costs isolates no call either. An admin read of a made-up name writes nothing.
    if (!api && call.kv !== undefined && typeof call.api === "string" && call.api) this.#publishesTo(apiSnapshotKey(call.api));
    this.#snapshots.mend(call.kv);
    return ok(V, this.#servingState());
  }

  bundle(call: contract.BundleCall): Reply<string | null> {
    if (!speaks(call)) return unknownContract(V, call);
    return ok(V, stages.bundleText(this.#sql, call.id) ?? null);
  }

  // ---- publishing and pointers (pointers.ts) ----

  /** What pointers.ts needs of this instance. */
  #pointers(): pointers.PointerHost {
    return {
      sql: this.#sql,
      storage: this.ctx.storage,
      api: this.#api(),
      claim: (api) => {
        this.#setMeta("api", api);
        this.#publishesTo(apiSnapshotKey(api));
      },
      bumpVersion: () => this.#bumpVersion(),
    };
  }

  async deploy(call: contract.DeployCall): Promise<Reply<pointers.Deployed>> {
    if (!speaks(call)) return unknownContract(V, call);
    const result = pointers.deploy(this.#pointers(), call);
    if (result.ok && result.value.changed) await this.#changed(true);
    return withV(result);
  }

  async revert(call: contract.RevertCall): Promise<Reply<StageState>> {
    if (!speaks(call)) return unknownContract(V, call);
    const result = pointers.revert(this.#pointers(), call.stage, call.to);
    if (result.ok) await this.#changed(true);
    return withV(result);
  }

  /** After a committed change: the snapshot (always), then the domain index when the stable versions moved. */
  async #changed(stableMoved: boolean): Promise<void> {
    await this.#snapshots.publish();
    if (stableMoved) await this.#syncIndex();
  }

  // ---- canaries ----

  async configureCanary(call: contract.CanaryCall): Promise<Reply<StageState>> {
    if (!speaks(call)) return unknownContract(V, call);
    const result = pointers.configureCanary(this.#pointers(), call.stage, call.canary ?? {}, call);
    if (result.ok) await this.#changed(false);
    return withV(result);
  }

  async promote(call: contract.PromoteCall): Promise<Reply<StageState>> {
    if (!speaks(call)) return unknownContract(V, call);
    const result = pointers.promote(this.#pointers(), call.stage, call);
    if (result.ok) await this.#changed(true);
    return withV(result);
  }

  async removeCanary(call: contract.StageCall): Promise<Reply<StageState>> {
    if (!speaks(call)) return unknownContract(V, call);
    const result = pointers.clearCanary(this.#pointers(), call.stage, "canary-delete", "canary deleted");
    if (result.ok) await this.#changed(false);
    return withV(result);
  }

  async automate(call: contract.AutomateCall): Promise<Reply<StageState>> {
    if (!speaks(call)) return unknownContract(V, call);
    const result = pointers.automate(this.#pointers(), call.stage, call.config, call);
    if (!result.ok) return withV(result);
    await this.#changed(false);
    await this.#scheduleAlarm();
    return withV(result);
  }

  // ---- shadow evaluation (shadow.ts) ----

  /** What shadow.ts needs of this instance. */
  #shadowHost(): shadow.ShadowHost {
    return { sql: this.#sql, storage: this.ctx.storage, api: this.#api(), defines: (id, stage) => pointers.defines(this.#sql, id, stage), bumpVersion: () => this.#bumpVersion() };
  }

  /** Starts (or restarts, with a fresh report) evaluating a candidate version beside the stage's live one. */
  async startShadow(call: contract.StartShadowCall): Promise<Reply<StageState>> {
    if (!speaks(call)) return unknownContract(V, call);
    const result = shadow.begin(this.#shadowHost(), call.stage, call.version, call.percent, Date.now());
    if (result.ok) await this.#changed(false);
    return withV(result);
  }

  /** Stops the stage's shadow evaluation; its report stays until the next start. */
  async stopShadow(call: contract.StageCall): Promise<Reply<StageState>> {
    if (!speaks(call)) return unknownContract(V, call);
    const result = shadow.end(this.#shadowHost(), call.stage, Date.now());
    if (result.ok) await this.#changed(false);
    return withV(result);
  }

  shadowReport(call: contract.StageCall): Reply<ShadowReport> {
    if (!speaks(call)) return unknownContract(V, call);
    return withV(shadow.report(this.#shadowHost(), call.stage));
  }

  /**
   * Isolates' batched shadow results (src/observability/shadow/buffer.ts): true when counted, false when the batch
   * is about a candidate no longer evaluated (dropped). A malformed batch is refused whole (400), never half-counted.
   */
  recordShadow(call: contract.RecordShadowCall): Reply<boolean> {
    if (!speaks(call)) return unknownContract(V, call);
    return withV(shadow.record(this.#shadowHost(), call.stage, call.batch));
  }

  /** Steps automated canaries, checks their bounds, and refreshes the snapshot (the heartbeat). */
  override async alarm(): Promise<void> {
    await this.#evaluateAutoCanaries(true);
    // Without a canary to check, the alarm is the snapshot's (heartbeat or retry); with one it runs every few seconds.
    await this.#snapshots.onAlarm(canaryChecksDue(this.#sql, this.#api(), 0).length === 0);
    await this.#scheduleAlarm();
  }

  async #scheduleAlarm(): Promise<void> {
    const now = Date.now();
    const due = canaryChecksDue(this.#sql, this.#api(), now);
    const snapshot = this.#snapshots.due(now);
    if (snapshot !== undefined) due.push(snapshot);
    if (due.length) await this.ctx.storage.setAlarm(Math.min(...due));
    else await this.ctx.storage.deleteAlarm();
  }

  /** Judges every automated canary (canary-driver.ts), then publishes and syncs what changed. */
  async #evaluateAutoCanaries(stepDue: boolean): Promise<void> {
    const { changed, promoted } = await evaluateAutoCanaries(
      {
        sql: this.#sql,
        storage: this.ctx.storage,
        api: this.#api(),
        metrics: (stage, since, stable, canary) => metrics.canaryMetrics(this.#metricsHost(), stage, since, stable, canary),
        clearCanary: (stage, reason) => pointers.clearCanary(this.#pointers(), stage, "auto-rollback", reason).ok,
        moveStable: (stage, id, description) => pointers.moveStable(this.#pointers(), stage, id, "auto-promote", description),
        bumpVersion: () => this.#bumpVersion(),
      },
      stepDue,
    );
    if (changed) await this.#changed(promoted);
  }

  // ---- the response cache ----

  /** Flushes a stage's cache in O(1): the generation in every cache key moves on. */
  async flushStageCache(call: contract.StageCall): Promise<Reply<{ stage: string; cacheGeneration: number }>> {
    if (!speaks(call)) return unknownContract(V, call);
    const result = pointers.flushStageCache(this.#pointers(), call.stage);
    if (!result.ok) return withV(result);
    await this.#changed(false);
    return ok(V, { stage: call.stage, cacheGeneration: result.value });
  }

  // ---- history and metrics ----

  listHistory(call: contract.HistoryCall): Reply<HistoryEntry[]> {
    if (!speaks(call)) return unknownContract(V, call);
    return ok(V, stages.readHistory(this.#sql, call.stage, Math.min(Math.max(call.limit ?? 50, 1), 1000)));
  }

  listDeployments(call: contract.DeploymentsCall): Reply<DeploymentRecord[]> {
    if (!speaks(call)) return unknownContract(V, call);
    return ok(V, stages.listDeployments(this.#sql, Math.min(Math.max(call.limit ?? 50, 1), 1000)));
  }

  /** What metrics-reads.ts needs of this instance. */
  #metricsHost(): metrics.MetricsHost {
    return { env: this.env, sql: this.#sql, api: this.#api() };
  }

  async stageMetrics(call: contract.StageMetricsCall): Promise<Reply<VersionMetrics[]>> {
    if (!speaks(call)) return unknownContract(V, call);
    return withV(await metrics.stageMetrics(this.#metricsHost(), call));
  }

  /** Each version's counts per step: the dashboard's charts. */
  async stageSeries(call: contract.StageSeriesCall): Promise<Reply<VersionSeries[]>> {
    if (!speaks(call)) return unknownContract(V, call);
    return withV(await metrics.stageSeries(this.#metricsHost(), call));
  }

  /**
   * Contract v0: a batch from an isolate of the previous release (this release's isolates write to MetricsStore).
   * Kept in this instance's own table, which the readers merge in, and judged at once as before.
   * @deprecated contract v0, for one release.
   */
  async recordMetrics(samples: MetricsSample[]): Promise<void> {
    recordSamples(this.#sql, samples, Date.now());
    await this.#evaluateAutoCanaries(false);
  }

  // ---- the domain index (the `index` instance) ----

  async #syncIndex(): Promise<void> {
    await domainIndex.syncApi(this.env, this.#sql, this.#api(), this.#version());
  }

  /** Replaces an API's domain mappings and routing rules; an older version (a late, out-of-order sync) is ignored. */
  async mapDomains(call: contract.MapDomainsCall): Promise<Reply<number>> {
    if (!speaks(call)) return unknownContract(V, call);
    this.#publishesTo(DOMAINS_SNAPSHOT_KEY);
    const result = domainIndex.setApiDomains(this.#sql, this.ctx.storage, call.api, call.version, call.domains, call.routing ?? [], () => this.#bumpVersion());
    if (result.ok) await this.#snapshots.publish();
    return withV(result);
  }

  /**
   * Every mapping, every host's routing rules, the APIs the index knows and its version: small enough for the data
   * plane to hold whole (its snapshot, mostly).
   */
  domainTable(call: contract.DomainTableCall): Reply<{ version: number; domains: DomainRow[]; routing: RoutingRow[]; apis: string[] }> {
    if (!speaks(call)) return unknownContract(V, call);
    this.#publishesTo(DOMAINS_SNAPSHOT_KEY);
    this.#snapshots.mend(call.kv);
    return ok(V, { version: this.#version(), ...domainIndex.domainTable(this.#sql) });
  }

  /** Mappings for a host, exact or by a one-label `*.` wildcard. */
  hostTargets(call: contract.HostCall): Reply<DomainRow[]> {
    if (!speaks(call)) return unknownContract(V, call);
    return ok(V, domainIndex.hostTargets(this.#sql, call.host));
  }

  listApis(call: contract.ListApisCall): Reply<{ name: string; updatedAt: number }[]> {
    if (!speaks(call)) return unknownContract(V, call);
    return ok(V, domainIndex.apis(this.#sql));
  }

  // ---- the KeyStore's directory (the `keys` instance) ----

  /** The KeyStore's shard count: recorded the first time any shard (or a forwarded call) asks, fixed from then on. */
  keyLayout(call: contract.KeyLayoutCall): Reply<number> {
    if (!speaks(call)) return unknownContract(V, call);
    const recorded = this.#meta("key_shards");
    if (recorded) return ok(V, Number(recorded));
    const count = configuredKeyShards(call.proposed);
    this.#setMeta("key_shards", String(count));
    return ok(V, count);
  }

  /** Keys stored here before KeyStore, a page of one shard's range at a time: each shard copies its own once. */
  legacyKeys(call: contract.LegacyKeysCall): Reply<KeyRow[]> {
    if (!speaks(call)) return unknownContract(V, call);
    return ok(V, rowsInRange(this.#sql, call.from, call.to, call.after, Math.min(Math.max(call.limit, 1), 1000)));
  }
}
