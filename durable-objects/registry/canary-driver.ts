/**
 * Drives automated canaries from the Registry's alarm: reads each running canary's metrics through the host (every
 * MetricsStore shard, or Analytics Engine's SQL API when the Worker reads metrics there), judges them (auto-canary.ts,
 * pure) and applies the decision. Metrics used to arrive at the Registry and trigger a check; now they live in
 * MetricsStore shards or Analytics Engine, so the alarm checks every AUTO_CANARY_POLL_MS.
 */
import type { CanaryState, VersionMetrics } from "../../src/deploy/types.ts";
import { decide } from "./auto-canary.ts";
import * as stages from "./stages.ts";

/** While an automated canary runs, its bounds are checked this often: a bad canary goes within about that. */
export const AUTO_CANARY_POLL_MS = 5000;

/** What the driver needs of the Registry instance. */
export interface CanaryHost {
  sql: SqlStorage;
  storage: DurableObjectStorage;
  api: string;
  metrics(stage: string, since: number, stable: string, canary: string): Promise<VersionMetrics[]>;
  /** Removes the canary (auto-rollback), recorded with `reason`; false when it has none. */
  clearCanary(stage: string, reason: string): boolean;
  /** Makes `deploymentId` stable (auto-promote). */
  moveStable(stage: string, deploymentId: string, description: string): void;
  bumpVersion(): void;
}

/** When each running canary should next be checked (sooner for intervals under 10 s). */
export function canaryChecksDue(sql: SqlStorage, api: string, now: number): number[] {
  return stages.readStages(sql, api).flatMap((s) => (s.canary?.auto ? [now + Math.min(AUTO_CANARY_POLL_MS, s.canary.auto.intervalSeconds * 500)] : []));
}

/**
 * Judges every automated canary. Metrics are read first; then each stage is read again, judged and written with no
 * await in between, and skipped if its canary changed meanwhile — so a publish or canary change that arrives while
 * the metrics are read is never overwritten by a decision about the state before it. A stage whose metrics could
 * not be read (a shard down) is judged at the next check, never on part of the traffic.
 */
export async function evaluateAutoCanaries(host: CanaryHost, stepDue: boolean): Promise<{ changed: boolean; promoted: boolean }> {
  const running = stages.readStages(host.sql, host.api).filter((s) => s.canary?.auto);
  const observed = new Map<string, VersionMetrics[]>();
  for (const s of running) {
    try {
      observed.set(s.stage, await host.metrics(s.stage, s.canary!.auto!.stepStartedAt - 10_000, s.deploymentId, s.canary!.deploymentId));
    } catch (err) {
      console.error(JSON.stringify({ level: "warn", event: "canary-metrics-unavailable", api: host.api, stage: s.stage, reason: (err as Error).message }));
    }
  }
  const now = Date.now();
  let changed = false;
  let promoted = false;
  for (const seen of running) {
    const metrics = observed.get(seen.stage);
    const state = stages.readStage(host.sql, host.api, seen.stage);
    const canary = state?.canary;
    if (!metrics || !state || !canary?.auto) continue;
    if (state.deploymentId !== seen.deploymentId || canary.deploymentId !== seen.canary!.deploymentId || canary.auto.stepStartedAt !== seen.canary!.auto!.stepStartedAt) continue;
    const decision = decide(canary.auto, canary.percent, metrics.find((m) => m.role === "canary"), metrics.find((m) => m.role === "stable"), now, stepDue);
    if (decision.action === "rollback") {
      changed = host.clearCanary(state.stage, `automated canary rolled back: ${decision.reason}`) || changed;
    } else if (decision.action === "promote") {
      host.moveStable(state.stage, canary.deploymentId, `automated canary promoted: ${decision.reason}`);
      changed = promoted = true;
    } else if (decision.action === "step") {
      const next: CanaryState = { ...canary, percent: decision.percent, auto: { ...canary.auto, stepStartedAt: now } };
      host.storage.transactionSync(() => {
        stages.writeStage(host.sql, state.stage, state.deploymentId, next, now);
        stages.appendHistory(host.sql, state.stage, "auto-step", canary.deploymentId, `stepped to ${decision.percent}%: ${decision.reason}`, now);
        host.bumpVersion();
      });
      changed = true;
    }
  }
  return { changed, promoted };
}
