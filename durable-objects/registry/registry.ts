/**
 * The Registry's contract-v1 surface (durable-objects/registry/contract.ts): the source of truth for deployments. One
 * object per API (`api:<name>`) holds that API's stages, deployments (with a copy of each bundle), canaries and
 * history; `index` maps custom-domain hosts to APIs; `keys` is the KeyStore's directory (its layout, and the keys
 * stored before KeyStore). Each API instance and the index publish a snapshot to KV after every change and every
 * SNAPSHOT_REFRESH_MS, which the data plane reads instead of calling here. Tables in durable-objects/STORAGE.md.
 * The class bound in wrangler.toml (index.ts) adds the previous release's methods (contract v0).
 */
import { DurableObject } from "cloudflare:workers";
import { apiSnapshotKey, DOMAINS_SNAPSHOT_KEY } from "../../src/deploy/snapshots.ts";
import type { CanaryState, DeploymentRecord, DomainRow, HistoryEntry, MetricsSample, RoutingRow, ServingState, StageState, VersionMetrics } from "../../src/deploy/types.ts";
import { readStageTotals } from "../../src/observability/metrics-sink.ts";
import { ok, unknownContract, type Reply } from "../contract.ts";
import { configuredKeyShards } from "../key-store/layout.ts";
import { rowsInRange, type KeyRow } from "../key-store/keys.ts";
import { canaryChecksDue, evaluateAutoCanaries } from "./canary-driver.ts";
import * as contract from "./contract.ts";
import { REGISTRY_CONTRACT } from "./contract.ts";
import * as domainIndex from "./domain-index.ts";
import { mergeByVersion, recordSamples, stageTotals, summarize } from "./metrics-store.ts";
import { migrate } from "./schema.ts";
import { RegistrySnapshots } from "./snapshots.ts";
import * as stages from "./stages.ts";
import { fail, type Result } from "./stages.ts";
import type { RegistryObjectEnv } from "./env.ts";

