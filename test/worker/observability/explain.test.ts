/**
 * Server-Timing and the explain record. Server-Timing goes to a request carrying the debug token, or to everyone
 * when the stage turns it on — never to an anonymous caller by default, nor to a wrong token. The explain record
 * (`x-portico-explain`, base64url JSON) says what the pipeline decided and why, holds no token, key or query string,
 * and stays within its size bound; the debug header itself never reaches a backend.
 */
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { decodeExplainHeader, MAX_EXPLAIN_HEADER } from "../../../src/observability/explain.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";
import { createKey, DEBUG_TOKEN, lastRequest, uid } from "./support.ts";

const debug = { "x-portico-debug": DEBUG_TOKEN };

function explained(api: string, serverTiming = false): ApiDefinition {
  return {
    name: api,
    stages: { prod: { throttle: { rate: 1000, burst: 2000 }, cache: { ttl: 60 }, ...(serverTiming ? { tracing: { serverTiming: true } } : {}) } },
    authorizers: { gate: { type: "custom", mode: "request", identitySource: "$request.header.x-token", url: `${backendUrl()}/authorizer/${api}`, resultTtlSeconds: 60 } },
    usagePlans: { gold: { stages: ["prod"], throttle: { rate: 50, burst: 10 }, quota: { limit: 1000, period: "DAY" } } },
    routes: {
      "GET /items/{id}": {
        authorizer: "gate",
        apiKeyRequired: true,
        throttle: { rate: 100, burst: 20 },
        validate: { query: ["q"] },
        integration: { type: "http_proxy", uri: `${backendUrl()}/echo/${api}/items/{id}` },
      },
      "POST /mapped": {
        integration: { type: "http", uri: `${backendUrl()}/echo/${api}/mapped`, requestTemplates: { "application/json": '{"wrapped": $input.json(\'$\')}' } },
      },
      "GET /open": { integration: { type: "mock", body: { ok: true } } },
    },
  };
}

const header = (res: Response) => res.headers.get("x-portico-explain");

describe("Server-Timing", () => {
  it("is sent only with the debug token, or to everyone when the stage turns it on", async () => {
    const api = `st-${uid()}`;
    const gw = await gatewayFor(explained(api), { PORTICO_DEBUG_TOKEN: DEBUG_TOKEN });
    expect((await gw.fetch("/prod/open")).headers.has("server-timing")).toBe(false);
    expect((await gw.fetch("/prod/open", { headers: { "x-portico-debug": "wrong-token" } })).headers.has("server-timing")).toBe(false);
    // The earlier requests filled the cache: this one is a hit, and no integration ran.
    const timed = (await gw.fetch("/prod/open", { headers: debug })).headers.get("server-timing");
    expect(timed).toMatch(/^resolve;dur=[\d.]+, route;dur=[\d.]+, throttle;dur=[\d.]+, cache;desc="HIT";dur=[\d.]+, total;dur=[\d.]+$/);
    // Without the secret configured, the header does nothing at all.
    const unset = await gatewayFor(explained(`${api}-u`));
    expect((await unset.fetch("/prod/open", { headers: debug })).headers.has("server-timing")).toBe(false);
    // The stage's own setting: every caller.
    const open = await gatewayFor(explained(`${api}-o`, true));
    // A mock answers through its integration responses: transform works too.
    expect((await open.fetch("/prod/open")).headers.get("server-timing")).toMatch(
      /^resolve;dur=[\d.]+, route;dur=[\d.]+, throttle;dur=[\d.]+, cache;desc="MISS";dur=[\d.]+, transform;dur=[\d.]+, integrate;desc="mock";dur=[\d.]+, total;dur=[\d.]+$/,
    );
  });

  it("names every stage that did work on a full route, with the authorizer's and backend's waits", async () => {
    const api = `stf-${uid()}`;
    const gw = await gatewayFor(explained(api), { PORTICO_DEBUG_TOKEN: DEBUG_TOKEN });
    const { value } = await createKey([], [`${api}/gold`]);
    const res = await gw.fetch("/prod/items/7?q=x", { headers: { ...debug, "x-token": "allow", "x-api-key": value } });
    expect(res.status).toBe(200);
    const names = res.headers.get("server-timing")!.split(", ").map((e) => e.split(";")[0]);
    expect(names).toEqual(["resolve", "route", "authorize", "apikey", "validate", "throttle", "cache", "integrate", "total"]);
  });
});

