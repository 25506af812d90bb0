/**
 * Versioned Durable Object RPC (issue 12, durable-objects/contract.ts): after a deploy a Worker and an object may run
 * different releases, either way round. Each pair must work or fail in a defined, safe way — never a silent wrong
 * answer, never open on authorization.
 *
 * - Old Worker → new object: calls in the previous release's shapes (contract v0, positional) on this release's
 *   objects. (The suites of the Registry, RateLimiter and UsageQuota call v0 shapes throughout; the KeyStore's v0
 *   forwarding is in test/worker/identity/key-store.test.ts.) A call in a contract an object does not know is
 *   refused, with status 501, never read as something else.
 * - New Worker → old object: this release's data plane against objects of the previous release — fixtures whose
 *   stubs lack every contract-v1 method (they throw workerd's own error for a missing method) and answer the v0 ones
 *   from the real object — and against objects that answer in a contract the Worker does not know.
 */
import { env, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { isMissingMethod } from "../../../durable-objects/contract.ts";
import { flushShadow, ShadowBuffer } from "../../../src/observability/shadow/buffer.ts";
import type { ApiDefinition } from "../../../src/config/types.ts";
import type { Env } from "../../../src/env.ts";
import { gatewayFor } from "../support/gateway.ts";
import { echoTo, uid } from "../identity/support.ts";
import { admin, appOn, definition, faultyEnv, publish, short, uniqueApi, versionOf } from "./support.ts";

const ENV = env as unknown as Env;
afterEach(() => vi.restoreAllMocks());

/** Contract-v1 method names of each class: what an object of the previous release does not have. */
const V1_METHODS = {
  REGISTRY: [
    "serving", "bundle", "domainTable", "deploy", "revert", "configureCanary", "promote", "removeCanary", "automate", "flushStageCache", "listHistory", "listDeployments", "stageMetrics", "mapDomains", "hostTargets", "listApis", "keyLayout", "legacyKeys",
    // Observability (issue 16): the dashboard's series and shadow evaluation.
    "stageSeries", "startShadow", "stopShadow", "shadowReport", "recordShadow",
  ],
  RATE_LIMITER: ["acquire", "probe"],
  USAGE_QUOTA: ["count", "standing", "amend", "dailyReport", "dailyCounts"],
} as const;

/**
 * A namespace of objects running the previous release: the real objects, reached through stubs on which every
 * contract-v1 method throws what workerd throws for a method the class lacks (obtained from the real stub by calling
 * a name it does not have), and every other method reaches the real object. `calls` records method names.
 */
function previousRelease<B extends keyof typeof V1_METHODS>(binding: B) {
  const real = ENV[binding] as unknown as DurableObjectNamespace;
  const calls: string[] = [];
  const missing = new Set<string>(V1_METHODS[binding]);
  const ns = {
    idFromName: (name: string) => real.idFromName(name),
    get: (id: DurableObjectId) => {
      const stub = real.get(id) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      return new Proxy(
        {},
        {
          get: (_t, method) =>
            typeof method !== "string" || method === "then"
              ? undefined
              : (...args: unknown[]) => {
                  calls.push(method);
                  return missing.has(method) ? stub[`${method}RemovedForThisTest`]!(...args) : stub[method]!(...args);
                },
        },
      );
    },
  };
  return { ns: ns as unknown as Env[B], calls };
}

/** A namespace whose objects answer every call in contract 2, refusing ours (an object newer than this Worker). */
function newerRelease<B extends "KEY_STORE" | "RATE_LIMITER" | "USAGE_QUOTA" | "REGISTRY">(binding: B) {
  const real = ENV[binding] as unknown as DurableObjectNamespace;
  const refusal = { v: 2, ok: false, status: 501, message: "contract 1 is not known to this object (it speaks 2)" };
  return { idFromName: (name: string) => real.idFromName(name), get: () => new Proxy({}, { get: (_t, m) => (m === "then" ? undefined : () => Promise.resolve(refusal)) }) } as unknown as Env[B];
}

describe("workerd's error for a method an object does not have", () => {
  it("is what the caller recognises as an object of an older release", async () => {
    const stub = ENV.RATE_LIMITER.get(ENV.RATE_LIMITER.idFromName(`probe-${uid()}`)) as unknown as Record<string, () => Promise<unknown>>;
    const err = await stub.noSuchMethod!().catch((e: unknown) => e);
    expect(isMissingMethod(err)).toBe(true);
    expect(isMissingMethod(new TypeError("x is not a function"))).toBe(false);
    expect(isMissingMethod(new Error("The RPC receiver does not implement \"x\""))).toBe(false); // not a TypeError
  });
});

describe("old Worker → new objects (contract v0 calls)", () => {
  it("the Registry answers the previous release's data-plane reads in their old shapes, equal to contract v1's", async () => {
    const api = uniqueApi("v0");
    const id = await publish(definition(api, "v1"));
    const registry = ENV.REGISTRY.get(ENV.REGISTRY.idFromName(`api:${api}`));
    const index = ENV.REGISTRY.get(ENV.REGISTRY.idFromName("index"));
    const v1 = (await registry.serving({ v: 1, api })) as { v: number; ok: true; value: unknown };
    expect(await registry.servingState()).toEqual(v1.value);
    expect(await registry.bundleText(id)).toBe((await ENV.BUNDLES.get(`bundle:${id}`))!);
    expect(await registry.bundleText("0".repeat(64))).toBeNull();
    expect(await index.domains()).toContainEqual({ host: `${api}.test`, basePath: "", api, stage: "prod" });
    expect(await index.domainTargets(`${api}.test`)).toEqual([{ host: `${api}.test`, basePath: "", api, stage: "prod" }]);
    // An admin call of the previous release gets its Result shape (plus a `v` it ignores).
    expect(await registry.rollback("prod")).toMatchObject({ ok: false, status: 409 });
    expect(await registry.history("prod", 1)).toEqual([expect.objectContaining({ action: "deploy", deploymentId: id })]);
  });

  it("every object refuses a call in a contract it does not know (501), and one without a contract, instead of misreading it", async () => {
    const name = `c-${uid()}`;
    const registry = ENV.REGISTRY.get(ENV.REGISTRY.idFromName(`api:${name}`)) as unknown as Record<string, (c: unknown) => Promise<unknown>>;
    const limiter = ENV.RATE_LIMITER.get(ENV.RATE_LIMITER.idFromName(name)) as unknown as Record<string, (c: unknown) => Promise<unknown>>;
    const quota = ENV.USAGE_QUOTA.get(ENV.USAGE_QUOTA.idFromName(name)) as unknown as Record<string, (c: unknown) => Promise<unknown>>;
    const keys = ENV.KEY_STORE.get(ENV.KEY_STORE.idFromName("shard:16:0")) as unknown as Record<string, (c: unknown) => Promise<unknown>>;
    const metrics = ENV.METRICS_STORE.get(ENV.METRICS_STORE.idFromName(`metrics:${name}:0`)) as unknown as Record<string, (c: unknown) => Promise<unknown>>;
    const cases: [Record<string, (c: unknown) => Promise<unknown>>, string][] = [
      ...V1_METHODS.REGISTRY.map((m) => [registry, m] as [typeof registry, string]),
      ...V1_METHODS.RATE_LIMITER.map((m) => [limiter, m] as [typeof limiter, string]),
      ...V1_METHODS.USAGE_QUOTA.map((m) => [quota, m] as [typeof quota, string]),
      ...["lookup", "create", "get", "list", "inPlan", "update", "remove"].map((m) => [keys, m] as [typeof keys, string]),
      ...["record", "totals", "steps"].map((m) => [metrics, m] as [typeof metrics, string]),
    ];
    for (const [stub, method] of cases) {
      for (const call of [{ v: 2, stage: "prod", api: name }, { stage: "prod" }, "prod"]) {
        expect(await stub[method]!(call), `${method}(${JSON.stringify(call)})`).toMatchObject({ v: 1, ok: false, status: 501 });
      }
    }
    // Nothing was written by any of them.
    expect(await (ENV.REGISTRY.get(ENV.REGISTRY.idFromName(`api:${name}`))).listDeployments({ v: 1 })).toEqual({ v: 1, ok: true, value: [] });
  });
});

describe("new Worker → old objects (the previous release's Registry, RateLimiter, UsageQuota)", () => {
  it("serves a fresh isolate from a Registry of the previous release (no snapshots yet), through its v0 reads", async () => {
    const api = uniqueApi("oldreg");
    const id = await publish(definition(api, "v1"));
    const old = previousRelease("REGISTRY");
    const { env: faulty, control } = faultyEnv();
    control.snapshots = "miss"; // a Registry of the previous release wrote none
    control.kv = "throw"; // and the bundle must come from the Registry's copy
    vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await appOn({ ...faulty, REGISTRY: old.ns })(`http://${api}.test/who`);
    expect([res.status, versionOf(res), await res.json()]).toEqual([200, short(id), { tag: "v1" }]);
    expect(old.calls).toEqual(expect.arrayContaining(["domainTable", "domains", "serving", "servingState", "bundle", "bundleText"]));
  });

  it("answers the admin API with a defined 503 (retry) when the Registry runs the previous release, never a guess", async () => {
    const api = uniqueApi("oldadm");
    await publish(definition(api, "v1"));
    const old = previousRelease("REGISTRY");
    vi.spyOn(console, "error").mockImplementation(() => {});
    const admin = appOn({ ...ENV, REGISTRY: old.ns });
    const res = await admin(`http://localhost/_portico/apis/${api}/stages`, { headers: { authorization: "Bearer test-admin-token" } });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ message: expect.stringContaining("another release") });
  });

  it("throttles exactly with a RateLimiter of the previous release (v0 lease), not degraded", async () => {
    const old = previousRelease("RATE_LIMITER");
    const path = `oldrl-${uid()}`;
    const gw = await gatewayFor(
      { name: `oldrl-${uid()}`, stages: { prod: { throttle: { rate: 0.001, burst: 3, strict: true } } }, routes: { "GET /a": { integration: echoTo(path) } } } as ApiDefinition,
      { RATE_LIMITER: old.ns },
    );
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await gw.fetch("/prod/a")).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(old.calls).toContain("acquire");
    expect(old.calls).toContain("lease");
  });

  it("counts a quota exactly with a UsageQuota of the previous release (v0 consume)", async () => {
    const old = previousRelease("USAGE_QUOTA");
    const api = `oldq-${uid()}`;
    const path = `oldq-${uid()}`;
    const created = (await (
      await SELF.fetch("http://localhost/_portico/keys", {
        method: "POST",
        headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
        body: JSON.stringify({ name: "old quota", plans: [`${api}/tiny`] }),
      })
    ).json()) as { value: string };
    const gw = await gatewayFor(
      { name: api, stages: { prod: {} }, usagePlans: { tiny: { stages: ["prod"], quota: { limit: 2, period: "DAY" } } }, routes: { "GET /a": { integration: echoTo(path), apiKeyRequired: true } } } as ApiDefinition,
      { USAGE_QUOTA: old.ns },
    );
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await gw.fetch("/prod/a", { headers: { "x-api-key": created.value } })).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect(old.calls).toEqual(expect.arrayContaining(["count", "consume"]));
  });
});

