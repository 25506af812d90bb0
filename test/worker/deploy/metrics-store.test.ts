/**
 * Metrics off the Registry's request path (issue 12): isolates flush their batches to MetricsStore shards
 * (`metrics:<api>:<n>`), never to the API's Registry; the Registry reads every shard (and its own table, where
 * isolates of the previous release still write) for the admin API and for automated canary analysis, which its
 * alarm now runs every few seconds.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { MetricsStore } from "../../../durable-objects/metrics-store/index.ts";
import type { Registry } from "../../../durable-objects/registry/index.ts";
import type { MetricsSample, VersionMetrics } from "../../../src/deploy/types.ts";
import { flushMetrics, MetricsBuffer } from "../../../src/observability/metrics.ts";
import { metricsShards, metricsStoreName } from "../../../src/observability/metrics-store-client.ts";
import { adminOk, appOn, definition, ENV, faultyEnv, metricsSample, publish, uniqueApi } from "./support.ts";

const shard = (api: string, n: number) => ENV.METRICS_STORE.get(ENV.METRICS_STORE.idFromName(metricsStoreName(api, n)));
const registry = (api: string) => ENV.REGISTRY.get(ENV.REGISTRY.idFromName(`api:${api}`));

async function metricsOf(api: string): Promise<VersionMetrics[]> {
  return ((await adminOk(`/apis/${api}/stages/prod/metrics?minutes=5`, {})) as { versions: VersionMetrics[] }).versions;
}

/** Counts per shard of what `api`'s shards hold for stage prod. */
async function perShard(api: string): Promise<number[]> {
  return Promise.all(
    Array.from({ length: metricsShards(ENV) }, async (_, n) =>
      runInDurableObject(shard(api, n), (_m, state) => state.storage.sql.exec<{ n: number | null }>("SELECT SUM(count) AS n FROM metrics").one().n ?? 0),
    ),
  );
}

describe("metrics flushed by isolates", () => {
  it("go to the API's MetricsStore shards, never to its Registry — which may be down meanwhile", async () => {
    const api = uniqueApi("met");
    const v1 = await publish(definition(api, "v1"));
    const { env, control } = faultyEnv();
    const fetch = appOn(env);
    expect((await fetch(`http://${api}.test/who`)).status).toBe(200); // warm: pointers known
    control.fault = "throw"; // the Registry is down from here on: serving and flushing must not need it
    const buffer = new MetricsBuffer();
    for (let i = 0; i < 30; i++) buffer.record({ api, stage: "prod", version: v1, status: i < 3 ? 503 : 200, latencyMs: 5, integrationLatencyMs: 2 });
    for (let flush = 0; flush < 3; flush++) {
      await flushMetrics(env, buffer);
      buffer.record({ api, stage: "prod", version: v1, status: 200, latencyMs: 5, integrationLatencyMs: 2 });
    }
    await flushMetrics(env, buffer);
    // The warm-up request above, from its app's own buffer (with the Registry still down).
    await flushMetrics(env, fetch.state.metrics);
    expect(control.calls.filter((m) => m.toLowerCase().includes("metric"))).toEqual([]);
    const counts = await perShard(api);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(34);
    // Read back through the (real) Registry: all shards merged.
    expect((await metricsOf(api)).find((m) => m.version === v1)).toMatchObject({ role: "stable", count: 34, c5xx: 3 });
  });
});

