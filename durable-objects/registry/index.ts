/**
 * Registry: the source of truth for deployments. One object per API (`api:<name>`) holds that API's stages,
 * deployments (with a copy of each bundle), canaries, history and per-version metrics; one object named
 * `index` maps custom-domain hosts to APIs. Called only through RPC; tables in durable-objects/STORAGE.md.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../../src/env.ts";
import type {
  AutoCanaryConfig,
  CanaryState,
  DeploymentRecord,
  HistoryEntry,
  MetricsSample,
  ShadowBatch,
  ShadowReport,
  StageState,
  StickyKey,
  VersionMetrics,
  VersionSeries,
} from "../../src/deploy/types.ts";
import { decide } from "./auto-canary.ts";
import * as keys from "./keys.ts";
import type { ApiKeyRecord, KeyLookup } from "./keys.ts";
import { recordSamples, versionMetrics, versionSeries } from "./metrics-store.ts";
import * as shadow from "./shadow.ts";
import { analyticsReadable } from "../../src/observability/metrics-reader.ts";
import { versionMetricsFromAnalytics } from "../../src/observability/analytics-sql.ts";
import { migrate } from "./schema.ts";
import * as stages from "./stages.ts";
import { fail, type Result } from "./stages.ts";

export type { Result } from "./stages.ts";
export type { ApiKeyRecord, KeyLookup } from "./keys.ts";

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

export interface CanaryInput {
  deploymentId?: string;
  percent?: number;
  stageVariableOverrides?: Record<string, string>;
  useStageCache?: boolean;
  sticky?: StickyKey;
}

/** `--require-clean-shadow`: the version must have a clean shadow report on the stage first. */
export interface ShadowGate {
  requireCleanShadow?: boolean;
  /** Evaluated requests the report needs (default 1). */
  minShadowRequests?: number;
}

export interface ServingState {
  api: string;
  /** Increases on every pointer change. */
  version: number;
  stages: Record<string, StageState>;
}

export interface DomainRow {
  host: string;
  basePath: string;
  api: string;
  stage: string;
}

const DEFAULT_STICKY: StickyKey = { kind: "none" };
/** How often automated canaries are judged when Analytics Engine is the metrics source (it has no arrivals to react to). */
const ANALYTICS_RECHECK_MS = 10_000;

export class Registry extends DurableObject<Env> {
  readonly #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    migrate(this.#sql);
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

  #bumpVersion(): number {
    const next = Number(this.#meta("version") ?? "0") + 1;
    this.#setMeta("version", String(next));
    return next;
  }

  // ---- data plane reads ----

