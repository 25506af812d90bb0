/**
 * Shadow evaluation of a candidate version, through the admin API and the data plane on the real Registry: the
 * candidate's decisions are evaluated beside the live version's on sampled requests, after the response, with no
 * second backend call, no second call to a custom authorizer and no bucket charged twice; differences are reported
 * by kind with redacted samples; `--require-clean-shadow` holds a canary back until the report is clean.
 */
import { describe, expect, it } from "vitest";
import { admin, adminVia, appOn, ENV, publish, sleep, uniqueApi } from "../deploy/support.ts";
import { backendUrl } from "../support/gateway.ts";

const hits = async (path: string) => ((await (await fetch(`${backendUrl()}/__hits?path=${encodeURIComponent(path)}`)).json()) as { count: number }).count;

function version(api: string, tag: "live" | "candidate") {
  const candidate = tag === "candidate";
  return {
    name: api,
    domains: [{ host: `${api}.test`, stage: "prod" }],
    stages: { prod: { variables: { tag }, cache: { ttl: 30 } } },
    authorizers: { gate: { type: "custom", mode: "request", identitySource: "$request.header.x-token", url: `${backendUrl()}/authorizer/${api}`, resultTtlSeconds: 300 } },
    routes: {
      "GET /items/{id}": {
        throttle: candidate ? { rate: 0.001, burst: 2 } : { rate: 0.001, burst: 3 },
        ...(candidate ? { validate: { query: ["q"] }, cache: { ttl: 10 } } : {}),
        integration: { type: "http_proxy", uri: `${backendUrl()}/echo/${api}/${tag}/items/{id}` },
      },
      "GET /guarded": { authorizer: "gate", integration: { type: "http_proxy", uri: `${backendUrl()}/echo/${api}/guarded` } },
      // The candidate guards /open with the custom authorizer: never asked on the candidate's behalf.
      "GET /open": { ...(candidate ? { authorizer: "gate" } : {}), integration: { type: "mock", body: { ok: true } } },
      ...(candidate ? { "GET /new": { integration: { type: "mock", body: { new: true } } } } : {}),
      "GET /same": { integration: { type: "mock", body: { same: true } } },
    },
  };
}

/** The report, read through the admin API of the app that served the requests (it sends its own unsent results first). */
async function report(api: string, via: ReturnType<typeof appOn>): Promise<Record<string, any>> {
  const res = await adminVia(via, `/apis/${api}/stages/prod/shadow`);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, any>;
}

