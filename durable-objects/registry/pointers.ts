/**
 * The Registry's deployment and pointer logic: what a deploy, a rollback and each canary operation change in an API
 * instance's tables (stages.ts), and what they refuse. Each change is one transaction that appends to the history and
 * moves the instance's version on; publishing the snapshot and syncing the domain index afterwards is the caller's
 * (registry.ts), which owns the instance.
 *
 * Refusals are decided before the transaction: returning (not throwing) from transactionSync commits what it wrote,
 * so a refused change would otherwise leave rows behind. Among them is `--require-clean-shadow` (the ShadowGate a
 * canary change, a promotion or an automation may carry): shadow.ts judges the candidate's report.
 */
import type { AutoCanaryConfig, CanaryState, DeploymentRecord, StageState } from "../../src/deploy/types.ts";
import type { CanaryInput, PublishInput, ShadowGate } from "./contract.ts";
import { gateRefusal } from "./shadow.ts";
import * as stages from "./stages.ts";
import { fail, type Result } from "./stages.ts";

const DEFAULT_STICKY = { kind: "none" } as const;

/** What the pointer logic needs of the Registry instance. */
export interface PointerHost {
  sql: SqlStorage;
  storage: DurableObjectStorage;
  /** The API this instance holds ("" before its first deploy). */
  api: string;
  /** Records the API this instance holds (and the snapshot it publishes), inside the deploy's transaction. */
  claim(api: string): void;
  bumpVersion(): number;
}

/** Why a stable move happened, as the history records it. */
export type StableMove = "rollback" | "canary-promote" | "auto-promote";

/** A deploy's outcome: the stage and deployment as stored, and whether anything changed (a repeat changes nothing). */
export interface Deployed {
  stage: StageState;
  deployment: DeploymentRecord;
  changed: boolean;
}

/** Stores the bundle and points the stage (or its canary, with `canaryPercent`) at it. */
export function deploy(host: PointerHost, call: PublishInput): Result<Deployed> {
  const { sql } = host;
  if (host.api && host.api !== call.api) return fail(409, `this registry holds API ${host.api}, not ${call.api}`);
  if (!call.bundleStages.includes(call.stage))
    return fail(400, `stage "${call.stage}" is not defined in the definition (it defines ${call.bundleStages.join(", ")})`, "stage");
  const now = Date.now();
  const existing = stages.readStage(sql, call.api, call.stage);
  if (call.canaryPercent !== undefined) {
    if (!existing) return fail(409, `stage "${call.stage}" has no stable version yet: deploy it without --canary first`, "canary");
    if (existing.deploymentId === call.bundleId) return fail(409, "this version is already the stage's stable version", "canary");
  }
  const changed = host.storage.transactionSync((): boolean => {
    host.claim(call.api);
    stages.insertDeployment(sql, call.bundleId, call.bundleText, call.routes, call.description, now);
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
      stages.writeStage(sql, call.stage, stable.deploymentId, canary, now);
      stages.appendHistory(sql, call.stage, "canary-deploy", call.bundleId, call.description, now);
    } else {
      if (existing && existing.deploymentId === call.bundleId && !existing.canary) return false;
      stages.writeStage(sql, call.stage, call.bundleId, null, now);
      stages.appendHistory(sql, call.stage, "deploy", call.bundleId, call.description, now);
    }
    host.bumpVersion();
    return true;
  });
  // Read before the caller awaits anything: another caller's publish may run meanwhile, and this caller is owed its own.
  const stage = stages.readStage(sql, call.api, call.stage)!;
  const deployment = stages.listDeployments(sql, 1000).find((d) => d.id === call.bundleId)!;
  return { ok: true, value: { stage, deployment, changed } };
}

/** Moves the stable pointer back: to `to` (a deployment id or prefix), else to the version before the current one. */
export function revert(host: PointerHost, stage: string, to: string | undefined): Result<StageState> {
  const existing = stages.readStage(host.sql, host.api, stage);
  if (!existing) return fail(404, `no stage "${stage}"`, "stage");
  let target: string;
  if (to) {
    const resolved = stages.resolveDeploymentId(host.sql, to, "to");
    if (!resolved.ok) return resolved;
    target = resolved.value;
    if (!defines(host.sql, target, stage)) return fail(400, `deployment ${target.slice(0, 12)} does not define stage "${stage}"`, "to");
  } else {
    const previous = stages.previousStable(host.sql, stage, existing.deploymentId);
    if (!previous) return fail(409, `stage "${stage}" has no earlier version to roll back to`);
    target = previous;
  }
  moveStable(host, stage, target, "rollback", to ? `rollback to ${target.slice(0, 12)}` : "rollback to the previous version");
  return { ok: true, value: stages.readStage(host.sql, host.api, stage)! };
}

/** Whether a stored deployment's bundle defines `stage` (a version can only serve the stages it defines). */
export function defines(sql: SqlStorage, deploymentId: string, stage: string): boolean {
  return Object.hasOwn((JSON.parse(stages.bundleText(sql, deploymentId)!) as { stages: Record<string, unknown> }).stages, stage);
}

