/**
 * The Registry Durable Object through its RPC stub, with its SQLite inspected through runInDurableObject:
 * publishing, pointers, rollback, canaries and the automated canary driven by alarms and metrics.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { PublishInput, Registry } from "../../../durable-objects/registry/index.ts";
import { AUTO_CANARY_POLL_MS } from "../../../durable-objects/registry/registry.ts";
import { SNAPSHOT_REFRESH_MS } from "../../../src/deploy/snapshots.ts";
import { canonicalJson } from "../../../src/config/bundle.ts";
import { compileDefinition } from "../../../src/config/compile.ts";
import type { AutoCanaryConfig } from "../../../src/deploy/types.ts";
import { metricsSample } from "./support.ts";
import type { Env } from "../../../src/env.ts";

const ENV = env as unknown as Env;
const uniqueApi = () => `reg-${crypto.randomUUID().slice(0, 8)}`;
const registry = (api: string) => ENV.REGISTRY.get(ENV.REGISTRY.idFromName(`api:${api}`));

/** A real compiled bundle for `api`, marked so each marker gives a different id. */
async function bundle(api: string, marker: string, stages = ["prod"]) {
  const { id, bundle } = await compileDefinition({
    name: api,
    stages: Object.fromEntries(stages.map((s) => [s, { variables: { marker } }])),
    routes: { "GET /who": { integration: { type: "mock", body: { marker } } } },
  });
  const text = canonicalJson(bundle);
  const input = (stage: string, extra: Partial<PublishInput> = {}): PublishInput => ({
    api,
    bundleId: id,
    bundleText: text,
    routes: bundle.routes.length,
    bundleStages: Object.keys(bundle.stages),
    stage,
    description: `publish ${marker}`,
    ...extra,
  });
  return { id, text, input };
}

function sql<T>(api: string, query: string, ...args: SqlStorageValue[]): Promise<T[]> {
  return runInDurableObject(registry(api), (_instance, state) => state.storage.sql.exec(query, ...args).toArray() as T[]);
}

async function ok<T>(result: Promise<{ ok: true; value: T } | { ok: false; status: number; message: string }>): Promise<T> {
  const r = await result;
  if (!r.ok) throw new Error(`expected ok, got ${r.status}: ${r.message}`);
  return r.value;
}

describe("publish", () => {
  it("is idempotent: the same bundle twice changes nothing the second time and leaves one history row", async () => {
    const api = uniqueApi();
    const v1 = await bundle(api, "v1");
    const first = await ok(registry(api).publish(v1.input("prod")));
    expect(first.changed).toBe(true);
    expect(first.stage).toMatchObject({ api, stage: "prod", deploymentId: v1.id, canary: null });
    expect(first.deployment).toMatchObject({ id: v1.id, routes: 1, description: "publish v1" });
    const second = await ok(registry(api).publish(v1.input("prod")));
    expect(second.changed).toBe(false);
    expect(await sql(api, "SELECT action, deployment_id FROM history")).toEqual([{ action: "deploy", deployment_id: v1.id }]);
    expect(await sql(api, "SELECT id FROM deployments")).toEqual([{ id: v1.id }]);
    expect((await registry(api).servingState()).version).toBe(1);
    expect(await registry(api).bundleText(v1.id)).toBe(v1.text);
  });

  it("refuses a stage the bundle does not define (400, field stage) and stores nothing", async () => {
    const api = uniqueApi();
    const v1 = await bundle(api, "v1", ["prod", "beta"]);
    const r = await registry(api).publish(v1.input("staging"));
    expect(r).toMatchObject({ ok: false, status: 400, field: "stage" });
    expect(r.ok || r.message).toContain("prod, beta");
    expect(await sql(api, "SELECT id FROM deployments")).toEqual([]);
    expect(await sql(api, "SELECT stage FROM stages")).toEqual([]);
  });

  it("a refused canary deploy (no stable yet) is all-or-nothing: no deployment, no API, no history", async () => {
    const api = uniqueApi();
    const v1 = await bundle(api, "v1");
    const r = await registry(api).publish(v1.input("prod", { canaryPercent: 10 }));
    expect(r).toMatchObject({ ok: false, status: 409, field: "canary" });
    expect(await sql(api, "SELECT id FROM deployments")).toEqual([]);
    expect(await sql(api, "SELECT seq FROM history")).toEqual([]);
    expect((await registry(api).servingState()).api).toBe("");
  });

  it("concurrent publishes of different bundles to one stage lose no update", async () => {
    const api = uniqueApi();
    const bundles = await Promise.all(Array.from({ length: 8 }, (_, i) => bundle(api, `c${i}`)));
    const results = await Promise.all(bundles.map((b) => registry(api).publish(b.input("prod"))));
    // Each caller is told about its own publish, not about one that landed after it.
    results.forEach((r, i) => expect(r).toMatchObject({ ok: true, value: { changed: true, stage: { deploymentId: bundles[i]!.id }, deployment: { id: bundles[i]!.id } } }));
    const history = await sql<{ deployment_id: string }>(api, "SELECT deployment_id FROM history WHERE action = 'deploy' ORDER BY seq");
    expect(history.map((h) => h.deployment_id).sort()).toEqual(bundles.map((b) => b.id).sort());
    const state = await registry(api).servingState();
    expect(state.stages.prod!.deploymentId).toBe(history.at(-1)!.deployment_id);
    expect(state.version).toBe(8);
  });
});

