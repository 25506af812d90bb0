/**
 * Metrics to Workers Analytics Engine: one data point per request, in the documented layout, within the platform's
 * limits (a recording dataset enforces them; Miniflare's own keeps nothing to read back), with no Durable Object
 * write on the request path once Analytics Engine is the source; and metrics read back through the SQL API (a local
 * stand-in for it records each query) by the admin API.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/app.ts";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { EmbeddedConfigSource } from "../../../src/deploy/config-source.ts";
import { RegistryConfigSource } from "../../../src/deploy/registry-source.ts";
import type { Env } from "../../../src/env.ts";
import { EMBEDDED } from "../deploy/support.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";
import { admin, capturingLogs, createKey, recordingDataset, uid } from "./support.ts";

const ENV = env as unknown as Env;

function measured(api: string): ApiDefinition {
  return {
    name: api,
    stages: { prod: { cache: { ttl: 60 } } },
    authorizers: { gate: { type: "custom", mode: "request", identitySource: "$request.header.x-token", url: `${backendUrl()}/authorizer/${api}`, resultTtlSeconds: 0 } },
    routes: {
      "GET /items/{id}": { integration: { type: "http_proxy", uri: `${backendUrl()}/echo/${api}/{id}` } },
      "GET /tight": { throttle: { rate: 0.001, burst: 1 }, integration: { type: "mock", body: { ok: true } } },
      "GET /guarded": { authorizer: "gate", integration: { type: "mock", body: { ok: true } } },
      "GET /keyed": { apiKeyRequired: true, integration: { type: "mock", body: { ok: true } } },
    },
  };
}

type Point = { indexes: string[]; blobs: string[]; doubles: number[] };

describe("Analytics Engine data points", () => {
  it("writes one data point per request in the documented layout", async () => {
    const api = `ae-${uid()}`;
    const dataset = recordingDataset();
    const gw = await gatewayFor(measured(api), { ANALYTICS: dataset });
    const { value } = await createKey([`${api}/prod`]);
    const send = async (path: string, headers: Record<string, string> = {}) => (await gw.fetch(path, { headers })).text();
    await send("/prod/items/1");
    await send("/prod/items/1");
    await send("/prod/tight");
    await send("/prod/tight");
    await send("/prod/guarded", { "x-token": "deny" });
    await send("/prod/guarded", { "x-token": "allow" });
    await send("/prod/keyed", { "x-api-key": "ptk_made-up-0000000000000000000000000000000" });
    await send("/prod/keyed", { "x-api-key": value });
    const points = dataset.points as Point[];
    expect(points).toHaveLength(8);
    for (const p of points) {
      expect(p.indexes).toEqual([`${api}/prod`]);
      expect(p.blobs.slice(0, 2)).toEqual([api, "prod"]);
      expect(p.blobs[2]).toMatch(/^[0-9a-f]{64}$/);
      expect(p.blobs[3]).toBe("stable");
      expect(p.blobs).toHaveLength(12);
      expect(p.doubles).toHaveLength(9);
    }
    const by = (route: string) => points.filter((p) => p.blobs[4] === route);
    // [route, method, status class, cache, throttle, auth, error type, integration] and [status, …, refused, throttled]
    const [miss, hit] = by("GET /items/{id}");
    expect(miss!.blobs.slice(4)).toEqual(["GET /items/{id}", "GET", "2xx", "MISS", "none", "none", "", "http_proxy"]);
    expect(miss!.doubles[0]).toBe(200);
    expect(miss!.doubles[2]).toBeGreaterThanOrEqual(0); // integration latency
    expect(hit!.blobs[7]).toBe("HIT");
    expect(hit!.doubles[2]).toBe(-1); // served from the cache: no integration
    const [admitted, throttled] = by("GET /tight");
    expect([admitted!.blobs[8], admitted!.doubles[7]]).toEqual(["admitted", 0]);
    expect([throttled!.blobs[6], throttled!.blobs[8], throttled!.blobs[10], throttled!.doubles[0], throttled!.doubles[7], throttled!.doubles[6]]).toEqual(["4xx", "throttled", "THROTTLED", 429, 1, 0]);
    const [denied, allowed] = by("GET /guarded");
    expect([denied!.blobs[9], denied!.doubles[6], denied!.doubles[8]! >= 0]).toEqual(["denied", 1, true]);
    expect(allowed!.blobs[9]).toBe("allowed");
    const [badKey, goodKey] = by("GET /keyed");
    expect([badKey!.blobs[9], badKey!.blobs[10], badKey!.doubles[6]]).toEqual(["key-refused", "INVALID_API_KEY", 1]);
    expect(goodKey!.blobs[9]).toBe("allowed");
    // No key, token or header value anywhere in a data point.
    expect(JSON.stringify(points)).not.toContain(value);
  });

  it("keeps the index within 96 bytes for the longest names", async () => {
    const api = `a${"x".repeat(61)}${uid().slice(0, 1)}`;
    const dataset = recordingDataset();
    const gw = await gatewayFor({ name: api, stages: { [`s${"y".repeat(63)}`]: {} }, routes: { "GET /a": { integration: { type: "mock" } } } }, { ANALYTICS: dataset });
    expect((await gw.fetch(`/s${"y".repeat(63)}/a`)).status).toBe(200);
    expect(dataset.points).toHaveLength(1);
    expect(new TextEncoder().encode((dataset.points[0] as Point).indexes[0]).byteLength).toBeLessThanOrEqual(96);
  });

  it("the Worker's own dataset binding (Miniflare's) takes every point without a warning", async () => {
    const api = `aem-${uid()}`;
    const gw = await gatewayFor(measured(api));
    expect(ENV.ANALYTICS).toBeDefined();
    const errors: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args.join(" "));
    try {
      expect((await gw.fetch("/prod/tight")).status).toBe(200);
    } finally {
      console.error = original;
    }
    expect(errors.filter((e) => e.includes("analytics-write-failed"))).toEqual([]);
  });

  it("makes no Durable Object write per request once Analytics Engine is the source; batches to the local store until then", async () => {
    const api = `aeb-${uid()}`;
    const readable = { ANALYTICS: recordingDataset(), ANALYTICS_API_TOKEN: "t", ANALYTICS_SQL_URL: `${backendUrl()}/ae-sql/${api}`, METRICS_FLUSH_MS: "3600000" };
    const gw = await gatewayFor(measured(api), readable);
    await (await gw.fetch("/prod/tight")).text();
    expect(gw.state.metrics.due(0)).toBe(false); // nothing batched for the Registry
    expect(readable.ANALYTICS.points).toHaveLength(1);
    const batched = await gatewayFor(measured(`${api}-b`), { ANALYTICS: recordingDataset(), METRICS_FLUSH_MS: "3600000" });
    await (await batched.fetch("/prod/tight")).text();
    expect(batched.state.metrics.due(0)).toBe(true); // written, but not readable: the local store keeps counting
  });
});

describe("metrics read back through the Analytics Engine SQL API", () => {
  /** The admin API on an environment whose metrics source is the SQL stand-in named `name`. */
  function adminOnAnalytics(name: string) {
    const appEnv: Env = { ...ENV, ANALYTICS_API_TOKEN: "sql-token-123", ANALYTICS_SQL_URL: `${backendUrl()}/ae-sql/${name}` };
    const app = createApp({ source: new RegistryConfigSource(appEnv, new EmbeddedConfigSource(EMBEDDED.id, EMBEDDED.bundle)) });
    return async (path: string) => {
      const ctx = createExecutionContext();
      const res = await app.fetch(new Request(`http://localhost/_portico${path}`, { headers: { authorization: "Bearer test-admin-token" } }), appEnv, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
  }

  it("answers /metrics from the SQL API, weighted by _sample_interval, with the source named", async () => {
    const api = `aesql-${uid()}`;
    const published = await admin("/deployments", { json: { definition: measured(api), stage: "prod" } });
    const { deployment } = (await published.json()) as { deployment: { id: string } };
    await fetch(`${backendUrl()}/ae-sql-config/${api}`, {
      method: "POST",
      body: JSON.stringify({
        counts: [{ version: deployment.id, count: "1200", c4xx: "12", c5xx: "6", degraded: 0, failClosed: 0, cacheHits: "100", cacheMisses: "300", throttled: "9", refused: "3", p50: 3.5, p95: 20, p99: 41.25 }],
        integration: [{ version: deployment.id, integrationP50: 2, integrationP95: 15, integrationP99: 30 }],
      }),
    });
    const res = await adminOnAnalytics(api)(`/apis/${api}/stages/prod/metrics?minutes=30`);
    const body = (await res.json()) as { source: string; versions: Record<string, unknown>[] };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.source).toBe("analytics-engine");
    expect(body.versions).toEqual([
      expect.objectContaining({ version: deployment.id, role: "stable", count: 1200, c4xx: 12, c5xx: 6, errorRate5xx: 0.005, cacheHits: 100, cacheMisses: 300, throttled: 9, refused: 3, p50: 3.5, p95: 20, p99: 41.25, integrationP95: 15 }),
    ]);
    const seen = (await (await fetch(`${backendUrl()}/ae-sql-seen/${api}`)).json()) as { query: string; authorization: string }[];
    expect(seen).toHaveLength(2);
    for (const { query, authorization } of seen) {
      expect(authorization).toBe("Bearer sql-token-123");
      expect(query).toContain(`FROM portico_requests WHERE blob1 = '${api}' AND blob2 = 'prod' AND timestamp > NOW() - INTERVAL '1800' SECOND`);
      expect(query).toContain("_sample_interval");
      expect(query).toContain("FORMAT JSON");
    }
  });

  it("adds WebSocket counts (never data points: hubs send them to the batched store) to the SQL API's answer", async () => {
    const api = `aews-${uid()}`;
    const published = await admin("/deployments", { json: { definition: measured(api), stage: "prod" } });
    const { deployment } = (await published.json()) as { deployment: { id: string } };
    const other = "ef".repeat(32);
    const now = Date.now();
    const slot = now - (now % 10_000);
    const hist = Array(128).fill(0);
    const ws = (version: string, wsConnects: number) => ({ stage: "prod", version, slot, count: 0, c4xx: 0, c5xx: 0, wsConnects, wsDisconnects: 1, wsMessages: 7, wsMessagesOut: 9, latency: hist, integrationLatency: hist });
    const shard = ENV.METRICS_STORE.get(ENV.METRICS_STORE.idFromName(`metrics:${api}:3`));
    expect(await shard.record({ v: 1, samples: [ws(deployment.id, 4), ws(other, 2)] })).toMatchObject({ ok: true });
    await fetch(`${backendUrl()}/ae-sql-config/${api}`, {
      method: "POST",
      body: JSON.stringify({ counts: [{ version: deployment.id, count: "50", c4xx: "0", c5xx: "0", degraded: 0, failClosed: 0, cacheHits: "0", cacheMisses: "0", throttled: "0", refused: "0", p50: 1, p95: 2, p99: 3 }], integration: [] }),
    });
    const res = await adminOnAnalytics(api)(`/apis/${api}/stages/prod/metrics?minutes=5`);
    const body = (await res.json()) as { source: string; versions: Record<string, unknown>[] };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.source).toBe("analytics-engine");
    expect(body.versions).toEqual([
      expect.objectContaining({ version: deployment.id, role: "stable", count: 50, wsConnects: 4, wsDisconnects: 1, wsMessages: 7, wsMessagesOut: 9 }),
      // Known only to the store (its connections, no request in the window): listed too.
      expect.objectContaining({ version: other, role: "other", count: 0, wsConnects: 2 }),
    ]);
  });

  it("answers the series per version and step, and 503 with the SQL API's reason when it fails", async () => {
    const api = `aeser-${uid()}`;
    const published = await admin("/deployments", { json: { definition: measured(api), stage: "prod" } });
    const { deployment } = (await published.json()) as { deployment: { id: string } };
    const t = Math.floor(Date.now() / 60_000) * 60;
    await fetch(`${backendUrl()}/ae-sql-config/${api}`, {
      method: "POST",
      body: JSON.stringify({
        counts: [
          { version: deployment.id, t: t - 60, count: 10, c4xx: 1, c5xx: 0, cacheHits: 0, cacheMisses: 0, throttled: 0, refused: 1, p50: 2, p99: 9 },
          { version: deployment.id, t, count: 20, c4xx: 0, c5xx: 2, cacheHits: 0, cacheMisses: 0, throttled: 1, refused: 0, p50: 3, p99: 12 },
        ],
        integration: [{ version: deployment.id, t, integrationP50: 1, integrationP99: 4 }],
      }),
    });
    const res = await adminOnAnalytics(api)(`/apis/${api}/stages/prod/metrics/series?minutes=10&step=60`);
    const body = (await res.json()) as { source: string; versions: { version: string; points: Record<string, unknown>[] }[] };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.versions[0]!.points).toEqual([
      { t: (t - 60) * 1000, count: 10, c4xx: 1, c5xx: 0, p50: 2, p99: 9, integrationP50: null, integrationP99: null, cacheHits: 0, cacheMisses: 0, throttled: 0, refused: 1 },
      { t: t * 1000, count: 20, c4xx: 0, c5xx: 2, p50: 3, p99: 12, integrationP50: 1, integrationP99: 4, cacheHits: 0, cacheMisses: 0, throttled: 1, refused: 0 },
    ]);
    const seen = (await (await fetch(`${backendUrl()}/ae-sql-seen/${api}`)).json()) as { query: string }[];
    expect(seen[0]!.query).toContain("toStartOfInterval(timestamp, INTERVAL '60' SECOND)");

    await fetch(`${backendUrl()}/ae-sql-config/${api}`, { method: "POST", body: JSON.stringify({ status: 422 }) });
    const failed = await adminOnAnalytics(api)(`/apis/${api}/stages/prod/metrics`);
    expect(failed.status).toBe(503);
    const message = ((await failed.json()) as { message: string }).message;
    expect(message).toMatch(/^the Analytics Engine SQL API answered 422/);
    expect(message).not.toContain("sql-token-123");
  });

  it("logs nothing of the token when the SQL API is unreachable", async () => {
    const api = `aeun-${uid()}`;
    await admin("/deployments", { json: { definition: measured(api), stage: "prod" } });
    const appEnv: Env = { ...ENV, ANALYTICS_API_TOKEN: "sql-token-456", ANALYTICS_SQL_URL: "http://127.0.0.1:9/nothing-listens" };
    const app = createApp({ source: new RegistryConfigSource(appEnv, new EmbeddedConfigSource(EMBEDDED.id, EMBEDDED.bundle)) });
    const { lines, result } = await capturingLogs(async () =>
      app.fetch(new Request(`http://localhost/_portico/apis/${api}/stages/prod/metrics`, { headers: { authorization: "Bearer test-admin-token" } }), appEnv, createExecutionContext()),
    );
    expect(result.status).toBe(503);
    expect(await result.text()).not.toContain("sql-token-456");
    expect(lines.join("\n")).not.toContain("sql-token-456");
  });
});
