/**
 * Automated canary analysis, pure: given the canary's and stable's metrics since the current step began, decide
 * to wait, step the percent up, promote, or roll back. The Registry applies the decision from its alarm (time to
 * step) and whenever metrics arrive (so a crossed bound rolls back at once, not at the next step).
 */
import type { AutoCanaryState, VersionMetrics } from "../../src/deploy/types.ts";

export type AutoDecision =
  | { action: "wait"; reason: string }
  | { action: "step"; percent: number; reason: string }
  | { action: "promote"; reason: string }
  | { action: "rollback"; reason: string };

const pct = (rate: number) => `${(rate * 100).toFixed(2)}%`;

export function decide(
  auto: AutoCanaryState,
  percent: number,
  canary: VersionMetrics | undefined,
  stable: VersionMetrics | undefined,
  now: number,
  /** True from the alarm: only then may the percent step up. */
  stepDue: boolean,
): AutoDecision {
  if (!canary || canary.count < auto.minRequests)
    return { action: "wait", reason: `canary served ${canary?.count ?? 0} of ${auto.minRequests} requests needed this step` };

  const stableRate = stable?.errorRate5xx ?? 0;
  const increase = (canary.errorRate5xx - stableRate) * 100;
  if (increase > auto.maxErrorRateIncrease)
    return {
      action: "rollback",
      reason: `canary 5xx rate ${pct(canary.errorRate5xx)} vs stable ${pct(stableRate)}: +${increase.toFixed(2)} points exceeds +${auto.maxErrorRateIncrease}`,
    };
  if (stable?.p95 && canary.p95 && canary.p95 > stable.p95 * auto.maxP95Ratio)
    return {
      action: "rollback",
      reason: `canary p95 ${canary.p95} ms vs stable ${stable.p95} ms: ${(canary.p95 / stable.p95).toFixed(2)}× exceeds ${auto.maxP95Ratio}×`,
    };

  if (!stepDue || now - auto.stepStartedAt < auto.intervalSeconds * 1000) return { action: "wait", reason: "within bounds; step not due" };
  const next = Math.round((percent + auto.step) * 100) / 100;
  const health = `canary 5xx ${pct(canary.errorRate5xx)}, p95 ${canary.p95 ?? "-"} ms over ${canary.count} requests`;
  if (next >= 100) return { action: "promote", reason: `within bounds at ${percent}% (${health})` };
  return { action: "step", percent: next, reason: `within bounds at ${percent}% (${health})` };
}