describe("new Worker → objects answering in a contract it does not know", () => {
  it("refuses an API key (403, fail closed) when the KeyStore refuses its contract", async () => {
    const api = `newks-${uid()}`;
    const path = `newks-${uid()}`;
    const created = (await (
      await SELF.fetch("http://localhost/_portico/keys", {
        method: "POST",
        headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
        body: JSON.stringify({ name: "newer", stages: [`${api}/prod`] }),
      })
    ).json()) as { value: string };
    vi.spyOn(console, "error").mockImplementation(() => {});
    const gw = await gatewayFor({ name: api, stages: { prod: {} }, routes: { "GET /a": { integration: echoTo(path), apiKeyRequired: true } } } as ApiDefinition, { KEY_STORE: newerRelease("KEY_STORE") });
    const res = await gw.fetch("/prod/a", { headers: { "x-api-key": created.value } });
    expect([res.status, await res.text()]).toEqual([403, '{"message":"Forbidden"}']);
  });

  it("answers 503 in a fresh isolate (nothing known, no snapshot) when the Registry refuses its contract", async () => {
    const api = uniqueApi("newreg");
    await publish(definition(api, "v1"));
    const { env: faulty, control } = faultyEnv();
    control.snapshots = "miss";
    vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await appOn({ ...faulty, REGISTRY: newerRelease("REGISTRY") })(`http://${api}.test/who`);
    // The domain table cannot be read either: the host is not the embedded bundle's, so it goes on as unmapped — to
    // the default API, whose pointers are unreadable too: 503, never a guess.
    expect(res.status).toBe(503);
  });

  it("applies the plan's fail mode (closed: 429) when the RateLimiter refuses its contract, as for a limiter that is down", async () => {
    const path = `newrl-${uid()}`;
    vi.spyOn(console, "error").mockImplementation(() => {});
    const api = `newrl-${uid()}`;
    const created = (await (
      await SELF.fetch("http://localhost/_portico/keys", {
        method: "POST",
        headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
        body: JSON.stringify({ name: "newer rl", plans: [`${api}/strict`] }),
      })
    ).json()) as { value: string };
    const gw = await gatewayFor(
      {
        name: api,
        stages: { prod: {} },
        usagePlans: { strict: { stages: ["prod"], throttle: { rate: 100, burst: 100 }, failMode: "closed" } },
        routes: { "GET /a": { integration: echoTo(path), apiKeyRequired: true } },
      } as ApiDefinition,
      { RATE_LIMITER: newerRelease("RATE_LIMITER") },
    );
    const res = await gw.fetch("/prod/a", { headers: { "x-api-key": created.value } });
    expect(res.status).toBe(429);
  });
});