describe("rollback", () => {
  it("goes back to the previous version, and to any version by id prefix", async () => {
    const api = uniqueApi();
    const [a, b, c] = await Promise.all(["a", "b", "c"].map((m) => bundle(api, m)));
    for (const x of [a!, b!, c!]) await ok(registry(api).publish(x.input("prod")));
    expect((await ok(registry(api).rollback("prod"))).deploymentId).toBe(b!.id);
    expect((await ok(registry(api).rollback("prod", a!.id.slice(0, 8)))).deploymentId).toBe(a!.id);
    const history = await registry(api).history("prod", 2);
    expect(history.map((h) => [h.action, h.deploymentId])).toEqual([
      ["rollback", a!.id],
      ["rollback", b!.id],
    ]);
    expect(history[0]!.description).toContain(a!.id.slice(0, 12));
    expect((await registry(api).servingState()).stages.prod!.deploymentId).toBe(a!.id);

    // A rollback racing a publish reports its own pointer move; both land in history, the last one wins.
    const d = await bundle(api, "d");
    const [rolled, published] = await Promise.all([registry(api).rollback("prod", c!.id), registry(api).publish(d.input("prod"))]);
    expect(rolled).toMatchObject({ ok: true, value: { deploymentId: c!.id } });
    expect(published).toMatchObject({ ok: true, value: { stage: { deploymentId: d.id } } });
    const last = (await registry(api).history("prod", 1))[0]!;
    expect((await registry(api).servingState()).stages.prod!.deploymentId).toBe(last.deploymentId);
  });

  it("refuses unknown, ambiguous and malformed prefixes, unknown stages, and a first version", async () => {
    const api = uniqueApi();
    const real = await bundle(api, "real");
    const r = registry(api);
    expect(await r.rollback("prod")).toMatchObject({ ok: false, status: 404, field: "stage" });
    await ok(r.publish(real.input("prod")));
    expect(await r.rollback("prod")).toMatchObject({ ok: false, status: 409 });
    // Two versions sharing a prefix (the Registry trusts the publisher's ids; the admin API hashes them).
    const twinA = "abcdef01" + "0".repeat(56);
    const twinB = "abcdef02" + "0".repeat(56);
    await ok(r.publish(real.input("prod", { bundleId: twinA })));
    await ok(r.publish(real.input("prod", { bundleId: twinB })));
    expect(await r.rollback("prod", "abcdef")).toMatchObject({ ok: false, status: 400, field: "to", message: expect.stringContaining("ambiguous") });
    const missing = real.id.startsWith("ffffff") ? "eeeeee00" : "ffffff00";
    expect(await r.rollback("prod", missing)).toMatchObject({ ok: false, status: 404, field: "to" });
    expect(await r.rollback("prod", "xyz")).toMatchObject({ ok: false, status: 400, field: "to" });
    expect(await r.rollback("nope")).toMatchObject({ ok: false, status: 404, field: "stage" });
    expect((await r.servingState()).stages.prod!.deploymentId).toBe(twinB);
    expect((await ok(r.rollback("prod", "abcdef01"))).deploymentId).toBe(twinA);
  });
});

