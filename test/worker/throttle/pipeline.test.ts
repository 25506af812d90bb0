/**
 * Throttling and quotas through the whole pipeline (gatewayFor), against the real local backend: every refusal is
 * Amazon's 429 and is proven not to reach the backend. Limiter and quota objects are the real ones, or wrapped
 * (counting, throwing, hanging) by passing another RATE_LIMITER / USAGE_QUOTA in the gateway's env.
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ApiDefinition, ThrottleDefinition, UsagePlanDefinition } from "../../../src/config/types.ts";
import type { Env } from "../../../src/env.ts";
import { leaseSize } from "../../../src/throttle/bucket.ts";
import { gatewayFor, type TestGateway } from "../support/gateway.ts";
import { echoTo, expectRefused, expectServed, hits, uid } from "../identity/support.ts";

const ENV = env as unknown as Env;
const TOO_MANY = { status: 429, body: '{"message":"Too Many Requests"}', errorType: "TooManyRequestsException" };
const LIMIT_EXCEEDED = { status: 429, body: '{"message":"Limit Exceeded"}', errorType: "LimitExceededException" };
const TINY = 0.001; // the slowest rate the schema allows: no refill during a test

type Fault = "ok" | "throw" | "hang";

/** A namespace in front of the real one: records the object name of every call, and can make calls throw or hang. */
function wrapped<N extends "RATE_LIMITER" | "USAGE_QUOTA">(binding: N) {
  const control = { fault: "ok" as Fault, names: [] as string[] };
  const real = ENV[binding] as unknown as DurableObjectNamespace;
  const byId = new Map<string, string>();
  const ns = {
    idFromName: (name: string) => {
      const id = real.idFromName(name);
      byId.set(id.toString(), name);
      return id;
    },
    get: (id: DurableObjectId) =>
      new Proxy(
        {},
        {
          get: (_t, method) =>
            typeof method !== "string" || method === "then"
              ? undefined
              : (...args: unknown[]) => {
                  control.names.push(byId.get(id.toString()) ?? "?");
                  if (control.fault === "throw") return Promise.reject(new Error(`injected: ${binding} unreachable`));
                  if (control.fault === "hang") return new Promise(() => {});
                  return (real.get(id) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!(...args);
                },
        },
      ),
  };
  return { env: { [binding]: ns } as unknown as Partial<Env>, control };
}

interface Setup {
  api: string;
  gw: TestGateway;
  backend: string;
  get(path: string, headers?: HeadersInit): () => Promise<Response>;
}

/** An API with `GET /a` and `GET /b` to the backend's echo (keys required when `plans` are given). */
async function setup(opts: { stage?: ThrottleDefinition; routes?: Record<string, ThrottleDefinition>; plans?: Record<string, Omit<UsagePlanDefinition, "stages">>; settings?: ApiDefinition["settings"]; env?: Partial<Env> } = {}): Promise<Setup> {
  const api = `thr-${uid()}`;
  const name = `${api}-backend`;
  const keyed = !!opts.plans;
  const route = (path: string) => ({ integration: echoTo(name), apiKeyRequired: keyed, ...(opts.routes?.[path] ? { throttle: opts.routes[path] } : {}) });
  const gw = await gatewayFor(
    {
      name: api,
      ...(opts.settings ? { settings: opts.settings } : {}),
      stages: { prod: { ...(opts.stage ? { throttle: opts.stage } : {}) } },
      routes: { "GET /a": route("GET /a"), "GET /b": route("GET /b") },
      ...(opts.plans ? { usagePlans: Object.fromEntries(Object.entries(opts.plans).map(([n, p]) => [n, { stages: ["prod"], ...p }])) } : {}),
    },
    opts.env,
  );
  const get = (path: string, headers: HeadersInit = {}) => () => gw.fetch(`/prod${path}`, { headers });
  return { api, gw, backend: `/echo/${name}`, get };
}

async function createKey(plans: string[]): Promise<{ id: string; value: string }> {
  const res = await SELF.fetch("http://localhost/_portico/keys", {
    method: "POST",
    headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
    body: JSON.stringify({ name: `throttle ${uid()}`, plans }),
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { key: { id: string }; value: string };
  return { id: body.key.id, value: body.value };
}

const statuses = async (responses: Promise<Response>[]) =>
  Promise.all(responses.map(async (p) => {
    const r = await p;
    await r.body?.cancel();
    return r.status;
  }));

describe("stage throttle", () => {
  it("answers Amazon's 429 with Retry-After and RateLimit headers once the burst is spent", async () => {
    const t = await setup({ stage: { rate: TINY, burst: 2 } });
    const first = await t.gw.fetch("/prod/a");
    await first.text();
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit-policy")).toBe('"stage";q=2;w=2000');
    expect(first.headers.get("ratelimit")).toBe('"stage";r=1;t=1000');
    await expectServed(t.get("/a"), t.backend);
    const refused = await expectRefused(t.get("/b"), t.backend, TOO_MANY);
    const retry = Number(refused.headers.get("retry-after"));
    expect(retry).toBeGreaterThan(990); // one token at 0.001/s
    expect(retry).toBeLessThanOrEqual(1000);
    expect(refused.headers.get("ratelimit")).toBe(`"stage";r=0;t=${retry}`);
    expect(refused.headers.get("ratelimit-policy")).toBe('"stage";q=2;w=2000');
  });

  it("writes legacy X-RateLimit-* headers, or none when turned off (Retry-After stays)", async () => {
    const legacy = await setup({ stage: { rate: TINY, burst: 3 }, settings: { rateLimitHeaders: "legacy" } });
    const res = await legacy.gw.fetch("/prod/a");
    await res.text();
    expect([res.headers.get("x-ratelimit-limit"), res.headers.get("x-ratelimit-remaining"), res.headers.get("x-ratelimit-reset")]).toEqual(["3", "2", "1000"]);
    expect(res.headers.get("ratelimit")).toBeNull();

    const off = await setup({ stage: { rate: TINY, burst: 1 }, settings: { rateLimitHeaders: false } });
    const ok = await off.gw.fetch("/prod/a");
    await ok.text();
    expect(ok.status).toBe(200);
    const refused = await expectRefused(off.get("/a"), off.backend, TOO_MANY);
    for (const r of [ok, refused]) for (const h of ["ratelimit", "ratelimit-policy", "x-ratelimit-limit", "x-ratelimit-remaining"]) expect(r.headers.get(h), h).toBeNull();
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("admits exactly burst in strict mode, however many arrive at once", async () => {
    const t = await setup({ stage: { rate: TINY, burst: 5, strict: true } });
    const before = await hits(t.backend);
    const got = await statuses(Array.from({ length: 30 }, () => t.get("/a")()));
    expect(got.filter((s) => s === 200)).toHaveLength(5);
    expect(got.filter((s) => s === 429)).toHaveLength(25);
    expect(await hits(t.backend)).toBe(before + 5);
  });

  it("only marks what a shadow limit would refuse", async () => {
    const t = await setup({ stage: { rate: TINY, burst: 2, shadow: true } });
    const marks = [];
    for (let i = 0; i < 5; i++) {
      const res = await t.gw.fetch("/prod/a");
      await res.text();
      expect(res.status).toBe(200);
      marks.push(res.headers.get("x-portico-throttle-shadow"));
    }
    expect(marks).toEqual([null, null, "stage", "stage", "stage"]);
    expect(await hits(t.backend)).toBe(5);
  });

  it("holds 200 concurrent requests to burst 50 within one lease, each refusal off the backend", async () => {
    const counted = wrapped("RATE_LIMITER");
    const t = await setup({ stage: { rate: TINY, burst: 50 }, env: counted.env });
    const got = await statuses(Array.from({ length: 200 }, () => t.get("/a")()));
    const admitted = got.filter((s) => s === 200).length;
    expect(got.filter((s) => s === 429)).toHaveLength(200 - admitted);
    // One isolate holds at most one lease: overshoot ≤ its size, and leased tokens left unspent ≤ its size.
    const { want } = leaseSize({ rate: TINY, burst: 50 }, false);
    expect(admitted).toBeLessThanOrEqual(50 + want);
    expect(admitted).toBeGreaterThanOrEqual(50 - want);
    expect(await hits(t.backend)).toBe(admitted);
    const stageCalls = counted.control.names.filter((n) => n.startsWith("stage:")).length;
    // Single flight plus "empty until T": at most one call per lease granted and one that found the bucket empty.
    expect(stageCalls).toBeLessThanOrEqual(Math.ceil(admitted / want) + 1);
    console.log(JSON.stringify({ measured: "stage burst 50, 200 concurrent", admitted, leaseSize: want, stageObjectCalls: stageCalls, accountObjectCalls: counted.control.names.filter((n) => n.startsWith("account")).length }));
  });

  it("spends leases on a fast bucket: 200 concurrent requests cost a handful of object calls", async () => {
    const counted = wrapped("RATE_LIMITER");
    const t = await setup({ stage: { rate: 1000, burst: 2000 }, env: counted.env });
    const got = await statuses(Array.from({ length: 200 }, () => t.get("/a")()));
    expect(got.every((s) => s === 200)).toBe(true);
    const { want, min } = leaseSize({ rate: 1000, burst: 2000 }, false);
    const stageCalls = counted.control.names.filter((n) => n.startsWith("stage:")).length;
    expect(stageCalls).toBeGreaterThanOrEqual(Math.ceil(200 / want));
    expect(stageCalls).toBeLessThanOrEqual(Math.ceil(200 / min));
    console.log(JSON.stringify({ measured: "stage 1000/s burst 2000, 200 concurrent", admitted: 200, leaseSize: want, stageObjectCalls: stageCalls }));
  });
});

describe("account throttle (gateway-wide)", () => {
  it("refuses past the account bucket whatever the API, and is off with ACCOUNT_RATE 0", async () => {
    // A bucket name of its own would need a product seam; the shared `account` bucket is used here with a burst
    // no other suite reaches (the rest of the run has ACCOUNT_RATE 0), and a rate too tiny to refill in the test.
    const env = { ACCOUNT_RATE: "0.0001", ACCOUNT_BURST: "3" };
    const a = await setup({ env });
    const b = await setup({ env });
    const got = await statuses([...Array.from({ length: 3 }, () => a.get("/a")()), ...Array.from({ length: 3 }, () => b.get("/a")())]);
    expect(got.filter((s) => s === 200).length).toBeLessThanOrEqual(3);
    expect(got.filter((s) => s === 429).length).toBeGreaterThanOrEqual(3);
    const off = await setup({ env: { ACCOUNT_RATE: "0", ACCOUNT_BURST: "3" } });
    expect(await statuses(Array.from({ length: 5 }, () => off.get("/a")()))).toEqual([200, 200, 200, 200, 200]);
  });
});

describe("route throttle", () => {
  it("limits its route only", async () => {
    const t = await setup({ routes: { "GET /a": { rate: TINY, burst: 1 } } });
    await expectServed(t.get("/a"), t.backend);
    const refused = await expectRefused(t.get("/a"), t.backend, TOO_MANY);
    expect(refused.headers.get("ratelimit")).toMatch(/^"route";r=0;t=\d+$/);
    for (let i = 0; i < 3; i++) await expectServed(t.get("/b"), t.backend);
  });
});

describe("usage plan throttle", () => {
  it("gives each key its own bucket: one key's exhaustion leaves the other's alone", async () => {
    const t = await setup({ plans: { basic: { throttle: { rate: TINY, burst: 2 } } } });
    const [a, b] = [await createKey([`${t.api}/basic`]), await createKey([`${t.api}/basic`])];
    for (let i = 0; i < 2; i++) await expectServed(t.get("/a", { "x-api-key": a.value }), t.backend);
    const refused = await expectRefused(t.get("/a", { "x-api-key": a.value }), t.backend, TOO_MANY);
    expect(refused.headers.get("ratelimit")).toMatch(/^"plan";r=0;t=\d+$/);
    for (let i = 0; i < 2; i++) await expectServed(t.get("/b", { "x-api-key": b.value }), t.backend);
    await expectRefused(t.get("/b", { "x-api-key": b.value }), t.backend, TOO_MANY);
  });

  it("keys the bucket by key id: header-name case changes nothing, a duplicated header is refused 403", async () => {
    const counted = wrapped("RATE_LIMITER");
    const t = await setup({ plans: { basic: { throttle: { rate: TINY, burst: 3 } } }, env: counted.env });
    const a = await createKey([`${t.api}/basic`]);
    for (const name of ["x-api-key", "X-API-KEY", "X-Api-Key"]) await expectServed(t.get("/a", { [name]: a.value }), t.backend);
    await expectRefused(t.get("/a", { "X-aPi-KeY": a.value }), t.backend, TOO_MANY);
    const forbidden = { status: 403, body: '{"message":"Forbidden"}', errorType: "ForbiddenException" };
    await expectRefused(t.get("/a", [["x-api-key", a.value], ["X-API-KEY", a.value]]), t.backend, forbidden);
    const other = await createKey([`${t.api}/basic`]);
    await expectRefused(t.get("/a", [["x-api-key", other.value], ["x-api-key", a.value]]), t.backend, forbidden);
    const planObjects = new Set(counted.control.names.filter((n) => n.startsWith("plan:")));
    expect([...planObjects]).toEqual([`plan:${t.api}:basic:${a.id}`]);
  });

  it("applies the plan's per-route throttle per key, on that route only", async () => {
    const t = await setup({ plans: { basic: { throttle: { rate: 1000, burst: 1000 }, routeThrottles: { "GET /a": { rate: TINY, burst: 1 } } } } });
    const [a, b] = [await createKey([`${t.api}/basic`]), await createKey([`${t.api}/basic`])];
    await expectServed(t.get("/a", { "x-api-key": a.value }), t.backend);
    const refused = await expectRefused(t.get("/a", { "x-api-key": a.value }), t.backend, TOO_MANY);
    expect(refused.headers.get("ratelimit")).toMatch(/^"plan-route";r=0;t=\d+$/);
    for (let i = 0; i < 3; i++) await expectServed(t.get("/b", { "x-api-key": a.value }), t.backend);
    await expectServed(t.get("/a", { "x-api-key": b.value }), t.backend);
  });
});

describe("usage plan quota", () => {
  it("refuses the 11th request of a 10-per-DAY quota with Amazon's Limit Exceeded, off the backend (rest-usage-plan-quota-429)", async () => {
    const t = await setup({ plans: { basic: { quota: { limit: 10, period: "DAY" } } } });
    const [a, b] = [await createKey([`${t.api}/basic`]), await createKey([`${t.api}/basic`])];
    for (let i = 0; i < 10; i++) await expectServed(t.get("/a", { "x-api-key": a.value }), t.backend);
    const refused = await expectRefused(t.get("/a", { "x-api-key": a.value }), t.backend, LIMIT_EXCEEDED);
    const untilMidnight = (86_400_000 - (Date.now() % 86_400_000)) / 1000;
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(Math.ceil(untilMidnight) + 1);
    await expectRefused(t.get("/b", { "x-api-key": a.value }), t.backend, LIMIT_EXCEEDED);
    await expectServed(t.get("/a", { "x-api-key": b.value }), t.backend);
  });
});

describe("fail modes when the limiter or quota object is unavailable", () => {
  for (const fault of ["throw", "hang"] as const) {
    it(`quota object that ${fault}s: open serves (uncounted), closed refuses off the backend`, async () => {
      const broken = wrapped("USAGE_QUOTA");
      broken.control.fault = fault;
      const open = await setup({ plans: { basic: { quota: { limit: 10, period: "DAY" } } }, env: broken.env });
      const closed = await setup({ plans: { basic: { quota: { limit: 10, period: "DAY" }, failMode: "closed" } }, env: broken.env });
      const ka = await createKey([`${open.api}/basic`]);
      const kb = await createKey([`${closed.api}/basic`]);
      await expectServed(open.get("/a", { "x-api-key": ka.value }), open.backend);
      await expectRefused(closed.get("/a", { "x-api-key": kb.value }), closed.backend, LIMIT_EXCEEDED);
      expect(broken.control.names).toEqual([`${open.api}/basic/${ka.id}`, `${closed.api}/basic/${kb.id}`]);
    });

    it(`rate limiter that ${fault}s: open admits through the local bucket, closed refuses off the backend`, { timeout: 20_000 }, async () => {
      const broken = wrapped("RATE_LIMITER");
      const open = await setup({ plans: { basic: { throttle: { rate: TINY, burst: 4 } } }, env: broken.env });
      const closed = await setup({ plans: { basic: { throttle: { rate: 1000, burst: 1000 }, failMode: "closed" } }, env: broken.env });
      const ka = await createKey([`${open.api}/basic`]);
      const kb = await createKey([`${closed.api}/basic`]);
      // Healthy first: the isolate learns that the plan's bucket holds 3 more.
      await expectServed(open.get("/a", { "x-api-key": ka.value }), open.backend);
      broken.control.fault = fault;
      for (let i = 0; i < 3; i++) {
        const served = await open.get("/a", { "x-api-key": ka.value })();
        expect(served.status).toBe(200);
        // Decided without the limiter: no RateLimit headers.
        expect(served.headers.get("ratelimit")).toBeNull();
        await served.text();
      }
      // The in-isolate fallback bucket starts from what the limiter last said: it still limits.
      await expectRefused(open.get("/a", { "x-api-key": ka.value }), open.backend, TOO_MANY);
      await expectRefused(closed.get("/a", { "x-api-key": kb.value }), closed.backend, TOO_MANY);
      expect(broken.control.names.some((n) => n === `plan:${closed.api}:basic:${kb.id}`)).toBe(true);
    });
  }
});
