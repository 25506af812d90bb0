/**
 * The cache when things go wrong, and across versions: a KV that hangs or fails is a miss within a bounded wait,
 * never an error; an entry that does not decode is a miss and is overwritten; KV writes per key are coalesced to
 * one a second; a canary shares the stable version's entries only with useStageCache; per-version metrics count
 * hits and misses.
 */
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import type { Env } from "../../../src/env.ts";
import { KV_WAIT_MS } from "../../../src/cache/store.ts";
import { adminOk, appOn, ENV as DEPLOY_ENV, FORCE_SECRET, publish, short, TOKEN, uniqueApi, until, versionOf } from "../deploy/support.ts";
import { backendUrl } from "../support/gateway.ts";
import { cacheGateway, calls, echoPath, ENV, faultyKv, impatientGateway, kvKeys, kvText, LOCATION_ORIGIN, NO_ACCOUNT_BUCKET, read, sleep, uid, xCache } from "./support.ts";

function api(uri: string, cache: Record<string, unknown> = {}): ApiDefinition {
  return { name: `cf-${uid()}`, stages: { prod: { cache: { ttl: 60, ...cache } } }, routes: { "GET /thing": { integration: { type: "http_proxy", uri } } } };
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
}

describe("a slow or failing KV is a miss, never an error", () => {
  it("get hangs: the request reaches the backend after the bounded wait; the location tier then answers", async () => {
    const { kv, control } = faultyKv();
    control.get = "hang";
    const { path, uri } = echoPath("kv");
    const gw = await cacheGateway(api(uri), { CACHE: kv });
    const { value: first, ms } = await timed(() => calls(path, 1, () => read(gw.fetch("/prod/thing"))));
    expect([first.res.status, xCache(first.res)]).toEqual([200, "MISS"]);
    expect(control.gets).toBe(1);
    expect(ms).toBeGreaterThanOrEqual(KV_WAIT_MS - 5); // it did wait on the hung KV …
    expect(ms).toBeLessThan(KV_WAIT_MS + 1500); // … and no longer than the bound
    const second = await calls(path, 0, () => read(gw.fetch("/prod/thing")));
    expect([xCache(second.res), second.text]).toEqual(["HIT", first.text]);
    expect(control.gets).toBe(1); // answered by the location tier, in front of KV
  });

  it("get rejects: a miss at once", async () => {
    const { kv, control } = faultyKv();
    control.get = "reject";
    const { path, uri } = echoPath("kv");
    const gw = await cacheGateway(api(uri), { CACHE: kv });
    const { value, ms } = await timed(() => calls(path, 1, () => read(gw.fetch("/prod/thing"))));
    expect([value.res.status, xCache(value.res), control.gets]).toEqual([200, "MISS", 1]);
    expect(ms).toBeLessThan(KV_WAIT_MS);
  });

  it("put rejects: the response is whole, nothing reaches KV, the location tier still serves", async () => {
    const { kv, control } = faultyKv();
    control.put = "reject";
    const { path, uri } = echoPath("kv");
    const definition = api(uri);
    const gw = await cacheGateway(definition, { CACHE: kv });
    const first = await calls(path, 1, () => read(gw.fetch("/prod/thing")));
    expect([first.res.status, xCache(first.res), control.puts]).toEqual([200, "MISS", 1]);
    expect(await kvKeys(definition.name)).toEqual([]);
    expect(xCache((await calls(path, 0, () => read(gw.fetch("/prod/thing")))).res)).toBe("HIT");
  });

  it("get and put hang: the client still gets the whole response within the bound", async () => {
    const { kv, control } = faultyKv();
    control.get = "hang";
    control.put = "hang";
    const { path, uri } = echoPath("kv");
    const fetchNow = await impatientGateway(api(uri), { CACHE: kv });
    const { value, ms } = await timed(() => calls(path, 1, () => read(fetchNow("/prod/thing"))));
    expect([value.res.status, xCache(value.res), JSON.parse(value.text).path]).toEqual([200, "MISS", path]);
    expect(ms).toBeLessThan(KV_WAIT_MS + 1500);
    // The store ran (and is stuck on KV): the write was attempted once.
    await until(async () => control.puts === 1, 1000);
  });
});