describe("the observability methods in contract v1 (shadow evaluation, the dashboard's series)", () => {
  type Stub = Record<string, (c: unknown) => Promise<unknown>>;
  const registryOf = (api: string) => ENV.REGISTRY.get(ENV.REGISTRY.idFromName(`api:${api}`)) as unknown as Stub;
  const batch = (deploymentId: string, over: Record<string, unknown> = {}) => ({ deploymentId, evaluated: 3, differing: 1, skipped: {}, kinds: { route: 1 }, samples: [], ...over });

  it("answer in the v1 shape, and refuse malformed input whole, with the field at fault", async () => {
    const api = uniqueApi("obsv1");
    await publish(definition(api, "v1"));
    const candidate = await publish(definition(api, "v2"), { canary: 0 });
    const registry = registryOf(api);

    expect(await registry.startShadow!({ v: 1, stage: "prod", version: candidate.slice(0, 8), percent: 0 })).toMatchObject({ v: 1, ok: false, status: 400, field: "percent" });
    expect(await registry.startShadow!({ v: 1, stage: "prod", version: candidate.slice(0, 8), percent: 50 })).toMatchObject({ v: 1, ok: true, value: { stage: "prod", shadow: { deploymentId: candidate, percent: 50 } } });
    // The shadow travels with the pointers: in the v1 serving reply (and so in the API's KV snapshot).
    expect(await registry.serving!({ v: 1, api })).toMatchObject({ v: 1, ok: true, value: { stages: { prod: { shadow: { deploymentId: candidate, percent: 50 } } } } });

    // A batch with an unknown kind, a negative count or too many samples is refused whole: nothing counted.
    for (const bad of [batch(candidate, { kinds: { bogus: 1 } }), batch(candidate, { evaluated: -1 }), batch(candidate, { differing: 9 }), batch(candidate, { samples: Array(65).fill({ differences: [] }) }), null])
      expect(await registry.recordShadow!({ v: 1, stage: "prod", batch: bad })).toMatchObject({ v: 1, ok: false, status: 400, field: "batch" });
    expect(await registry.shadowReport!({ v: 1, stage: "prod" })).toMatchObject({ v: 1, ok: true, value: { evaluated: 0, differing: 0 } });
    expect(await registry.recordShadow!({ v: 1, stage: "prod", batch: batch(candidate) })).toEqual({ v: 1, ok: true, value: true });
    // About another candidate than the report's: dropped, and said so.
    expect(await registry.recordShadow!({ v: 1, stage: "prod", batch: batch("ab".repeat(32)) })).toEqual({ v: 1, ok: true, value: false });
    expect(await registry.shadowReport!({ v: 1, stage: "prod" })).toMatchObject({ v: 1, ok: true, value: { deploymentId: candidate, evaluated: 3, differing: 1, clean: false, kinds: [{ kind: "route", count: 1 }] } });

    // The gate: a value that is not a boolean is refused (400), never read as "no gate"; an unclean report is 409.
    expect(await registry.configureCanary!({ v: 1, stage: "prod", canary: { percent: 10 }, requireCleanShadow: "yes" })).toMatchObject({ ok: false, status: 400, field: "requireCleanShadow" });
    expect(await registry.configureCanary!({ v: 1, stage: "prod", canary: { percent: 10 }, requireCleanShadow: true, minShadowRequests: 0 })).toMatchObject({ ok: false, status: 400, field: "minShadowRequests" });
    expect(await registry.promote!({ v: 1, stage: "prod", requireCleanShadow: true })).toMatchObject({ v: 1, ok: false, status: 409, field: "requireCleanShadow" });
    expect(await registry.automate!({ v: 1, stage: "prod", config: { step: 10, intervalSeconds: 60, maxErrorRateIncrease: 1, maxP95Ratio: 1.2, minRequests: 1 }, requireCleanShadow: true })).toMatchObject({ ok: false, status: 409 });
    expect(((await registry.serving!({ v: 1, api })) as { value: { stages: { prod: { canary: { percent: number; auto: unknown } } } } }).value.stages.prod.canary).toMatchObject({ percent: 0, auto: null });

    expect(await registry.stopShadow!({ v: 1, stage: "prod" })).toMatchObject({ v: 1, ok: true, value: { stage: "prod" } });
    expect(await registry.stopShadow!({ v: 1, stage: "prod" })).toMatchObject({ v: 1, ok: false, status: 409 });

    expect(await registry.stageSeries!({ v: 1, stage: "prod", since: 0, stepMs: 15_000 })).toMatchObject({ v: 1, ok: false, status: 400, field: "stepMs" });
    expect(await registry.stageSeries!({ v: 1, stage: "prod", since: 0, stepMs: 60_000 })).toEqual({ v: 1, ok: true, value: [] });
  });

  it("a shadow flush to a Registry of the previous release (no recordShadow) is logged and dropped, never sent in another shape", async () => {
    const api = uniqueApi("oldsh");
    const old = previousRelease("REGISTRY");
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const buffer = new ShadowBuffer();
    buffer.add(api, "prod", "cd".repeat(32), { differences: [], skipped: [] });
    await flushShadow({ ...ENV, REGISTRY: old.ns }, buffer);
    expect(old.calls).toEqual(["recordShadow"]);
    expect(errors.mock.calls.map((c) => JSON.parse(String(c[0])) as Record<string, unknown>)).toContainEqual(expect.objectContaining({ event: "shadow-flush-failed", api, evaluated: 1 }));
    // The batch is gone: a second flush sends nothing.
    await flushShadow({ ...ENV, REGISTRY: old.ns }, buffer);
    expect(old.calls).toEqual(["recordShadow"]);
  });

  it("a shadow flush to a Registry answering another contract is a failure too, and the admin routes answer 503", async () => {
    const api = uniqueApi("newsh");
    await publish(definition(api, "v1"));
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const buffer = new ShadowBuffer();
    buffer.add(api, "prod", "cd".repeat(32), { differences: [], skipped: [] });
    await flushShadow({ ...ENV, REGISTRY: newerRelease("REGISTRY") }, buffer);
    expect(errors.mock.calls.some((c) => String(c[0]).includes("shadow-flush-failed") && String(c[0]).includes("answered in contract 2"))).toBe(true);

    const old = previousRelease("REGISTRY");
    const oldAdmin = appOn({ ...ENV, REGISTRY: old.ns });
    const headers = { authorization: "Bearer test-admin-token", "content-type": "application/json" };
    for (const [path, init] of [
      [`/apis/${api}/stages/prod/metrics/series`, {}],
      [`/apis/${api}/stages/prod/shadow`, {}],
      [`/apis/${api}/stages/prod/canary/promote`, { method: "POST", body: JSON.stringify({ requireCleanShadow: true }) }],
    ] as const) {
      const res = await oldAdmin(`http://localhost/_portico${path}`, { headers, ...init });
      expect([path, res.status]).toEqual([path, 503]);
    }
    // Through this release's Registry the same routes answer.
    expect((await admin(`/apis/${api}/stages/prod/metrics/series`)).status).toBe(200);
  });
});