/** Points the stage's stable version at `deploymentId`, dropping any canary. */
export function moveStable(host: PointerHost, stage: string, deploymentId: string, action: StableMove, description: string): void {
  const now = Date.now();
  host.storage.transactionSync(() => {
    stages.writeStage(host.sql, stage, deploymentId, null, now);
    stages.appendHistory(host.sql, stage, action, deploymentId, description, now);
    host.bumpVersion();
  });
}

/** Creates or changes the stage's canary; fields not given keep their current values. */
export function configureCanary(host: PointerHost, stage: string, input: CanaryInput, gate: ShadowGate = {}): Result<StageState> {
  const { sql, api } = host;
  const existing = stages.readStage(sql, api, stage);
  if (!existing) return fail(404, `no stage "${stage}"`, "stage");
  let deploymentId = existing.canary?.deploymentId;
  if (input.deploymentId) {
    const resolved = stages.resolveDeploymentId(sql, input.deploymentId, "deploymentId");
    if (!resolved.ok) return resolved;
    deploymentId = resolved.value;
  }
  if (!deploymentId) return fail(409, `stage "${stage}" has no canary: deploy one with --canary, or give deploymentId`, "deploymentId");
  if (deploymentId === existing.deploymentId) return fail(409, "the canary must differ from the stage's stable version", "deploymentId");
  if (!defines(sql, deploymentId, stage)) return fail(400, `deployment ${deploymentId.slice(0, 12)} does not define stage "${stage}"`, "deploymentId");
  const refused = gateRefusal(sql, stage, deploymentId, gate);
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
  host.storage.transactionSync(() => {
    stages.writeStage(sql, stage, existing.deploymentId, canary, now);
    stages.appendHistory(sql, stage, "canary-update", deploymentId!, `canary at ${canary.percent}%`, now);
    host.bumpVersion();
  });
  return { ok: true, value: stages.readStage(sql, api, stage)! };
}

/** Makes the stage's canary its stable version. */
export function promote(host: PointerHost, stage: string, gate: ShadowGate = {}): Result<StageState> {
  const existing = stages.readStage(host.sql, host.api, stage);
  if (!existing?.canary) return fail(404, `stage "${stage}" has no canary`, "stage");
  const refused = gateRefusal(host.sql, stage, existing.canary.deploymentId, gate);
  if (refused) return refused;
  moveStable(host, stage, existing.canary.deploymentId, "canary-promote", "canary promoted");
  return { ok: true, value: stages.readStage(host.sql, host.api, stage)! };
}

/** Removes the stage's canary (deleted by an operator, or rolled back by the automation), recorded with `reason`. */
export function clearCanary(host: PointerHost, stage: string, action: "canary-delete" | "auto-rollback", reason: string): Result<StageState> {
  const existing = stages.readStage(host.sql, host.api, stage);
  if (!existing?.canary) return fail(404, `stage "${stage}" has no canary`, "stage");
  const now = Date.now();
  host.storage.transactionSync(() => {
    stages.writeStage(host.sql, stage, existing.deploymentId, null, now);
    stages.appendHistory(host.sql, stage, action, existing.canary!.deploymentId, reason, now);
    host.bumpVersion();
  });
  return { ok: true, value: stages.readStage(host.sql, host.api, stage)! };
}

/** Hands the stage's canary to the automation (canary-driver.ts), starting at its first step unless it already serves some traffic. */
export function automate(host: PointerHost, stage: string, config: AutoCanaryConfig, gate: ShadowGate = {}): Result<StageState> {
  const existing = stages.readStage(host.sql, host.api, stage);
  if (!existing?.canary) return fail(404, `stage "${stage}" has no canary: deploy one with --canary first`, "stage");
  const refused = gateRefusal(host.sql, stage, existing.canary.deploymentId, gate);
  if (refused) return refused;
  const now = Date.now();
  const canary: CanaryState = {
    ...existing.canary,
    percent: existing.canary.percent > 0 ? existing.canary.percent : config.step,
    auto: { ...config, stepStartedAt: now },
  };
  host.storage.transactionSync(() => {
    stages.writeStage(host.sql, stage, existing.deploymentId, canary, now);
    stages.appendHistory(host.sql, stage, "auto-start", canary.deploymentId,
      `automated canary from ${canary.percent}%: +${config.step} every ${config.intervalSeconds}s; bounds: 5xx +${config.maxErrorRateIncrease} points, p95 ≤ ${config.maxP95Ratio}× stable, ≥ ${config.minRequests} requests per step`, now);
    host.bumpVersion();
  });
  return { ok: true, value: stages.readStage(host.sql, host.api, stage)! };
}

/** Moves the stage's cache generation on (every cache key holds it, so the whole stage cache is flushed at once). */
export function flushStageCache(host: PointerHost, stage: string): Result<number> {
  if (!stages.readStage(host.sql, host.api, stage)) return fail(404, `no stage "${stage}"`, "stage");
  const generation = host.storage.transactionSync(() => {
    const g = stages.bumpCacheGeneration(host.sql, stage)!;
    host.bumpVersion();
    return g;
  });
  return { ok: true, value: generation };
}