describe("an entry that does not decode", () => {
  it("is a miss and is overwritten with a good entry", { timeout: 10_000 }, async () => {
    const { path, uri } = echoPath("bad");
    const definition = api(uri);
    // The tiers behind memory: an isolate holding the good copy in memory would answer from it (memory.test.ts).
    const gw = await cacheGateway(definition, { CACHE_MEMORY_MS: "0" });
    const get = () => read(gw.fetch("/prod/thing"));
    const first = await calls(path, 1, get);
    const [key] = await kvKeys(definition.name);
    await ENV.CACHE.put(key!, "\u0001garbage that is not an entry");
    // The location tier (in front) still holds the good copy and answers first …
    expect(xCache((await calls(path, 0, get)).res)).toBe("HIT");
    // … so drop it, as a location that never saw the entry would be; past the write coalescing too.
    expect(await caches.default.delete(LOCATION_ORIGIN + key)).toBe(true);
    await sleep(1100);
    const miss = await calls(path, 1, get);
    // The backend answered the same request again (its trace ids are per request: every call gets its own span).
    const untraced = (text: string) => {
      const echo = JSON.parse(text) as { headers: Record<string, string> };
      delete echo.headers.traceparent;
      delete echo.headers["x-amzn-trace-id"];
      return echo;
    };
    expect([miss.res.status, xCache(miss.res), untraced(miss.text)]).toEqual([200, "MISS", untraced(first.text)]);
    expect(await kvText(key!)).toContain(path);
    expect(await caches.default.delete(LOCATION_ORIGIN + key)).toBe(true);
    expect(xCache((await calls(path, 0, get)).res)).toBe("HIT"); // from the rewritten KV value
  });

  it("sealed under a rotated secret is a miss, then re-sealed under the new one", { timeout: 10_000 }, async () => {
    const { path, uri } = echoPath("rot");
    const definition = api(uri, { encryptionSecret: "CACHE_SEAL" });
    const before = await cacheGateway(definition, { CACHE_SEAL: "the-old-secret-value" });
    const after = await cacheGateway(definition, { CACHE_SEAL: "the-new-secret-value" });
    expect(after.id).toBe(before.id); // the same version: the same namespace and keys
    await calls(path, 1, () => read(before.fetch("/prod/thing")));
    expect(xCache((await calls(path, 0, () => read(before.fetch("/prod/thing")))).res)).toBe("HIT");
    await sleep(1100);
    const rotated = await calls(path, 1, () => read(after.fetch("/prod/thing")));
    expect([rotated.res.status, xCache(rotated.res)]).toEqual([200, "MISS"]);
    expect(xCache((await calls(path, 0, () => read(after.fetch("/prod/thing")))).res)).toBe("HIT");
    expect(await kvKeys(definition.name)).toHaveLength(1);
  });
});

describe("write coalescing", () => {
  it("writes a key to KV at most once a second, however many misses", { timeout: 10_000 }, async () => {
    const { kv, control } = faultyKv();
    const { path, uri } = echoPath("co");
    const gw = await cacheGateway(api(uri, { requireAuthorization: false }), { CACHE: kv });
    const burst = await calls(path, 20, () =>
      Promise.all(Array.from({ length: 20 }, () => read(gw.fetch("/prod/thing", { headers: { "cache-control": "max-age=0" } })))),
    );
    expect(burst.every((r) => r.res.status === 200 && xCache(r.res) === "MISS")).toBe(true);
    // The refreshes inside the first second are not lost: once it is over, the newest of them is written, once.
    await sleep(1200);
    expect(control.puts).toBe(2);
    await sleep(1200);
    expect(control.puts).toBe(2);
    // A second after the last write, a refresh writes at once.
    await calls(path, 1, () => read(gw.fetch("/prod/thing", { headers: { "cache-control": "max-age=0" } })));
    await sleep(100);
    expect(control.puts).toBe(3);
    // Never two writes of the key within a second.
    for (let i = 1; i < control.putTimes.length; i++) expect(control.putTimes[i]! - control.putTimes[i - 1]!).toBeGreaterThanOrEqual(990);
  });
});