describe("canaries", () => {
  async function withCanary(percent = 10) {
    const api = uniqueApi();
    const [stable, canary] = await Promise.all([bundle(api, "stable"), bundle(api, "canary")]);
    await ok(registry(api).publish(stable.input("prod")));
    const deployed = await ok(registry(api).publish(canary.input("prod", { canaryPercent: percent })));
    return { api, stable, canary, deployed };
  }

  it("deploys a canary next to the stable version, refusing the stable version itself", async () => {
    const { api, stable, canary, deployed } = await withCanary(10);
    expect(deployed.stage).toMatchObject({ deploymentId: stable.id, canary: { deploymentId: canary.id, percent: 10, sticky: { kind: "none" }, auto: null } });
    expect(await registry(api).publish(stable.input("prod", { canaryPercent: 5 }))).toMatchObject({ ok: false, status: 409 });
    expect((await registry(api).history("prod", 1))[0]!.action).toBe("canary-deploy");
  });

  it("setCanary changes percent, overrides and sticky key, keeping what it is not given", async () => {
    const { api, canary } = await withCanary(10);
    const r = registry(api);
    const set = await ok(r.setCanary("prod", { percent: 25, stageVariableOverrides: { marker: "over" }, sticky: { kind: "header", name: "x-user" } }));
    expect(set.canary).toMatchObject({ deploymentId: canary.id, percent: 25, stageVariableOverrides: { marker: "over" }, sticky: { kind: "header", name: "x-user" } });
    const again = await ok(r.setCanary("prod", { percent: 0.5 }));
    expect(again.canary).toMatchObject({ percent: 0.5, stageVariableOverrides: { marker: "over" }, sticky: { kind: "header", name: "x-user" } });
    expect((await r.history("prod", 1))[0]).toMatchObject({ action: "canary-update", deploymentId: canary.id });
    expect((await r.servingState()).stages.prod!.canary!.percent).toBe(0.5);
    expect(await r.setCanary("nope", { percent: 1 })).toMatchObject({ ok: false, status: 404, field: "stage" });
  });

  it("setCanary needs a canary or a deployment id, and never the stable version", async () => {
    const api = uniqueApi();
    const [a, b] = await Promise.all([bundle(api, "a"), bundle(api, "b", ["prod", "beta"])]);
    const r = registry(api);
    await ok(r.publish(a.input("prod")));
    expect(await r.setCanary("prod", { percent: 10 })).toMatchObject({ ok: false, status: 409, field: "deploymentId" });
    expect(await r.setCanary("prod", { deploymentId: a.id })).toMatchObject({ ok: false, status: 409 });
    await ok(r.publish(b.input("beta")));
    const set = await ok(r.setCanary("prod", { deploymentId: b.id.slice(0, 10), percent: 5 }));
    expect(set.canary).toMatchObject({ deploymentId: b.id, percent: 5 });
  });

  it("promote makes the canary stable; delete drops it and keeps stable", async () => {
    const one = await withCanary(30);
    const promoted = await ok(registry(one.api).promoteCanary("prod"));
    expect(promoted).toMatchObject({ deploymentId: one.canary.id, canary: null });
    expect((await registry(one.api).history("prod", 1))[0]!.action).toBe("canary-promote");
    expect(await registry(one.api).promoteCanary("prod")).toMatchObject({ ok: false, status: 404 });

    const two = await withCanary(30);
    const deleted = await ok(registry(two.api).deleteCanary("prod"));
    expect(deleted).toMatchObject({ deploymentId: two.stable.id, canary: null });
    expect((await registry(two.api).history("prod", 1))[0]).toMatchObject({ action: "canary-delete", deploymentId: two.canary.id });
    expect(await registry(two.api).deleteCanary("prod")).toMatchObject({ ok: false, status: 404 });
  });
});

