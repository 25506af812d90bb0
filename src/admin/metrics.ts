/**
 * Metrics read back for the CLI, the dashboard and scripts: per-version totals (`/metrics`) and a time series
 * (`/metrics/series`), from whichever source the Worker reads (observability/metrics-reader.ts) — Analytics
 * Engine's SQL API in production, the batched store in the API's Registry otherwise. Every answer names its source.
 */
import type { Hono } from "hono";
import { registryFor } from "../deploy/registry-client.ts";
import type { Env } from "../env.ts";
import { AnalyticsQueryError } from "../observability/analytics-sql.ts";
import { flushMetrics } from "../observability/metrics.ts";
import { analyticsReadable, analyticsReader, type MetricsReader } from "../observability/metrics-reader.ts";
import { AdminError, API_NAME, ITEM_NAME, param } from "./http.ts";
import type { ServerFacts } from "./server-facts.ts";

type AdminApp = Hono<{ Bindings: Env }>;

/** The local store: this isolate's unsent samples first, so what was just served shows up. */
function localReader(env: Env): MetricsReader {
  return {
    source: "local",
    async versions(api, stage, since) {
      await flushMetrics(env);
      return registryFor(env, api).metrics(stage, since);
    },
    async series(api, stage, since, step) {
      await flushMetrics(env);
      return registryFor(env, api).metricsSeries(stage, since, step * 1000);
    },
  };
}

export function metricsReaderFor(env: Env): MetricsReader {
  return analyticsReadable(env) ? analyticsReader(env) : localReader(env);
}

function minutesOf(value: string | undefined, fallback: number): number {
  const minutes = Number(value ?? fallback);
  if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 1440) throw new AdminError(400, "invalid request", [{ path: ["minutes"], message: "must be between 1 and 1440" }]);
  return minutes;
}

/**
 * The stage's pointers: published ones, else — for a stage the embedded bundle (or `portico dev`'s file) serves and
 * nothing was published to — the embedded version's, whose requests are counted like any other.
 */
async function stageOf(env: Env, apiName: string | undefined, stageName: string | undefined, facts: (() => ServerFacts) | undefined) {
  const api = param(apiName, API_NAME, "api");
  const stage = param(stageName, ITEM_NAME, "stage");
  const state = await registryFor(env, api).servingState();
  const found = state.stages[stage];
  if (found) return { api, stage, state: { deploymentId: found.deploymentId, canary: found.canary } };
  const embedded = facts?.().embedded;
  if (embedded?.api === api && embedded.stages.includes(stage)) return { api, stage, state: { deploymentId: embedded.version, canary: null } };
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

export function metricsRoutes(app: AdminApp, facts?: () => ServerFacts): void {
  app.get("/apis/:api/stages/:stage/metrics", async (c) => {
    const { api, stage, state } = await stageOf(c.env, c.req.param("api"), c.req.param("stage"), facts);
    const minutes = minutesOf(c.req.query("minutes"), 15);
    const reader = metricsReaderFor(c.env);
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
    const reader = metricsReaderFor(c.env);
    const since = Date.now() - minutes * 60_000;
    const versions = await reading(reader.series(api, stage, since - (since % (step * 1000)), step, state.deploymentId, state.canary?.deploymentId ?? null));
    return c.json({ api, stage, minutes, step, source: reader.source, stable: state.deploymentId, canary: state.canary, versions });
  });
}