/** A published API on its own host; requests through an app of its own that waits for background work. */
function published(api: string, path: string, tag: string) {
  return {
    name: api,
    domains: [{ host: `${api}.test`, stage: "prod" }],
    stages: { prod: { variables: { backend: backendUrl() }, cache: { ttl: 300 } } },
    routes: {
      "GET /thing": { integration: { type: "http_proxy", uri: `\${stageVariables.backend}${path}` } },
      "GET /fresh": { integration: { type: "http_proxy", uri: `\${stageVariables.backend}${path}-fresh` }, cache: { ttl: 0 } },
      [`GET /only-${tag}`]: { integration: { type: "mock", body: { tag } } },
    },
  };
}
const app = appOn({ ...DEPLOY_ENV, ...NO_ACCOUNT_BUCKET, METRICS_FLUSH_MS: "3600000" } as Env);
const FORCE = (version: string) => ({ "x-portico-force-version": version, "x-portico-force-secret": FORCE_SECRET });
const at = (api: string, path: string, headers: Record<string, string> = {}) => read(app(`http://${api}.test${path}`, { headers }, true));

describe("canaries", () => {
  it("share the stable version's entries with useStageCache true, and keep their own with false", { timeout: 20_000 }, async () => {
    const api = uniqueApi("cc");
    const { path } = echoPath("canary");
    const v1 = await publish(published(api, path, "v1"));
    const v2 = await publish(published(api, path, "v2"), { canary: 0 });
    await adminOk(`/apis/${api}/stages/prod/canary`, { method: "PUT", json: { percent: 0, useStageCache: true } });
    await until(async () => versionOf((await at(api, "/thing", FORCE("canary"))).res) === short(v2), 2000);
    await until(async () => xCache((await at(api, "/thing", FORCE("stable"))).res) === "HIT", 2000);

    const shared = await calls(path, 0, () => at(api, "/thing", FORCE("canary")));
    expect([versionOf(shared.res), xCache(shared.res)]).toEqual([short(v2), "HIT"]);

    await adminOk(`/apis/${api}/stages/prod/canary`, { method: "PUT", json: { useStageCache: false } });
    // Within the memo bound the canary stops seeing the stable entry: its own namespace, a miss.
    await until(async () => xCache((await at(api, "/thing", FORCE("canary"))).res) === "MISS", 2000);
    const own = await calls(path, 0, () => at(api, "/thing", FORCE("canary")));
    expect([versionOf(own.res), xCache(own.res)]).toEqual([short(v2), "HIT"]);
    const stable = await calls(path, 0, () => at(api, "/thing", FORCE("stable")));
    expect([versionOf(stable.res), xCache(stable.res)]).toEqual([short(v1), "HIT"]);
    expect(await kvKeys(api)).toHaveLength(2);
  });
});

describe("per-version metrics", () => {
  it("count cache hits and misses (a bypass is neither)", { timeout: 15_000 }, async () => {
    const api = uniqueApi("cm");
    const { path } = echoPath("metrics");
    const v1 = await publish(published(api, path, "v1"));
    await until(async () => versionOf((await at(api, "/only-v1")).res) === short(v1), 2000);
    const counts = async () => {
      // Through the serving app's own admin route: it flushes that app's unsent metrics first.
      const res = await app(`http://localhost/_portico/apis/${api}/stages/prod/metrics?minutes=5`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { versions: { version: string; cacheHits?: number; cacheMisses?: number }[] };
      const v = body.versions.find((x) => x.version === v1);
      return { hits: v?.cacheHits ?? 0, misses: v?.cacheMisses ?? 0 };
    };
    const before = await counts();
    expect(xCache((await calls(path, 1, () => at(api, "/thing"))).res)).toBe("MISS");
    for (let i = 0; i < 4; i++) expect(xCache((await calls(path, 0, () => at(api, "/thing"))).res)).toBe("HIT");
    for (let i = 0; i < 3; i++) expect(xCache((await at(api, "/fresh")).res)).toBe("BYPASS");
    expect(await counts()).toEqual({ hits: before.hits + 4, misses: before.misses + 1 });
  });
});
