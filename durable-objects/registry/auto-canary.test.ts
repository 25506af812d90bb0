/** Automated canary analysis (pure `decide`): wait, roll back on 5xx or p95, step, promote. */
import { describe, expect, it } from "vitest";
import type { AutoCanaryState, VersionMetrics } from "../../src/deploy/types.ts";
import { decide } from "./auto-canary.ts";

const STARTED = 1_000_000;
const auto: AutoCanaryState = { step: 10, intervalSeconds: 60, maxErrorRateIncrease: 1, maxP95Ratio: 1.2, minRequests: 100, stepStartedAt: STARTED };
const DUE = STARTED + 60_000;

function metrics(role: "stable" | "canary", count: number, c5xx: number, p95: number | null = 100): VersionMetrics {
  return {
    version: role,
    role,
    count,
    c4xx: 0,
    c5xx,
    errorRate4xx: 0,
    errorRate5xx: count ? c5xx / count : 0,
    degraded: 0,
    p50: p95,
    p95,
    p99: p95,
    integrationP50: null,
    integrationP95: null,
    integrationP99: null,
  };
}
const stable = metrics("stable", 10_000, 100); // 1% 5xx, p95 100 ms

describe("decide", () => {
  it("waits until the canary has served minRequests this step, even when every one failed", () => {
    expect(decide(auto, 10, undefined, stable, DUE, true)).toMatchObject({ action: "wait", reason: expect.stringContaining("0 of 100") });
    const d = decide(auto, 10, metrics("canary", 99, 99), stable, DUE, true);
    expect(d.action).toBe("wait");
    expect(d.reason).toContain("99 of 100");
  });

  it("rolls back when the canary's 5xx rate rises above stable's by more than the bound, saying why with numbers", () => {
    const d = decide(auto, 10, metrics("canary", 200, 10), stable, STARTED + 1, false); // 5% vs 1%
    expect(d.action).toBe("rollback");
    expect(d.reason).toContain("5.00%");
    expect(d.reason).toContain("1.00%");
    expect(d.reason).toContain("+4.00 points");
    expect(d.reason).toContain("+1");
  });

  it("compares against 0% when stable has no metrics", () => {
    expect(decide(auto, 10, metrics("canary", 200, 3), undefined, DUE, true).action).toBe("rollback"); // +1.5 points
    expect(decide(auto, 10, metrics("canary", 200, 1), undefined, DUE, true).action).toBe("step"); // +0.5 points
  });

  it("tolerates a 5xx rise within the bound", () => {
    // 1.5% vs 1%: +0.5 points.
    expect(decide(auto, 10, metrics("canary", 200, 3), stable, DUE, true)).toMatchObject({ action: "step", percent: 20 });
  });

  it("rolls back when the canary's p95 exceeds stable's by more than the ratio", () => {
    const d = decide(auto, 10, metrics("canary", 200, 0, 130), stable, STARTED + 1, false);
    expect(d.action).toBe("rollback");
    expect(d.reason).toContain("130 ms");
    expect(d.reason).toContain("100 ms");
    expect(d.reason).toContain("1.30×");
    expect(d.reason).toContain("1.2×");
    expect(decide(auto, 10, metrics("canary", 200, 0, 119), stable, DUE, true).action).toBe("step");
  });

  it("steps the percent up when the step is due and the canary is within bounds", () => {
    const d = decide(auto, 10, metrics("canary", 200, 2), stable, DUE, true);
    expect(d).toMatchObject({ action: "step", percent: 20 });
    expect(d.reason).toContain("within bounds at 10%");
  });

  it("steps by two-decimal amounts without floating-point noise", () => {
    const small = { ...auto, step: 0.1 };
    expect(decide(small, 0.2, metrics("canary", 200, 0), stable, DUE, true)).toMatchObject({ action: "step", percent: 0.3 });
    expect(decide(auto, 89.99, metrics("canary", 200, 0), stable, DUE, true)).toMatchObject({ action: "step", percent: 99.99 });
  });

  it("promotes when the next step reaches 100%", () => {
    expect(decide(auto, 90, metrics("canary", 200, 0), stable, DUE, true).action).toBe("promote");
    expect(decide(auto, 95, metrics("canary", 200, 0), stable, DUE, true).action).toBe("promote");
    expect(decide({ ...auto, step: 100 }, 1, metrics("canary", 200, 0), stable, DUE, true).action).toBe("promote");
  });

  it("does not step before the interval is up, nor when metrics (not the alarm) triggered the evaluation", () => {
    const healthy = metrics("canary", 500, 0);
    expect(decide(auto, 10, healthy, stable, DUE - 1, true)).toMatchObject({ action: "wait", reason: expect.stringContaining("not due") });
    expect(decide(auto, 10, healthy, stable, DUE + 3_600_000, false).action).toBe("wait");
    expect(decide(auto, 90, healthy, stable, DUE, false).action).toBe("wait");
  });
});