describe("explain", () => {
  it("returns the decision record with the debug token: version and why, route, authorizer, key and plan, buckets, cache key, target", async () => {
    const api = `ex-${uid()}`;
    const gw = await gatewayFor(explained(api), { PORTICO_DEBUG_TOKEN: DEBUG_TOKEN });
    const { key, value } = await createKey([], [`${api}/gold`]);
    const res = await gw.fetch("/prod/items/7?q=private-query-value", { headers: { ...debug, "x-token": "allow:secret-part", "x-api-key": value } });
    expect(res.status).toBe(200);
    expect(header(await gw.fetch("/prod/open"))).toBeNull();
    const raw = header(res)!;
    expect(raw.length).toBeLessThanOrEqual(MAX_EXPLAIN_HEADER);
    const record = decodeExplainHeader(raw) as Record<string, any>;
    expect(record.requestId).toBe(res.headers.get("x-amzn-requestid"));
    expect(record.stage).toEqual({ api, stage: "prod", version: expect.stringMatching(/^[0-9a-f]{64}$/), role: "stable", reason: "no canary" });
    expect(record.route).toEqual({ key: "GET /items/{id}" });
    expect(record.authorizers).toEqual([{ name: "gate", type: "custom", verdict: "allow", principal: "url-user", scopes: [], latencyMs: expect.any(Number) }]);
    expect(record.apiKey).toEqual({ required: true, keyId: key.id, plan: "gold", verdict: "accepted" });
    expect(record.validation).toEqual({ verdict: "passed" });
    expect(record.throttle.map((t: any) => [t.bucket, t.level, t.rate, t.burst, t.admitted, typeof t.remaining])).toEqual([
      [`plan:${api}:gold:${key.id}`, "plan", 50, 10, true, "number"],
      [`route:${api}:prod:GET /items/{id}`, "route", 100, 20, true, "number"],
      [`stage:${api}:prod`, "stage", 1000, 2000, true, "number"],
    ]);
    expect(record.quota).toEqual({ allowed: true, remaining: 999, degraded: false });
    expect(record.cache).toEqual({ keyHash: expect.stringMatching(/^[0-9a-f]{16}$/), status: "MISS", ttl: 60 });
    expect(record.integration).toEqual({ type: "http_proxy", target: `${backendUrl()}/echo/${api}/items/7`, status: 200, latencyMs: expect.any(Number) });
    expect(record.response).toEqual({ status: 200 });
    // Nothing secret: not the key, the authorizer token, the debug token or the query string.
    const text = JSON.stringify(record);
    for (const secret of [value, "secret-part", DEBUG_TOKEN, "private-query-value"]) expect(text).not.toContain(secret);
    // The debug header stays with the gateway.
    expect((await lastRequest(`/echo/${api}/items/7`)).headers["x-portico-debug"]).toBeUndefined();
  });

  it("explains a refusal with its reason, and a request template's output by its size", async () => {
    const api = `exr-${uid()}`;
    const gw = await gatewayFor(explained(api), { PORTICO_DEBUG_TOKEN: DEBUG_TOKEN });
    const denied = decodeExplainHeader(header(await gw.fetch("/prod/items/1?q=x", { headers: { ...debug, "x-token": "deny" } }))!) as Record<string, any>;
    expect(denied.authorizers).toEqual([{ name: "gate", type: "custom", verdict: "deny", reason: expect.stringMatching(/^ACCESS_DENIED: policy for url-user denies /), latencyMs: expect.any(Number) }]);
    expect(denied.response).toEqual({ status: 403, error: { type: "ACCESS_DENIED", message: "User is not authorized to access this resource with an explicit deny" } });
    expect(denied.throttle).toBeUndefined();

    const mapped = await gw.fetch("/prod/mapped", { method: "POST", headers: { ...debug, "content-type": "application/json" }, body: '{"a":1}' });
    const record = decodeExplainHeader(header(mapped)!) as Record<string, any>;
    expect(record.templates).toEqual({ requestBytes: '{"wrapped": {"a":1}}'.length });
    expect(record.integration.target).toBe(`${backendUrl()}/echo/${api}/mapped`);
  });

  it("names the target of every integration kind: a signed AWS call's endpoint, a binding and its action (never a key or body)", async () => {
    const api = `exb-${uid()}`;
    const gw = await gatewayFor(
      {
        name: api,
        stages: { prod: {} },
        routes: {
          "POST /enqueue": { integration: { type: "queue", queue: "ADOPTION_REQUESTS" } },
          "GET /photos/{key}": { integration: { type: "r2", bucket: "PET_PHOTOS", key: "secret-prefix/{key}" } },
          "GET /raw": { integration: { type: "service", service: "LAMBDA_ECHO", payloadFormat: "raw", path: "/echo/raw" } },
        },
      } as ApiDefinition,
      { PORTICO_DEBUG_TOKEN: DEBUG_TOKEN },
    );
    const explain = async (res: Response) => {
      await res.arrayBuffer();
      return (decodeExplainHeader(header(res)!) as Record<string, any>).integration;
    };
    expect(await explain(await gw.fetch("/prod/enqueue", { method: "POST", headers: { ...debug, "content-type": "application/json" }, body: '{"pet":"private"}' }))).toEqual({ type: "queue", target: "queue ADOPTION_REQUESTS", latencyMs: expect.any(Number) });
    const photo = await explain(await gw.fetch("/prod/photos/cat.jpg", { headers: debug }));
    expect(photo).toEqual({ type: "r2", target: "r2 PET_PHOTOS (object)", latencyMs: expect.any(Number) });
    expect(JSON.stringify(photo)).not.toContain("secret-prefix");
    expect(await explain(await gw.fetch("/prod/raw", { headers: debug }))).toMatchObject({ type: "service", target: "service LAMBDA_ECHO (/echo/raw)", status: 200 });
  });

  it("stays within its bound however many buckets apply", async () => {
    const api = `exb-${uid()}`;
    const gw = await gatewayFor(explained(api), { PORTICO_DEBUG_TOKEN: DEBUG_TOKEN });
    const res = await gw.fetch("/prod/open", { headers: debug });
    expect(header(res)!.length).toBeLessThanOrEqual(MAX_EXPLAIN_HEADER);
    expect(decodeExplainHeader(header(res)!).integration).toEqual({ type: "mock", target: "mock (answered by the gateway)" });
  });
});