const V = REGISTRY_CONTRACT;
const DEFAULT_STICKY = { kind: "none" } as const;
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

  // ---- publishing and pointers ----

  async deploy(call: contract.DeployCall): Promise<Reply<{ stage: StageState; deployment: DeploymentRecord; changed: boolean }>> {
    if (!speaks(call)) return unknownContract(V, call);
    const current = this.#api();
    if (current && current !== call.api) return withV(fail(409, `this registry holds API ${current}, not ${call.api}`));
    if (!call.bundleStages.includes(call.stage))
      return withV(fail(400, `stage "${call.stage}" is not defined in the definition (it defines ${call.bundleStages.join(", ")})`, "stage"));
    const now = Date.now();
    // Refusals are decided before the transaction: returning (not throwing) from transactionSync commits what
    // it wrote, so a refused publish would otherwise leave its deployment row and the API name behind.
    const existing = stages.readStage(this.#sql, call.api, call.stage);
    if (call.canaryPercent !== undefined) {
      if (!existing) return withV(fail(409, `stage "${call.stage}" has no stable version yet: deploy it without --canary first`, "canary"));
      if (existing.deploymentId === call.bundleId) return withV(fail(409, "this version is already the stage's stable version", "canary"));
    }
    const changed = this.ctx.storage.transactionSync((): boolean => {
      this.#setMeta("api", call.api);
      this.#publishesTo(apiSnapshotKey(call.api));
      stages.insertDeployment(this.#sql, call.bundleId, call.bundleText, call.routes, call.description, now);
      if (call.canaryPercent !== undefined) {
        const stable = existing!; // checked above
        if (stable.canary?.deploymentId === call.bundleId && stable.canary.percent === call.canaryPercent) return false;
        const canary: CanaryState = {
          deploymentId: call.bundleId,
          percent: call.canaryPercent,
          stageVariableOverrides: stable.canary?.stageVariableOverrides ?? {},
          useStageCache: stable.canary?.useStageCache ?? true,
          sticky: stable.canary?.sticky ?? DEFAULT_STICKY,
          auto: null,
        };
        stages.writeStage(this.#sql, call.stage, stable.deploymentId, canary, now);
        stages.appendHistory(this.#sql, call.stage, "canary-deploy", call.bundleId, call.description, now);
      } else {
        if (existing && existing.deploymentId === call.bundleId && !existing.canary) return false;
        stages.writeStage(this.#sql, call.stage, call.bundleId, null, now);
        stages.appendHistory(this.#sql, call.stage, "deploy", call.bundleId, call.description, now);
      }
      this.#bumpVersion();
      return true;
    });
    // Read before awaiting anything: another caller's publish may run meanwhile, and this caller is owed its own.
    const stage = stages.readStage(this.#sql, call.api, call.stage)!;
    const deployment = stages.listDeployments(this.#sql, 1000).find((d) => d.id === call.bundleId)!;
    if (changed) await this.#changed(true);
    return ok(V, { stage, deployment, changed });
  }

  async revert(call: contract.RevertCall): Promise<Reply<StageState>> {
    if (!speaks(call)) return unknownContract(V, call);
    const existing = stages.readStage(this.#sql, this.#api(), call.stage);
    if (!existing) return withV(fail(404, `no stage "${call.stage}"`, "stage"));
    let target: string;
    if (call.to) {
      const resolved = stages.resolveDeploymentId(this.#sql, call.to, "to");
      if (!resolved.ok) return withV(resolved);
      target = resolved.value;
      if (!this.#defines(target, call.stage)) return withV(fail(400, `deployment ${target.slice(0, 12)} does not define stage "${call.stage}"`, "to"));
    } else {
      const previous = stages.previousStable(this.#sql, call.stage, existing.deploymentId);
      if (!previous) return withV(fail(409, `stage "${call.stage}" has no earlier version to roll back to`));
      target = previous;
    }
    this.#moveStable(call.stage, target, "rollback", call.to ? `rollback to ${target.slice(0, 12)}` : "rollback to the previous version");
    const moved = stages.readStage(this.#sql, this.#api(), call.stage)!;
    await this.#changed(true);
    return ok(V, moved);
  }

  #defines(deploymentId: string, stage: string): boolean {
    return Object.hasOwn((JSON.parse(stages.bundleText(this.#sql, deploymentId)!) as { stages: Record<string, unknown> }).stages, stage);
  }

  #moveStable(stage: string, deploymentId: string, action: "rollback" | "canary-promote" | "auto-promote", description: string): void {
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      stages.writeStage(this.#sql, stage, deploymentId, null, now);
      stages.appendHistory(this.#sql, stage, action, deploymentId, description, now);
      this.#bumpVersion();
    });
  }

  /** After a committed change: the snapshot (always), then the domain index when the stable versions moved. */
  async #changed(stableMoved: boolean): Promise<void> {
    await this.#snapshots.publish();
    if (stableMoved) await this.#syncIndex();
  }

  // ---- canaries ----

  async configureCanary(call: contract.CanaryCall): Promise<Reply<StageState>> {
    if (!speaks(call)) return unknownContract(V, call);
    const api = this.#api();
    const existing = stages.readStage(this.#sql, api, call.stage);
    if (!existing) return withV(fail(404, `no stage "${call.stage}"`, "stage"));
    const input = call.canary ?? {};
    let deploymentId = existing.canary?.deploymentId;
    if (input.deploymentId) {
      const resolved = stages.resolveDeploymentId(this.#sql, input.deploymentId, "deploymentId");
      if (!resolved.ok) return withV(resolved);
      deploymentId = resolved.value;
    }
    if (!deploymentId) return withV(fail(409, `stage "${call.stage}" has no canary: deploy one with --canary, or give deploymentId`, "deploymentId"));
    if (deploymentId === existing.deploymentId) return withV(fail(409, "the canary must differ from the stage's stable version", "deploymentId"));
    if (!this.#defines(deploymentId, call.stage)) return withV(fail(400, `deployment ${deploymentId.slice(0, 12)} does not define stage "${call.stage}"`, "deploymentId"));
    const canary: CanaryState = {
      deploymentId,
      percent: input.percent ?? existing.canary?.percent ?? 0,
      stageVariableOverrides: input.stageVariableOverrides ?? existing.canary?.stageVariableOverrides ?? {},
      useStageCache: input.useStageCache ?? existing.canary?.useStageCache ?? true,
      sticky: input.sticky ?? existing.canary?.sticky ?? DEFAULT_STICKY,
      auto: existing.canary?.deploymentId === deploymentId ? existing.canary.auto : null,
    };
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      stages.writeStage(this.#sql, call.stage, existing.deploymentId, canary, now);
      stages.appendHistory(this.#sql, call.stage, "canary-update", deploymentId!, `canary at ${canary.percent}%`, now);
      this.#bumpVersion();
    });
    const updated = stages.readStage(this.#sql, api, call.stage)!;
    await this.#changed(false);
    return ok(V, updated);
  }

  async promote(call: contract.StageCall): Promise<Reply<StageState>> {
    if (!speaks(call)) return unknownContract(V, call);
    const existing = stages.readStage(this.#sql, this.#api(), call.stage);
    if (!existing?.canary) return withV(fail(404, `stage "${call.stage}" has no canary`, "stage"));
    this.#moveStable(call.stage, existing.canary.deploymentId, "canary-promote", "canary promoted");
    const moved = stages.readStage(this.#sql, this.#api(), call.stage)!;
    await this.#changed(true);
    return ok(V, moved);
  }

  async removeCanary(call: contract.StageCall): Promise<Reply<StageState>> {
    if (!speaks(call)) return unknownContract(V, call);
    const result = this.#clearCanary(call.stage, "canary-delete", "canary deleted");
    if (result.ok) await this.#changed(false);
    return withV(result);
  }

  #clearCanary(stage: string, action: "canary-delete" | "auto-rollback", reason: string): Result<StageState> {
    const api = this.#api();
    const existing = stages.readStage(this.#sql, api, stage);
    if (!existing?.canary) return fail(404, `stage "${stage}" has no canary`, "stage");
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      stages.writeStage(this.#sql, stage, existing.deploymentId, null, now);
      stages.appendHistory(this.#sql, stage, action, existing.canary!.deploymentId, reason, now);
      this.#bumpVersion();
    });
    return { ok: true, value: stages.readStage(this.#sql, api, stage)! };
  }

  async automate(call: contract.AutomateCall): Promise<Reply<StageState>> {
    if (!speaks(call)) return unknownContract(V, call);
    const api = this.#api();
    const existing = stages.readStage(this.#sql, api, call.stage);
    if (!existing?.canary) return withV(fail(404, `stage "${call.stage}" has no canary: deploy one with --canary first`, "stage"));
    const config = call.config;
    const now = Date.now();
    const canary: CanaryState = {
      ...existing.canary,
      percent: existing.canary.percent > 0 ? existing.canary.percent : config.step,
      auto: { ...config, stepStartedAt: now },
    };
    this.ctx.storage.transactionSync(() => {
      stages.writeStage(this.#sql, call.stage, existing.deploymentId, canary, now);
      stages.appendHistory(this.#sql, call.stage, "auto-start", canary.deploymentId,
        `automated canary from ${canary.percent}%: +${config.step} every ${config.intervalSeconds}s; bounds: 5xx +${config.maxErrorRateIncrease} points, p95 ≤ ${config.maxP95Ratio}× stable, ≥ ${config.minRequests} requests per step`, now);
      this.#bumpVersion();
    });
    const started = stages.readStage(this.#sql, api, call.stage)!;
    await this.#changed(false);
    await this.#scheduleAlarm();
    return ok(V, started);
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
        metrics: (stage, since, stable, canary) => this.#stageMetrics(stage, since, stable, canary),
        clearCanary: (stage, reason) => this.#clearCanary(stage, "auto-rollback", reason).ok,
        moveStable: (stage, id, description) => this.#moveStable(stage, id, "auto-promote", description),
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
    if (!stages.readStage(this.#sql, this.#api(), call.stage)) return withV(fail(404, `no stage "${call.stage}"`, "stage"));
    const generation = this.ctx.storage.transactionSync(() => {
      const g = stages.bumpCacheGeneration(this.#sql, call.stage)!;
      this.#bumpVersion();
      return g;
    });
    await this.#changed(false);
    return ok(V, { stage: call.stage, cacheGeneration: generation });
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

  async stageMetrics(call: contract.StageMetricsCall): Promise<Reply<VersionMetrics[]>> {
    if (!speaks(call)) return unknownContract(V, call);
    const own = this.#api();
    if (own && call.api !== undefined && call.api !== own) return { v: V, ok: false, status: 400, message: `this instance holds API ${own}, not ${call.api}`, field: "api" };
    const state = stages.readStage(this.#sql, own, call.stage);
    try {
      return ok(V, await this.#stageMetrics(call.stage, call.since, state?.deploymentId ?? null, state?.canary?.deploymentId ?? null, own || call.api || ""));
    } catch (err) {
      return { v: V, ok: false, status: 503, message: `metrics unavailable: ${(err as Error).message}` };
    }
  }

  /** Every MetricsStore shard's totals plus this instance's own table (batches from the previous release). */
  async #stageMetrics(stage: string, since: number, stable: string | null, canary: string | null, api = this.#api()): Promise<VersionMetrics[]> {
    const shards = await readStageTotals(this.env, api, stage, since);
    return summarize(mergeByVersion([...stageTotals(this.#sql, stage, since), ...shards]), stable, canary);
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