describe("automated canary", () => {
  const config: AutoCanaryConfig = { step: 45, intervalSeconds: 60, maxErrorRateIncrease: 1, maxP95Ratio: 1.5, minRequests: 20 };

  /** Moves the current step's start back by `ms`, as if that much time had passed (the real alarm is 60 s away). */
  const ageStep = (api: string, ms: number) =>
    runInDurableObject(registry(api), (_i, state) => {
      const row = state.storage.sql.exec<{ canary: string }>("SELECT canary FROM stages WHERE stage = 'prod'").one();
      const canary = JSON.parse(row.canary) as { auto: { stepStartedAt: number } };
      canary.auto.stepStartedAt -= ms;
      state.storage.sql.exec("UPDATE stages SET canary = ? WHERE stage = 'prod'", JSON.stringify(canary));
    });

  async function started() {
    const api = uniqueApi();
    const [stable, canary] = await Promise.all([bundle(api, "stable"), bundle(api, "canary")]);
    const r = registry(api);
    await ok(r.publish(stable.input("prod")));
    await ok(r.publish(canary.input("prod", { canaryPercent: 10 })));
    const state = await ok(r.startAutoCanary("prod", config));
    expect(state.canary!.auto).toMatchObject({ ...config, stepStartedAt: expect.any(Number) });
    // The alarm checks the canary every AUTO_CANARY_POLL_MS (its metrics are in MetricsStore shards now, so nothing
    // arrives here to trigger a check): the step is taken by the first check after it is due.
    const alarm = await runInDurableObject(r, (_i, s) => s.storage.getAlarm());
    expect(alarm).toBeGreaterThan(state.canary!.auto!.stepStartedAt);
    expect(alarm).toBeLessThanOrEqual(state.canary!.auto!.stepStartedAt + AUTO_CANARY_POLL_MS + 1000); // set after the snapshot's write
    return { api, r, stable, canary };
  }

  it("steps the percent up from the alarm while healthy, then promotes", async () => {
    const { api, r, stable, canary } = await started();
    await r.recordMetrics([metricsSample(stable.id, 200, 0, 20), metricsSample(canary.id, 30, 0, 21)]);
    // The alarm before the interval is up changes nothing (and sets itself again).
    expect(await runDurableObjectAlarm(r)).toBe(true);
    expect((await r.servingState()).stages.prod!.canary!.percent).toBe(10);
    expect((await r.history("prod", 1))[0]!.action).toBe("auto-start");

    await ageStep(api, 61_000);
    expect(await runDurableObjectAlarm(r)).toBe(true);
    expect((await r.servingState()).stages.prod!.canary!.percent).toBe(55);
    const step = (await r.history("prod", 1))[0]!;
    expect(step).toMatchObject({ action: "auto-step", deploymentId: canary.id });
    expect(step.description).toContain("stepped to 55%");

    await r.recordMetrics([metricsSample(stable.id, 100, 0, 20), metricsSample(canary.id, 40, 0, 22)]);
    await ageStep(api, 61_000);
    expect(await runDurableObjectAlarm(r)).toBe(true);
    const final = (await r.servingState()).stages.prod!;
    expect(final).toMatchObject({ deploymentId: canary.id, canary: null });
    expect((await r.history("prod", 1))[0]).toMatchObject({ action: "auto-promote", deploymentId: canary.id });
    // No canary left to check: the next alarm is the snapshot's refresh, minutes away.
    expect(await runInDurableObject(r, (_i, s) => s.storage.getAlarm())).toBeGreaterThan(Date.now() + SNAPSHOT_REFRESH_MS - 10_000);
    const metrics = await r.metrics("prod", Date.now() - 60_000);
    expect(metrics.find((m) => m.version === canary.id)).toMatchObject({ role: "stable", count: 70, c5xx: 0 });
    expect(await sql(api, "SELECT count(*) AS n FROM history WHERE action = 'auto-step'")).toEqual([{ n: 1 }]);
  });

  it("rolls back at once when recorded metrics show the canary's 5xx rate too high", async () => {
    const { r, stable, canary } = await started();
    await r.recordMetrics([metricsSample(stable.id, 500, 5, 20), metricsSample(canary.id, 40, 12, 20)]); // 30% vs 1%
    const state = (await r.servingState()).stages.prod!;
    expect(state).toMatchObject({ deploymentId: stable.id, canary: null });
    const last = (await r.history("prod", 1))[0]!;
    expect(last).toMatchObject({ action: "auto-rollback", deploymentId: canary.id });
    expect(last.description).toContain("30.00%");
    expect(last.description).toContain("1.00%");
    expect(last.description).toContain("exceeds +1");
  });

  it("rolls back when the canary's p95 is too slow, and waits while it has served too few requests", async () => {
    const { r, stable, canary } = await started();
    await r.recordMetrics([metricsSample(stable.id, 500, 0, 20), metricsSample(canary.id, 10, 0, 200)]);
    expect((await r.servingState()).stages.prod!.canary).not.toBeNull();
    await r.recordMetrics([metricsSample(canary.id, 10, 0, 200)]);
    expect((await r.servingState()).stages.prod!.canary).toBeNull();
    expect((await r.history("prod", 1))[0]!.description).toMatch(/p95 .* exceeds 1\.5×/);
  });
});
