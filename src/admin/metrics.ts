/**
 * Metrics read back for the CLI, the dashboard and scripts: per-version totals (`/metrics`) and a time series
 * (`/metrics/series`), from whichever source the Worker reads (observability/metrics-reader.ts) — Analytics
 * Engine's SQL API in production, the batched store otherwise (the API's MetricsStore shards, merged by its
 * Registry). Every answer names its source. WebSocket counts are never data points (hubs count connections and
 * messages, not requests): they always come from the batched store, merged into Analytics Engine's answer.
 */
import type { Hono } from "hono";
import { REGISTRY_CONTRACT } from "../../durable-objects/registry/contract.ts";
import { wsCounts } from "../../durable-objects/registry/metrics-store.ts";
import { registryFor } from "../deploy/registry-client.ts";
import type { ServingState, VersionMetrics, VersionSeries } from "../deploy/types.ts";
import type { Env } from "../env.ts";
import { AnalyticsQueryError } from "../observability/analytics-sql.ts";
import { flushMetrics, type MetricsBuffer } from "../observability/metrics.ts";
import { analyticsReadable, analyticsReader, type MetricsReader } from "../observability/metrics-reader.ts";
import { AdminError, API_NAME, ITEM_NAME, param, registryAnswer } from "./http.ts";

const V = REGISTRY_CONTRACT;
import type { ServerFacts } from "./server-facts.ts";

type AdminApp = Hono<{ Bindings: Env }>;

/**
 * The local store, through the API's Registry (every MetricsStore shard plus its own table): the serving app's unsent
 * samples first (`metrics`, its AppState's buffer), so what was just served shows up. The stable and canary ids are
 * the Registry's own.
 */
function localReader(env: Env, metrics: MetricsBuffer | undefined): MetricsReader {
  return {
    source: "local",
    async versions(api, stage, since) {
      if (metrics) await flushMetrics(env, metrics);
      return registryAnswer<VersionMetrics[]>(await registryFor(env, api).stageMetrics({ v: V, stage, since, api }));
    },
    async series(api, stage, since, step) {
      if (metrics) await flushMetrics(env, metrics);
      return registryAnswer<VersionSeries[]>(await registryFor(env, api).stageSeries({ v: V, stage, since, stepMs: step * 1000, api }));
    },
  };
}

/**
 * Analytics Engine's answer, with each version's WebSocket counts from the local store beside it (a version that
 * only the store knows — a WebSocket API's connections and nothing else — is listed too). Both are read; either
 * failing fails the read rather than answer with half the picture.
 */
function analyticsWithWebSockets(env: Env, metrics: MetricsBuffer | undefined): MetricsReader {
  const analytics = analyticsReader(env);
  const local = localReader(env, metrics);
  return {
    ...analytics,
    async versions(api, stage, since, stable, canary) {
      const [versions, stored] = await Promise.all([analytics.versions(api, stage, since, stable, canary), local.versions(api, stage, since, stable, canary)]);
      const byVersion = new Map(versions.map((v) => [v.version, v]));
      for (const s of stored) {
        const ws = wsCounts(s);
        if (!ws) continue;
        const found = byVersion.get(s.version);
        if (found) Object.assign(found, ws);
        else versions.push({ ...s, role: s.version === stable ? "stable" : s.version === canary ? "canary" : "other" });
      }
      return versions;
    },
  };
}

/** `metrics`: the serving app's buffer, flushed before the local store is read (none: an admin API alone, as in tests). */
export function metricsReaderFor(env: Env, metrics?: MetricsBuffer): MetricsReader {
  return analyticsReadable(env) ? analyticsWithWebSockets(env, metrics) : localReader(env, metrics);
}

function minutesOf(value: string | undefined, fallback: number): number {
  const minutes = Number(value ?? fallback);
  if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 1440) throw new AdminError(400, "invalid request", [{ path: ["minutes"], message: "must be between 1 and 1440" }]);
  return minutes;
}

/**
 * The stage's pointers: published ones, else — for a stage an embedded bundle (or `portico dev`'s file) serves and
 * nothing was published to — the embedded version's, whose requests are counted like any other.
 */
async function stageOf(env: Env, apiName: string | undefined, stageName: string | undefined, facts: (() => ServerFacts) | undefined) {
  const api = param(apiName, API_NAME, "api");
  const stage = param(stageName, ITEM_NAME, "stage");
  const state = registryAnswer<ServingState>(await registryFor(env, api).serving({ v: V, api }));
  const found = state.stages[stage];
  if (found) return { api, stage, state: { deploymentId: found.deploymentId, canary: found.canary } };
  const served = facts?.();
  // The default embedded API, or one embedded beside it (`--with`: the example chat).
  const embedded = served ? [served.embedded, ...(served.others ?? [])].find((e) => e.api === api) : undefined;
  if (embedded?.stages.includes(stage)) return { api, stage, state: { deploymentId: embedded.version, canary: null } };
  if (!state.api) throw new AdminError(404, `no API "${api}" has been deployed`);
  throw new AdminError(404, `API ${state.api} has no stage "${stage}"`);
}

/** A source that failed: 503 with why (the SQL API's own message; never a token). */
async function reading<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof AnalyticsQueryError) throw new AdminError(503, err.message);
    throw err;
  }
}

/** `metrics`: the serving app's unsent samples (its AppState), sent before a read of the local store. */
export function metricsRoutes(app: AdminApp, facts?: () => ServerFacts, metrics?: MetricsBuffer): void {
  app.get("/apis/:api/stages/:stage/metrics", async (c) => {
    const { api, stage, state } = await stageOf(c.env, c.req.param("api"), c.req.param("stage"), facts);
    const minutes = minutesOf(c.req.query("minutes"), 15);
    const reader = metricsReaderFor(c.env, metrics);
    const versions = await reading(reader.versions(api, stage, Date.now() - minutes * 60_000, state.deploymentId, state.canary?.deploymentId ?? null));
    return c.json({ api, stage, minutes, source: reader.source, stable: state.deploymentId, canary: state.canary, versions });
  });

  app.get("/apis/:api/stages/:stage/metrics/series", async (c) => {
    const { api, stage, state } = await stageOf(c.env, c.req.param("api"), c.req.param("stage"), facts);
    const minutes = minutesOf(c.req.query("minutes"), 60);
    // Steps of at least 10 s (the local store's slot) and at most 500 points per version.
    const step = Number(c.req.query("step") ?? Math.max(10, Math.ceil((minutes * 60) / 60 / 10) * 10));
    if (!Number.isInteger(step) || step < 10 || step > 86_400 || step % 10 !== 0 || (minutes * 60) / step > 500)
      throw new AdminError(400, "invalid request", [{ path: ["step"], message: "must be a multiple of 10 seconds, giving at most 500 points" }]);
    const reader = metricsReaderFor(c.env, metrics);
    const since = Date.now() - minutes * 60_000;
    const versions = await reading(reader.series(api, stage, since - (since % (step * 1000)), step, state.deploymentId, state.canary?.deploymentId ?? null));
    return c.json({ api, stage, minutes, step, source: reader.source, stable: state.deploymentId, canary: state.canary, versions });
  });
}