describe("metrics as the Registry reads them", () => {
  it("merge every shard with the Registry's own table (batches from isolates of the previous release)", async () => {
    const api = uniqueApi("merge");
    const v1 = await publish(definition(api, "v1"));
    await shard(api, 0).record({ v: 1, samples: [metricsSample(v1, 10, 1, 20)] });
    await shard(api, metricsShards(ENV) - 1).record({ v: 1, samples: [metricsSample(v1, 30, 0, 40)] });
    await registry(api).recordMetrics([metricsSample(v1, 60, 2, 80)]); // contract v0
    const merged = (await metricsOf(api)).find((m) => m.version === v1)!;
    expect(merged).toMatchObject({ count: 100, c5xx: 3 });
    // Percentiles from the merged histogram: 60 of 100 at ~80 ms, so p50 is there and p95 too.
    expect(merged.p50).toBeGreaterThan(70);
    expect(merged.p95).toBeGreaterThan(70);
  });

  it("carry throttled and refused counts and the per-step series through every shard and the Registry's own table", async () => {
    const api = uniqueApi("mseries");
    const v1 = await publish(definition(api, "v1"));
    const now = Date.now();
    const slot = now - (now % 60_000); // a step of 60 s, whole
    const at = (t: number, s: MetricsSample): MetricsSample => ({ ...s, slot: t });
    await shard(api, 0).record({ v: 1, samples: [at(slot, { ...metricsSample(v1, 10, 0, 20), c4xx: 4, throttled: 3, refused: 1 })] });
    await shard(api, 5).record({ v: 1, samples: [at(slot + 10_000, { ...metricsSample(v1, 20, 1, 20), c4xx: 2, throttled: 1, refused: 1 }), at(slot - 60_000, { ...metricsSample(v1, 5, 0, 20), refused: 5, c4xx: 5 })] });
    await registry(api).recordMetrics([at(slot + 20_000, { ...metricsSample(v1, 1, 0, 20), throttled: 1, c4xx: 1 })]); // contract v0
    expect((await metricsOf(api)).find((m) => m.version === v1)).toMatchObject({ count: 36, c4xx: 12, throttled: 5, refused: 7 });

    const series = (await adminOk(`/apis/${api}/stages/prod/metrics/series?minutes=5&step=60`, {})) as { source: string; versions: { version: string; role: string; points: Record<string, unknown>[] }[] };
    expect(series.source).toBe("local");
    expect(series.versions).toEqual([
      {
        version: v1,
        role: "stable",
        points: [
          expect.objectContaining({ t: slot - 60_000, count: 5, c4xx: 5, throttled: 0, refused: 5 }),
          expect.objectContaining({ t: slot, count: 31, c4xx: 7, c5xx: 1, throttled: 5, refused: 2 }),
        ],
      },
    ]);
    // A shard answers its own steps only (the Registry merges), and refuses a step that is not whole slots.
    expect(await shard(api, 5).steps({ v: 1, stage: "prod", since: 0, stepMs: 60_000 })).toMatchObject({ v: 1, ok: true, value: [expect.objectContaining({ slot: slot - 60_000, count: 5 }), expect.objectContaining({ slot, count: 20, throttled: 1 })] });
    expect(await shard(api, 5).steps({ v: 1, stage: "prod", since: 0, stepMs: 15_000 })).toMatchObject({ v: 1, ok: false, status: 400, field: "stepMs" });
  });

  it("refuses a call in another contract, or a batch too big, without writing it", async () => {
    const api = uniqueApi("mref");
    const s = shard(api, 0);
    expect(await s.record({ v: 2, samples: [] } as never)).toMatchObject({ v: 1, ok: false, status: 501 });
    expect(await s.record({ samples: [] } as never)).toMatchObject({ v: 1, ok: false, status: 501 });
    expect(await s.record({ v: 1, samples: Array(2001).fill(metricsSample("x", 1, 0, 1)) })).toMatchObject({ ok: false, status: 400, field: "samples" });
    expect(await s.totals({ v: 1, stage: "prod", since: 0 })).toEqual({ v: 1, ok: true, value: [] });
  });
});

describe("automated canary analysis on MetricsStore", () => {
  const config = { step: 45, intervalSeconds: 60, maxErrorRateIncrease: 1, maxP95Ratio: 1.5, minRequests: 20 };

  async function running() {
    const api = uniqueApi("auto");
    const stable = await publish(definition(api, "stable"));
    const canary = await publish(definition(api, "canary"), { canary: 10 });
    await adminOk(`/apis/${api}/stages/prod/canary/auto`, { method: "POST", json: config });
    return { api, stable, canary };
  }

  it("rolls back from the alarm when the shards show the canary's 5xx rate too high", async () => {
    const { api, stable, canary } = await running();
    await shard(api, 1).record({ v: 1, samples: [metricsSample(stable, 300, 3, 20)] });
    await shard(api, 2).record({ v: 1, samples: [metricsSample(stable, 200, 2, 20), metricsSample(canary, 40, 12, 20)] }); // 30% vs 1%
    expect(await runDurableObjectAlarm(registry(api))).toBe(true);
    const state = (await adminOk(`/apis/${api}/stages/prod`, {})) as { deploymentId: string; canary: unknown };
    expect(state).toMatchObject({ deploymentId: stable, canary: null });
    const history = (await adminOk(`/apis/${api}/history?stage=prod&limit=1`, {})) as { history: { action: string; description: string }[] };
    expect(history.history[0]).toMatchObject({ action: "auto-rollback" });
    expect(history.history[0]!.description).toContain("30.00%");
  });

  it("steps when the step is due and the shards' traffic is within bounds, and waits while it is not due", async () => {
    const { api, stable, canary } = await running();
    await shard(api, 3).record({ v: 1, samples: [metricsSample(stable, 200, 0, 20), metricsSample(canary, 30, 0, 21)] });
    expect(await runDurableObjectAlarm(registry(api))).toBe(true);
    expect(((await adminOk(`/apis/${api}/stages/prod`, {})) as { canary: { percent: number } }).canary.percent).toBe(10);
    // As if the step's interval had passed.
    await runInDurableObject(registry(api), (_r, state) => {
      const row = state.storage.sql.exec<{ canary: string }>("SELECT canary FROM stages WHERE stage = 'prod'").one();
      const c = JSON.parse(row.canary) as { auto: { stepStartedAt: number } };
      c.auto.stepStartedAt -= 61_000;
      state.storage.sql.exec("UPDATE stages SET canary = ? WHERE stage = 'prod'", JSON.stringify(c));
    });
    expect(await runDurableObjectAlarm(registry(api))).toBe(true);
    expect(((await adminOk(`/apis/${api}/stages/prod`, {})) as { canary: { percent: number } }).canary.percent).toBe(55);
  });
});