  servingState(): ServingState {
    const api = this.#api();
    return { api, version: Number(this.#meta("version") ?? "0"), stages: Object.fromEntries(stages.readStages(this.#sql, api).map((s) => [s.stage, s])) };
  }

  bundleText(id: string): string | null {
    return stages.bundleText(this.#sql, id) ?? null;
  }

  // ---- publishing and pointers ----

  async publish(input: PublishInput): Promise<Result<{ stage: StageState; deployment: DeploymentRecord; changed: boolean }>> {
    const current = this.#api();
    if (current && current !== input.api) return fail(409, `this registry holds API ${current}, not ${input.api}`);
    if (!input.bundleStages.includes(input.stage))
      return fail(400, `stage "${input.stage}" is not defined in the definition (it defines ${input.bundleStages.join(", ")})`, "stage");
    const now = Date.now();
    // Refusals are decided before the transaction: returning (not throwing) from transactionSync commits what
    // it wrote, so a refused publish would otherwise leave its deployment row and the API name behind.
    const existing = stages.readStage(this.#sql, input.api, input.stage);
    if (input.canaryPercent !== undefined) {
      if (!existing) return fail(409, `stage "${input.stage}" has no stable version yet: deploy it without --canary first`, "canary");
      if (existing.deploymentId === input.bundleId) return fail(409, "this version is already the stage's stable version", "canary");
    }
    const outcome = this.ctx.storage.transactionSync((): Result<boolean> => {
      this.#setMeta("api", input.api);
      stages.insertDeployment(this.#sql, input.bundleId, input.bundleText, input.routes, input.description, now);
      if (input.canaryPercent !== undefined) {
        const stable = existing!; // checked above
        if (stable.canary?.deploymentId === input.bundleId && stable.canary.percent === input.canaryPercent) return { ok: true, value: false };
        const canary: CanaryState = {
          deploymentId: input.bundleId,
          percent: input.canaryPercent,
          stageVariableOverrides: stable.canary?.stageVariableOverrides ?? {},
          useStageCache: stable.canary?.useStageCache ?? true,
          sticky: stable.canary?.sticky ?? DEFAULT_STICKY,
          auto: null,
        };
        stages.writeStage(this.#sql, input.stage, stable.deploymentId, canary, now);
        stages.appendHistory(this.#sql, input.stage, "canary-deploy", input.bundleId, input.description, now);
      } else {
        if (existing && existing.deploymentId === input.bundleId && !existing.canary) return { ok: true, value: false };
        stages.writeStage(this.#sql, input.stage, input.bundleId, null, now);
        stages.appendHistory(this.#sql, input.stage, "deploy", input.bundleId, input.description, now);
      }
      this.#bumpVersion();
      return { ok: true, value: true };
    });
    if (!outcome.ok) return outcome;
    // Read before awaiting the index: another caller's publish may run meanwhile, and this caller is owed its own.
    const stage = stages.readStage(this.#sql, input.api, input.stage)!;
    const deployment = stages.listDeployments(this.#sql, 1000).find((d) => d.id === input.bundleId)!;
    if (outcome.value) await this.#syncIndex();
    return { ok: true, value: { stage, deployment, changed: outcome.value } };
  }

  async rollback(stage: string, to?: string): Promise<Result<StageState>> {
    const api = this.#api();
    const existing = stages.readStage(this.#sql, api, stage);
    if (!existing) return fail(404, `no stage "${stage}"`, "stage");
    let target: string;
    if (to) {
      const resolved = stages.resolveDeploymentId(this.#sql, to, "to");
      if (!resolved.ok) return resolved;
      target = resolved.value;
      const stagesOfTarget = (JSON.parse(stages.bundleText(this.#sql, target)!) as { stages: Record<string, unknown> }).stages;
      if (!Object.hasOwn(stagesOfTarget, stage)) return fail(400, `deployment ${target.slice(0, 12)} does not define stage "${stage}"`, "to");
    } else {
      const previous = stages.previousStable(this.#sql, stage, existing.deploymentId);
      if (!previous) return fail(409, `stage "${stage}" has no earlier version to roll back to`);
      target = previous;
    }
    return this.#moveStable(stage, target, "rollback", to ? `rollback to ${target.slice(0, 12)}` : "rollback to the previous version");
  }

  #moveStableNow(stage: string, deploymentId: string, action: "rollback" | "canary-promote" | "auto-promote", description: string): void {
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      stages.writeStage(this.#sql, stage, deploymentId, null, now);
      stages.appendHistory(this.#sql, stage, action, deploymentId, description, now);
      this.#bumpVersion();
    });
  }

  async #moveStable(stage: string, deploymentId: string, action: "rollback" | "canary-promote" | "auto-promote", description: string): Promise<Result<StageState>> {
    this.#moveStableNow(stage, deploymentId, action, description);
    const moved = stages.readStage(this.#sql, this.#api(), stage)!;
    await this.#syncIndex();
    return { ok: true, value: moved };
  }

  // ---- canaries ----

  async setCanary(stage: string, input: CanaryInput, gate: ShadowGate = {}): Promise<Result<StageState>> {
    const api = this.#api();
    const existing = stages.readStage(this.#sql, api, stage);
    if (!existing) return fail(404, `no stage "${stage}"`, "stage");
    let deploymentId = existing.canary?.deploymentId;
    if (input.deploymentId) {
      const resolved = stages.resolveDeploymentId(this.#sql, input.deploymentId, "deploymentId");
      if (!resolved.ok) return resolved;
      deploymentId = resolved.value;
    }
    if (!deploymentId) return fail(409, `stage "${stage}" has no canary: deploy one with --canary, or give deploymentId`, "deploymentId");
    if (deploymentId === existing.deploymentId) return fail(409, "the canary must differ from the stage's stable version", "deploymentId");
    const canaryStages = (JSON.parse(stages.bundleText(this.#sql, deploymentId)!) as { stages: Record<string, unknown> }).stages;
    if (!Object.hasOwn(canaryStages, stage)) return fail(400, `deployment ${deploymentId.slice(0, 12)} does not define stage "${stage}"`, "deploymentId");
    const refused = this.#gate(stage, deploymentId, gate);
    if (refused) return refused;
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
      stages.writeStage(this.#sql, stage, existing.deploymentId, canary, now);
      stages.appendHistory(this.#sql, stage, "canary-update", deploymentId!, `canary at ${canary.percent}%`, now);
      this.#bumpVersion();
    });
    return { ok: true, value: stages.readStage(this.#sql, api, stage)! };
  }

  async promoteCanary(stage: string, gate: ShadowGate = {}): Promise<Result<StageState>> {
    const existing = stages.readStage(this.#sql, this.#api(), stage);
    if (!existing?.canary) return fail(404, `stage "${stage}" has no canary`, "stage");
    const refused = this.#gate(stage, existing.canary.deploymentId, gate);
    if (refused) return refused;
    return this.#moveStable(stage, existing.canary.deploymentId, "canary-promote", "canary promoted");
  }

  async deleteCanary(stage: string): Promise<Result<StageState>> {
    return this.#clearCanary(stage, "canary-delete", "canary deleted");
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

  async startAutoCanary(stage: string, config: AutoCanaryConfig, gate: ShadowGate = {}): Promise<Result<StageState>> {
    const api = this.#api();
    const existing = stages.readStage(this.#sql, api, stage);
    if (!existing?.canary) return fail(404, `stage "${stage}" has no canary: deploy one with --canary first`, "stage");
    const refused = this.#gate(stage, existing.canary.deploymentId, gate);
    if (refused) return refused;
    const now = Date.now();
    const canary: CanaryState = {
      ...existing.canary,
      percent: existing.canary.percent > 0 ? existing.canary.percent : config.step,
      auto: { ...config, stepStartedAt: now },
    };
    this.ctx.storage.transactionSync(() => {
      stages.writeStage(this.#sql, stage, existing.deploymentId, canary, now);
      stages.appendHistory(this.#sql, stage, "auto-start", canary.deploymentId,
        `automated canary from ${canary.percent}%: +${config.step} every ${config.intervalSeconds}s; bounds: 5xx +${config.maxErrorRateIncrease} points, p95 ≤ ${config.maxP95Ratio}× stable, ≥ ${config.minRequests} requests per step`, now);
      this.#bumpVersion();
    });
    await this.#scheduleAlarm();
    return { ok: true, value: stages.readStage(this.#sql, api, stage)! };
  }

  override async alarm(): Promise<void> {
    await this.#evaluateAutoCanaries(true);
    await this.#scheduleAlarm();
  }

  async #scheduleAlarm(): Promise<void> {
    const now = Date.now();
    // A step already due is waiting for traffic (minRequests): look again after a while, not in a tight loop. With
    // Analytics Engine as the source no metrics arrive here, so the bounds are checked on the alarm: every 10 s.
    const recheck = analyticsReadable(this.env) ? ANALYTICS_RECHECK_MS : Infinity;
    const due = stages
      .readStages(this.#sql, this.#api())
      .flatMap((s) => {
        const auto = s.canary?.auto;
        if (!auto) return [];
        const step = Math.max(auto.stepStartedAt + auto.intervalSeconds * 1000, now + Math.min(5000, auto.intervalSeconds * 500));
        return [Math.min(step, now + recheck)];
      });
    if (due.length) await this.ctx.storage.setAlarm(Math.min(...due));
    else await this.ctx.storage.deleteAlarm();
  }

  /**
   * Judges every automated canary, on the metrics of whichever source the Worker reads (the local store here, or
   * Analytics Engine's SQL API). Metrics are read first; then each stage is read, judged and written with no await
   * in between, and a stage whose canary changed while its metrics were being read is left for the next round — so
   * a publish or canary change that arrives meanwhile is never overwritten by a decision about the state before it.
   * The domain index is synced once, after.
   */
  async #evaluateAutoCanaries(stepDue: boolean): Promise<void> {
    const api = this.#api();
    const observed = new Map<string, { canary: string; stepStartedAt: number; metrics: VersionMetrics[] }>();
    for (const state of stages.readStages(this.#sql, api)) {
      const auto = state.canary?.auto;
      if (!auto) continue;
      const metrics = await this.#versionMetrics(api, state.stage, auto.stepStartedAt - 10_000, state.deploymentId, state.canary!.deploymentId);
      if (metrics) observed.set(state.stage, { canary: state.canary!.deploymentId, stepStartedAt: auto.stepStartedAt, metrics });
    }
    const now = Date.now();
    let promoted = false;
    for (const [name, seen] of observed) {
      const state = stages.readStage(this.#sql, api, name);
      const canary = state?.canary;
      if (!state || !canary?.auto || canary.deploymentId !== seen.canary || canary.auto.stepStartedAt !== seen.stepStartedAt) continue;
      const { metrics } = seen;
      const decision = decide(canary.auto, canary.percent, metrics.find((m) => m.role === "canary"), metrics.find((m) => m.role === "stable"), now, stepDue);
      if (decision.action === "rollback") {
        this.#clearCanary(state.stage, "auto-rollback", `automated canary rolled back: ${decision.reason}`);
      } else if (decision.action === "promote") {
        this.#moveStableNow(state.stage, canary.deploymentId, "auto-promote", `automated canary promoted: ${decision.reason}`);
        promoted = true;
      } else if (decision.action === "step") {
        const next: CanaryState = { ...canary, percent: decision.percent, auto: { ...canary.auto, stepStartedAt: now } };
        this.ctx.storage.transactionSync(() => {
          stages.writeStage(this.#sql, state.stage, state.deploymentId, next, now);
          stages.appendHistory(this.#sql, state.stage, "auto-step", canary.deploymentId, `stepped to ${decision.percent}%: ${decision.reason}`, now);
          this.#bumpVersion();
        });
      }
    }
    if (promoted) await this.#syncIndex();
  }

  /** A stage's per-version metrics from the Worker's metrics source; null when Analytics Engine could not answer (judged next round). */
  async #versionMetrics(api: string, stage: string, since: number, stable: string, canary: string): Promise<VersionMetrics[] | null> {
    if (!analyticsReadable(this.env)) return versionMetrics(this.#sql, stage, since, stable, canary);
    try {
      return await versionMetricsFromAnalytics(this.env, api, stage, since, stable, canary);
    } catch (err) {
      console.error(JSON.stringify({ level: "warn", event: "auto-canary-metrics-unavailable", api, stage, reason: (err as Error).message }));
      return null;
    }
  }

  #gate(stage: string, deploymentId: string, gate: ShadowGate): Result<never> | null {
    if (!gate.requireCleanShadow) return null;
    const why = shadow.unclean(this.#sql, stage, deploymentId, Math.max(1, gate.minShadowRequests ?? 1));
    return why ? fail(409, why, "requireCleanShadow") : null;
  }

  // ---- shadow evaluation (shadow.ts) ----

  startShadow(stage: string, version: string, percent: number): Result<StageState> {
    const api = this.#api();
    const existing = stages.readStage(this.#sql, api, stage);
    if (!existing) return fail(404, `no stage "${stage}"`, "stage");
    const resolved = stages.resolveDeploymentId(this.#sql, version, "deploymentId");
    if (!resolved.ok) return resolved;
    const id = resolved.value;
    if (id === existing.deploymentId) return fail(409, "the candidate is the stage's stable version: shadow a version the stage does not serve yet", "deploymentId");
    const defined = (JSON.parse(stages.bundleText(this.#sql, id)!) as { stages: Record<string, unknown> }).stages;
    if (!Object.hasOwn(defined, stage)) return fail(400, `deployment ${id.slice(0, 12)} does not define stage "${stage}"`, "deploymentId");
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      shadow.startShadow(this.#sql, stage, { deploymentId: id, percent, startedAt: now });
      stages.appendHistory(this.#sql, stage, "shadow-start", id, `shadow evaluation of ${percent}% of requests`, now);
      this.#bumpVersion();
    });
    return { ok: true, value: stages.readStage(this.#sql, api, stage)! };
  }

  stopShadow(stage: string): Result<StageState> {
    const api = this.#api();
    const existing = stages.readStage(this.#sql, api, stage);
    if (!existing) return fail(404, `no stage "${stage}"`, "stage");
    if (!existing.shadow) return fail(409, `stage "${stage}" has no shadow evaluation running`, "stage");
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      shadow.stopShadow(this.#sql, stage, now);
      stages.appendHistory(this.#sql, stage, "shadow-stop", existing.shadow!.deploymentId, "shadow evaluation stopped", now);
      this.#bumpVersion();
    });
    return { ok: true, value: stages.readStage(this.#sql, api, stage)! };
  }

  shadowReport(stage: string): Result<ShadowReport> {
    if (!stages.readStage(this.#sql, this.#api(), stage)) return fail(404, `no stage "${stage}"`, "stage");
    return { ok: true, value: shadow.shadowReport(this.#sql, stage) };
  }

  /** Isolates' batched shadow results (observability/shadow/buffer.ts); a batch for a candidate no longer evaluated is dropped. */
  recordShadow(stage: string, batch: ShadowBatch): boolean {
    return shadow.recordShadow(this.#sql, stage, batch);
  }

  // ---- the response cache ----

  /** Flushes a stage's cache in O(1): the generation in every cache key moves on. */
  flushCache(stage: string): Result<{ stage: string; cacheGeneration: number }> {
    if (!stages.readStage(this.#sql, this.#api(), stage)) return fail(404, `no stage "${stage}"`, "stage");
    const generation = this.ctx.storage.transactionSync(() => {
      const g = stages.bumpCacheGeneration(this.#sql, stage)!;
      this.#bumpVersion();
      return g;
    });
    return { ok: true, value: { stage, cacheGeneration: generation } };
  }

  // ---- history and metrics ----

  history(stage?: string, limit = 50): HistoryEntry[] {
    return stages.readHistory(this.#sql, stage, Math.min(Math.max(limit, 1), 1000));
  }

  deployments(limit = 50): DeploymentRecord[] {
    return stages.listDeployments(this.#sql, Math.min(Math.max(limit, 1), 1000));
  }

  async recordMetrics(samples: MetricsSample[]): Promise<void> {
    recordSamples(this.#sql, samples, Date.now());
    // A crossed bound rolls an automated canary back now, not at its next step.
    if (stages.readStages(this.#sql, this.#api()).some((s) => s.canary?.auto)) await this.#evaluateAutoCanaries(false);
  }

  metrics(stage: string, sinceMs: number): VersionMetrics[] {
    const state = stages.readStage(this.#sql, this.#api(), stage);
    return versionMetrics(this.#sql, stage, sinceMs, state?.deploymentId ?? null, state?.canary?.deploymentId ?? null);
  }

  /** Each version's counts and percentiles per step (the dashboard's charts), from the local store. */
  metricsSeries(stage: string, sinceMs: number, stepMs: number): VersionSeries[] {
    const state = stages.readStage(this.#sql, this.#api(), stage);
    return versionSeries(this.#sql, stage, sinceMs, stepMs, state?.deploymentId ?? null, state?.canary?.deploymentId ?? null);
  }

  // ---- the domain index (on the `index` instance) ----

  async #syncIndex(): Promise<void> {
    const api = this.#api();
    const domains: DomainRow[] = [];
    for (const state of stages.readStages(this.#sql, api)) {
      const text = stages.bundleText(this.#sql, state.deploymentId);
      const bundle = text ? (JSON.parse(text) as { domains?: { host: string; basePath: string; stage: string }[] }) : undefined;
      for (const d of bundle?.domains ?? []) if (d.stage === state.stage) domains.push({ host: d.host, basePath: d.basePath, api, stage: d.stage });
    }
    const index = this.env.REGISTRY.get(this.env.REGISTRY.idFromName("index"));
    await index.setApiDomains(api, Number(this.#meta("version") ?? "0"), domains);
  }

  /** Replaces an API's domain mappings; an older version (a late, out-of-order sync) is ignored. */
  setApiDomains(api: string, version: number, domains: DomainRow[]): Result<number> {
    const row = this.#sql.exec<{ version: number }>("SELECT version FROM apis WHERE name = ?", api).toArray()[0];
    if (row && row.version > version) return { ok: true, value: row.version };
    for (const d of domains) {
      const owner = this.#sql.exec<{ api: string }>("SELECT api FROM domains WHERE host = ? AND base_path = ?", d.host, d.basePath).toArray()[0];
      if (owner && owner.api !== api) return fail(409, `host ${d.host}/${d.basePath} is already mapped to API ${owner.api}`, "domains");
    }
    this.ctx.storage.transactionSync(() => {
      this.#sql.exec("DELETE FROM domains WHERE api = ?", api);
      for (const d of domains) this.#sql.exec("INSERT INTO domains (host, base_path, api, stage) VALUES (?, ?, ?, ?)", d.host, d.basePath, api, d.stage);
      this.#sql.exec("INSERT OR REPLACE INTO apis (name, version, updated_at) VALUES (?, ?, ?)", api, version, Date.now());
    });
    return { ok: true, value: version };
  }

  /** Every mapping: small enough for the data plane to hold whole, so a made-up Host header costs no call here. */
  domains(): DomainRow[] {
    return this.#sql
      .exec("SELECT host, base_path, api, stage FROM domains")
      .toArray()
      .map((r) => ({ host: r.host as string, basePath: r.base_path as string, api: r.api as string, stage: r.stage as string }));
  }

  /** Mappings for a host, exact or by a one-label `*.` wildcard. */
  domainTargets(host: string): DomainRow[] {
    const dot = host.indexOf(".");
    const wildcard = dot > 0 ? `*${host.slice(dot)}` : "";
    return this.#sql
      .exec("SELECT host, base_path, api, stage FROM domains WHERE host = ? OR host = ?", host, wildcard)
      .toArray()
      .map((r) => ({ host: r.host as string, basePath: r.base_path as string, api: r.api as string, stage: r.stage as string }));
  }

  // ---- API keys (on the `keys` instance) ----

  createKey(input: { name: string; description: string | null; hash: string; hint: string; enabled: boolean; stages: string[]; plans: string[] }): ApiKeyRecord {
    return keys.insertKey(this.#sql, { ...input, id: crypto.randomUUID().replace(/-/g, "").slice(0, 20) }, Date.now());
  }

  listKeys(): ApiKeyRecord[] {
    return keys.listKeys(this.#sql);
  }

  getKey(id: string): ApiKeyRecord | null {
    return keys.getKey(this.#sql, id) ?? null;
  }

  updateKey(id: string, changes: keys.KeyChanges): Result<ApiKeyRecord> {
    return keys.updateKey(this.#sql, id, changes, Date.now());
  }

  keysInPlan(plan: string): ApiKeyRecord[] {
    return keys.keysInPlan(this.#sql, plan);
  }

  deleteKey(id: string): Result<{ id: string }> {
    return keys.deleteKey(this.#sql, id);
  }

  /** The data plane's question: what is the key with this hash? */
  lookupKey(hash: string): KeyLookup | null {
    return keys.lookupByHash(this.#sql, hash);
  }

  apis(): { name: string; updatedAt: number }[] {
    return this.#sql.exec("SELECT name, updated_at FROM apis ORDER BY name").toArray().map((r) => ({ name: r.name as string, updatedAt: r.updated_at as number }));
  }
}