describe("shadow evaluation", () => {
  it("evaluates the candidate beside the live version without a second backend, authorizer or bucket charge, and reports by kind", async () => {
    const api = uniqueApi("sh");
    const live = await publish(version(api, "live"));
    const candidate = await publish(version(api, "candidate"), { canary: 0 });
    const started = await admin(`/apis/${api}/stages/prod/shadow`, { json: { deploymentId: candidate.slice(0, 8), percent: 100 } });
    expect(started.status).toBe(201);
    expect(((await started.json()) as { shadow: unknown }).shadow).toMatchObject({ deploymentId: candidate, percent: 100 });

    const send = appOn({ ...ENV, METRICS_FLUSH_MS: "3600000" });
    const get = (path: string, headers: Record<string, string> = {}) => send(`http://${api}.test${path}`, { headers }, true);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await get(`/items/${i}?secretq=private-value`, { "x-token": "allow" })).status);
    // The live bucket (burst 3) admitted three: the candidate's evaluation took no token of its own.
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect((await get("/guarded", { "x-token": "allow:t1" })).status).toBe(200);
    expect((await get("/open", { "x-token": "allow:never-asked" })).status).toBe(200);
    expect((await get("/new")).status).toBe(403);
    expect((await get("/same")).status).toBe(200);

    // One call each: the live version's. The candidate's backend and its new authorizer were never called.
    expect(await hits(`/echo/${api}/candidate/items/0`)).toBe(0);
    expect(await hits(`/echo/${api}/live/items/0`)).toBe(1);
    expect(await hits(`/authorizer/${api}`)).toBe(1);

    const r = await report(api, send);
    // /open: the candidate's new authorizer was never asked, so that request's outcome is unknown, not compared.
    expect(r).toMatchObject({ stage: "prod", deploymentId: candidate, evaluated: 9, compared: 8, unknown: 1, notEvaluated: 0, clean: false, minCompared: 20 });
    expect((r.byKind as any[]).find((k) => k.kind === "authorization")).toMatchObject({ unknown: 1 });
    // Validation: compared on /items (5, all differing), /guarded and /same; not reached on /open (unknown).
    expect((r.byKind as any[]).find((k) => k.kind === "validation")).toEqual({ kind: "validation", compared: 7, differing: 5, unknown: 1 });
    const kinds = Object.fromEntries((r.kinds as { kind: string; count: number }[]).map((k) => [k.kind, k.count]));
    // /items: the candidate validates a query the requests lack (so its later stages never run); /new is a new route.
    expect(kinds).toEqual({ route: 1, validation: 5, outcome: 6 });
    expect(r.differing).toBe(6);
    expect(r.skipped).toMatchObject({ "custom authorizer: no cached decision (never called twice)": 1 });
    const validation = (r.kinds as any[]).find((k) => k.kind === "validation").samples[0];
    expect(validation).toMatchObject({ method: "GET", path: expect.stringMatching(/^\/items\/\d$/), queryNames: ["secretq"] });
    expect(validation.differences).toContainEqual({ kind: "validation", live: "none", candidate: "refused: BAD_REQUEST_PARAMETERS: Missing required request parameters: [q]" });
    const route = (r.kinds as any[]).find((k) => k.kind === "route").samples[0];
    expect(route.differences).toContainEqual({ kind: "route", live: "none", candidate: "GET /new" });
    // Samples keep no query value, header value or token.
    const text = JSON.stringify(r);
    for (const secret of ["private-value", "never-asked", "allow:t1"]) expect(text).not.toContain(secret);
    expect(live).not.toBe(candidate);
  });

  it("compares throttle limits, cache keys and integration targets where both versions reach them", async () => {
    const api = uniqueApi("sht");
    await publish(version(api, "live"));
    const candidate = await publish(version(api, "candidate"), { canary: 0 });
    await admin(`/apis/${api}/stages/prod/shadow`, { json: { deploymentId: candidate, percent: 100 } });
    const send = appOn({ ...ENV, METRICS_FLUSH_MS: "3600000" });
    expect((await send(`http://${api}.test/items/1?q=present`, {}, true)).status).toBe(200);
    const r = await report(api, send);
    const sample = (kind: string) => (r.kinds as any[]).find((k) => k.kind === kind)?.samples[0]?.differences.find((d: any) => d.kind === kind);
    expect(sample("integration")).toEqual({ kind: "integration", live: `http_proxy ${backendUrl()}/echo/${api}/live/items/1`, candidate: `http_proxy ${backendUrl()}/echo/${api}/candidate/items/1` });
    expect(sample("throttle")).toEqual({
      kind: "throttle",
      live: `route:${api}:prod:GET /items/{id} 0.001/s burst 3: admitted`,
      candidate: `route:${api}:prod:GET /items/{id} 0.001/s burst 2: admitted`,
    });
    // The same key (the same request, the same caller), kept for a shorter time.
    const cache = sample("cache");
    expect(cache.live).toMatch(/^key [0-9a-f]{16} ttl 30$/);
    expect(cache.candidate).toBe(cache.live.replace("ttl 30", "ttl 10"));
  });

  it("--require-clean-shadow refuses a canary without a clean report, and lets a clean one through", async () => {
    const api = uniqueApi("shc");
    await publish(version(api, "live"));
    const candidate = await publish(version(api, "candidate"), { canary: 0 });
    // No report yet.
    const early = await admin(`/apis/${api}/stages/prod/canary`, { method: "PUT", json: { percent: 10, requireCleanShadow: true } });
    expect(early.status).toBe(409);
    expect(((await early.json()) as { message: string }).message).toMatch(/^no shadow report for [0-9a-f]{12} on prod: run portico shadow start/);

    await admin(`/apis/${api}/stages/prod/shadow`, { json: { deploymentId: candidate, percent: 100 } });
    const send = appOn({ ...ENV, METRICS_FLUSH_MS: "3600000" });
    expect((await send(`http://${api}.test/same`, {}, true)).status).toBe(200);
    // No difference, but one compared request is no evidence: not clean below 20, whatever the gate asks.
    expect(await report(api, send)).toMatchObject({ evaluated: 1, compared: 1, differing: 0, clean: false });
    const tooFew = await adminVia(send, `/apis/${api}/stages/prod/canary`, { method: "PUT", json: { percent: 10, requireCleanShadow: true, minShadowRequests: 1 } });
    expect(tooFew.status).toBe(409);
    expect(((await tooFew.json()) as { message: string }).message).toMatch(/has 1 compared requests \(1 sampled, 0 not evaluated\); 20 needed$/);
    for (let i = 0; i < 19; i++) await send(`http://${api}.test/same`, {}, true);
    // Clean: /same is the same in both, on 20 compared requests.
    expect(await report(api, send)).toMatchObject({ evaluated: 20, compared: 20, unknown: 0, differing: 0, clean: true });
    const needsMore = await adminVia(send, `/apis/${api}/stages/prod/canary`, { method: "PUT", json: { percent: 10, requireCleanShadow: true, minShadowRequests: 25 } });
    expect(needsMore.status).toBe(409);
    expect((await adminVia(send, `/apis/${api}/stages/prod/canary`, { method: "PUT", json: { percent: 10, requireCleanShadow: true } })).status).toBe(200);

    // A request that differs makes it unclean: promote is refused with the counts.
    await send(`http://${api}.test/new`, {}, true);
    const promote = await adminVia(send, `/apis/${api}/stages/prod/canary/promote`, { json: { requireCleanShadow: true } });
    expect(promote.status).toBe(409);
    expect(((await promote.json()) as { message: string }).message).toMatch(/is not clean: \d+ of \d+ requests differ \(/);
  });

  it("a candidate adding apiKeyRequired to a public route is never clean: unknown with a key, a difference without", async () => {
    const api = uniqueApi("shk");
    const def = (keyed: boolean) => ({
      name: api,
      domains: [{ host: `${api}.test`, stage: "prod" }],
      stages: { prod: {} },
      routes: { "GET /data": { ...(keyed ? { apiKeyRequired: true } : {}), integration: { type: "mock", body: { ok: true } } } },
    });
    await publish(def(false));
    const candidate = await publish(def(true), { canary: 0 });
    await admin(`/apis/${api}/stages/prod/shadow`, { json: { deploymentId: candidate, percent: 100 } });
    const send = appOn({ ...ENV, METRICS_FLUSH_MS: "3600000" });
    // Callers sending a key the live route never looks up: the candidate's key check cannot be evaluated (a lookup
    // would spend the caller's budget), so none of these requests counts as compared.
    for (let i = 0; i < 25; i++) expect((await send(`http://${api}.test/data`, { headers: { "x-api-key": `some-key-${i}` } }, true)).status).toBe(200);
    let r = await report(api, send);
    expect(r).toMatchObject({ evaluated: 25, compared: 0, unknown: 25, differing: 0, clean: false });
    expect(r.skipped).toEqual({ "API key not looked up (the live route takes none)": 25 });
    expect((r.byKind as any[]).find((k) => k.kind === "apiKey")).toEqual({ kind: "apiKey", compared: 0, differing: 0, unknown: 25 });
    const promote = await adminVia(send, `/apis/${api}/stages/prod/canary/promote`, { json: { requireCleanShadow: true } });
    expect(promote.status).toBe(409);
    expect(((await promote.json()) as { message: string }).message).toMatch(/is not clean: 25 of 25 requests could not be compared.*API key not looked up/);

    // Callers sending no key: the candidate certainly refuses them — a difference, with no lookup.
    for (let i = 0; i < 3; i++) expect((await send(`http://${api}.test/data`, {}, true)).status).toBe(200);
    r = await report(api, send);
    expect(r).toMatchObject({ evaluated: 28, compared: 3, unknown: 25, differing: 3, clean: false });
    const sample = (r.kinds as any[]).find((k) => k.kind === "apiKey").samples[0];
    expect(sample.differences).toContainEqual({ kind: "apiKey", live: "not required", candidate: "refused" });
    expect(sample.differences).toContainEqual({ kind: "outcome", live: "reaches the integration", candidate: "refused 403 (INVALID_API_KEY)" });
  });

  it("an identical candidate on a sharded stage bucket (rate 5000) shows no throttle difference", async () => {
    const api = uniqueApi("shd");
    // Over 1,000 requests per second the stage bucket is split into shards, one picked at random per request.
    const def = (description: string) => ({
      name: api,
      description,
      domains: [{ host: `${api}.test`, stage: "prod" }],
      stages: { prod: { throttle: { rate: 5000, burst: 5000 } } },
      routes: { "GET /data": { throttle: { rate: 2000, burst: 4000 }, integration: { type: "mock", body: { ok: true } } } },
    });
    await publish(def("live"));
    const candidate = await publish(def("candidate: the same limits"), { canary: 0 });
    await admin(`/apis/${api}/stages/prod/shadow`, { json: { deploymentId: candidate, percent: 100 } });
    const send = appOn({ ...ENV, METRICS_FLUSH_MS: "3600000" });
    for (let i = 0; i < 20; i++) expect((await send(`http://${api}.test/data`, {}, true)).status).toBe(200);
    const r = await report(api, send);
    expect(r.kinds).toEqual([]);
    expect(r).toMatchObject({ evaluated: 20, compared: 20, differing: 0, clean: true });
    expect((r.byKind as any[]).find((k) => k.kind === "throttle")).toEqual({ kind: "throttle", compared: 20, differing: 0, unknown: 0 });
  });

  it("stops: the report stays, later requests are not evaluated, and a bad start is refused with its field", async () => {
    const api = uniqueApi("shs");
    const live = await publish(version(api, "live"));
    const candidate = await publish(version(api, "candidate"), { canary: 0 });
    expect((await admin(`/apis/${api}/stages/prod/shadow`, { json: { deploymentId: live, percent: 50 } })).status).toBe(409);
    const bad = await admin(`/apis/${api}/stages/prod/shadow`, { json: { deploymentId: candidate, percent: 0 } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: unknown[] }).errors).toEqual([{ path: "percent", message: "must be at least 0.01" }]);
    expect((await admin(`/apis/${api}/stages/prod/shadow`, { method: "DELETE" })).status).toBe(409);

    await admin(`/apis/${api}/stages/prod/shadow`, { json: { deploymentId: candidate, percent: 100 } });
    const send = appOn({ ...ENV, METRICS_FLUSH_MS: "3600000" });
    await send(`http://${api}.test/new`, {}, true);
    const stopped = await admin(`/apis/${api}/stages/prod/shadow`, { method: "DELETE" });
    expect(stopped.status).toBe(200);
    await sleep(300); // past the Registry memo bound (200 ms in tests)
    await send(`http://${api}.test/new`, {}, true);
    const r = await report(api, send);
    expect(r).toMatchObject({ shadow: null, deploymentId: candidate, evaluated: 1, stoppedAt: expect.any(Number) });
    const history = (await (await admin(`/apis/${api}/history?stage=prod`)).json()) as { history: { action: string }[] };
    expect(history.history.slice(0, 2).map((h) => h.action)).toEqual(["shadow-stop", "shadow-start"]);
  });
});
