/**
 * The memory tier: an isolate answers a hot key from its own memory for at most CACHE_MEMORY_MS (default 30 s),
 * never past the entry's TTL, never across a secret rotation or a stage flush, and a permitted refresh replaces
 * what it holds at once. Least recently used out first, within its byte bound. The tiers behind it are made to
 * disappear (location copy deleted, KV counted or refusing) to prove where a hit came from. HEAD, identity and the
 * rest run with the tier on, as deployed (behaviour.test.ts, identity.test.ts). The tier's own rules with small
 * limits: src/cache/memory.test.ts.
 */
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { MEMORY_MAX_BYTES, MEMORY_MAX_ENTRY_BYTES, MEMORY_MS_DEFAULT, memoryMillis } from "../../../src/cache/store.ts";
import type { Env } from "../../../src/env.ts";
import { adminOk, appOn, ENV as DEPLOY_ENV, publish, uniqueApi, until } from "../deploy/support.ts";
import { backendUrl } from "../support/gateway.ts";
import { cacheGateway, calls, decorating, echoPath, faultyKv, hits, kvKeys, LOCATION_ORIGIN, NO_ACCOUNT_BUCKET, read, sleep, uid, xCache } from "./support.ts";

function api(uri: string, cache: Record<string, unknown> = {}): ApiDefinition {
  return { name: `cm-${uid()}`, stages: { prod: { cache: { ttl: 60, ...cache } } }, routes: { "GET /thing": { integration: { type: "http_proxy", uri } } } };
}

/** Deletes the location copy of every entry of `api`: a hit after this came from memory or KV. */
async function dropLocation(api: string): Promise<void> {
  for (const key of await kvKeys(api)) await caches.default.delete(LOCATION_ORIGIN + key);
}

describe("the memory tier", () => {
  it("answers a hot key without asking the location or KV, within its hold time", async () => {
    const { kv, control } = faultyKv();
    const { path, uri } = echoPath("mem");
    const definition = api(uri);
    const gw = await cacheGateway(definition, { CACHE: kv, CACHE_MEMORY_MS: "400" });
    const get = () => read(gw.fetch("/prod/thing"));
    const first = await calls(path, 1, get);
    expect(xCache(first.res)).toBe("MISS");
    await dropLocation(definition.name);
    const getsBefore = control.gets;
    for (let i = 0; i < 3; i++) {
      const hit = await calls(path, 0, get);
      expect([xCache(hit.res), hit.text]).toEqual(["HIT", first.text]); // the same body every time: never consumed
    }
    expect(control.gets).toBe(getsBefore); // KV was not asked, and the location copy is gone: memory answered
    await sleep(450);
    // Past the hold time the tiers behind answer again: KV (the location copy was dropped).
    const later = await calls(path, 0, get);
    expect([xCache(later.res), later.text]).toEqual(["HIT", first.text]);
    expect(control.gets).toBe(getsBefore + 1);
  });

  it("serves an entry read from KV whole, from memory and from the location copy made of the same bytes", async () => {
    const { kv, control } = faultyKv();
    const { path, uri } = echoPath("memkv");
    const definition = api(uri);
    const gw = await cacheGateway(definition, { CACHE: kv, CACHE_MEMORY_MS: "300" });
    const get = () => read(gw.fetch("/prod/thing"));
    const first = await calls(path, 1, get);
    await dropLocation(definition.name);
    await sleep(350); // past the hold: only KV has the entry
    const gets = control.gets;
    for (let i = 0; i < 3; i++) {
      const hit = await calls(path, 0, get); // KV, then memory
      expect([xCache(hit.res), hit.text]).toEqual(["HIT", first.text]);
    }
    expect(control.gets).toBe(gets + 1);
    await sleep(350); // past the hold again: the location copy written from KV's bytes answers
    const located = await calls(path, 0, get);
    expect([xCache(located.res), located.text]).toEqual(["HIT", first.text]);
    expect(control.gets).toBe(gets + 1);
  });

  it("never holds an entry past its TTL", { timeout: 10_000 }, async () => {
    const { path, uri } = echoPath("memttl");
    const gw = await cacheGateway(api(uri, { ttl: 1 }), { CACHE_MEMORY_MS: "60000" });
    const get = () => read(gw.fetch("/prod/thing"));
    await calls(path, 1, get);
    expect(xCache((await calls(path, 0, get)).res)).toBe("HIT");
    await sleep(1100);
    expect(xCache((await calls(path, 1, get)).res)).toBe("MISS");
  });

  it("a permitted refresh replaces the held entry at once", async () => {
    const { path, uri } = echoPath("memref");
    const gw = await cacheGateway(api(uri, { requireAuthorization: false }));
    const get = (init?: RequestInit) => read(gw.fetch("/prod/thing", init));
    const first = await calls(path, 1, () => get());
    expect(xCache((await calls(path, 0, () => get())).res)).toBe("HIT");
    const refreshed = await calls(path, 1, () => get({ headers: { "cache-control": "max-age=0" } }));
    expect(refreshed.text).not.toBe(first.text); // the echo holds the request headers: this one sent Cache-Control
    const after = await calls(path, 0, () => get());
    expect([xCache(after.res), after.text]).toEqual(["HIT", refreshed.text]);
  });

  it("does not hold an entry read under another encryption secret", { timeout: 10_000 }, async () => {
    const { path, uri } = echoPath("memrot");
    const definition = api(uri, { encryptionSecret: "CACHE_SEAL" });
    // One app (one memory tier) whose secret is rotated between requests.
    const before = await cacheGateway(definition, { CACHE_SEAL: "memory-old-secret" });
    const after = before.withEnv({ CACHE_SEAL: "memory-new-secret" });
    await calls(path, 1, () => read(before.fetch("/prod/thing")));
    expect(xCache((await calls(path, 0, () => read(before.fetch("/prod/thing")))).res)).toBe("HIT");
    await sleep(1100); // past the write coalescing, so the rotated miss is stored
    expect(xCache((await calls(path, 1, () => read(after.fetch("/prod/thing")))).res)).toBe("MISS");
    expect(xCache((await calls(path, 0, () => read(after.fetch("/prod/thing")))).res)).toBe("HIT");
  });

  it("keeps large bodies out of memory, and is off with CACHE_MEMORY_MS=0", async () => {
    const bigUri = `${backendUrl()}/bytes/${MEMORY_MAX_ENTRY_BYTES + 1024}?tag=${uid()}`;
    const { kv, control } = faultyKv();
    const bigApi = api(bigUri);
    const big = await cacheGateway(bigApi, { CACHE: kv });
    const held = big.state.cache.memoryStats.entries;
    expect(xCache((await read(big.fetch("/prod/thing"))).res)).toBe("MISS");
    await sleep(50); // the store runs after the body has streamed
    expect(big.state.cache.memoryStats.entries).toBe(held);
    expect(await kvKeys(bigApi.name)).toHaveLength(1); // stored in the tiers behind memory all the same

    const { path, uri } = echoPath("memoff");
    const definition = api(uri);
    const off = await cacheGateway(definition, { CACHE: kv, CACHE_MEMORY_MS: "0" });
    await calls(path, 1, () => read(off.fetch("/prod/thing")));
    await dropLocation(definition.name);
    const gets = control.gets;
    expect(xCache((await calls(path, 0, () => read(off.fetch("/prod/thing")))).res)).toBe("HIT");
    expect(control.gets).toBe(gets + 1); // from KV: nothing was held in memory
  });
});

describe("what the memory tier keeps", () => {
  it("a hot key through a scan of other keys past its byte bound: least recently used out first", { timeout: 60_000 }, async () => {
    const size = 200_003; // under the per-entry limit: about 83 such entries fill MEMORY_MAX_BYTES
    const backendPath = `/bytes/${size}`;
    const definition: ApiDefinition = {
      name: `cm-${uid()}`,
      stages: { prod: { cache: { ttl: 60 } } },
      routes: { "GET /blob/{n}": { integration: { type: "http_proxy", uri: `${backendUrl()}${backendPath}` } } },
    };
    const { kv, control } = faultyKv();
    const gw = await cacheGateway(definition, { CACHE: kv, CACHE_MEMORY_MS: "60000" });
    const get = async (n: string) => {
      const res = await gw.fetch(`/prod/blob/${n}`);
      expect((await res.arrayBuffer()).byteLength).toBe(size);
      return { res };
    };
    expect(xCache((await get("hot")).res)).toBe("MISS");
    // From here the hot key can only be answered from memory: its location copy is gone and KV refuses every read.
    await dropLocation(definition.name);
    control.get = "reject";
    const scan = Math.ceil(MEMORY_MAX_BYTES / size) + 10;
    const before = await hits(backendPath);
    for (let i = 0; i < scan; i++) {
      expect(xCache((await get(`cold-${i}`)).res)).toBe("MISS");
      expect(xCache((await get("hot")).res), `the hot key after ${i + 1} cold ones`).toBe("HIT");
    }
    expect(await hits(backendPath)).toBe(before + scan); // every hot request answered without the backend
    expect(gw.state.cache.memoryStats.bytes).toBeLessThanOrEqual(MEMORY_MAX_BYTES);
    // The first cold keys were pushed out by bytes (10,000 entries were never reached): with only memory left,
    // the first is a miss again and the last is still a hit.
    await dropLocation(definition.name);
    expect(xCache((await calls(backendPath, 0, () => get(`cold-${scan - 1}`))).res)).toBe("HIT");
    expect(xCache((await calls(backendPath, 1, () => get("cold-0"))).res)).toBe("MISS");
  });
});

describe("what the memory tier never answers", () => {
  it("an entry of a flushed stage, once the isolate has the new generation, however long the hold", { timeout: 15_000 }, async () => {
    const api = uniqueApi("cmf");
    const { path } = echoPath("memflush");
    await publish({
      name: api,
      domains: [{ host: `${api}.test`, stage: "prod" }],
      stages: { prod: { variables: { backend: backendUrl() }, cache: { ttl: 300 } } },
      routes: { "GET /thing": { integration: { type: "http_proxy", uri: `\${stageVariables.backend}${path}` } } },
    });
    const { kv, control } = faultyKv();
    const app = appOn({ ...DEPLOY_ENV, ...NO_ACCOUNT_BUCKET, METRICS_FLUSH_MS: "3600000", CACHE: kv, CACHE_MEMORY_MS: "60000" });
    let n = 0;
    // Each request says which it is (the echo shows its headers; the header is not in the key).
    const get = () => read(app(`http://${api}.test/thing`, { headers: { "x-request": String(++n) } }, true));
    await until(async () => (await get()).res.status === 200, 2000);
    const first = await calls(path, 0, get);
    expect(xCache(first.res)).toBe("HIT");
    // Only memory can answer from here on: no location copy, and KV refuses every read.
    await dropLocation(api);
    control.get = "reject";
    expect(await calls(path, 0, get)).toMatchObject({ text: first.text });

    await adminOk(`/apis/${api}/stages/prod/cache/flush`, { method: "POST" });
    // Until the isolate reads the new generation (REGISTRY_MEMO_MS=200 here) the old key may still hit; then a
    // miss, 60 s of hold notwithstanding, and the old entry never again.
    let refilled = "";
    await until(async () => {
      const r = await get();
      refilled = r.text;
      return xCache(r.res) === "MISS";
    }, 1500);
    for (let i = 0; i < 5; i++) {
      const r = await calls(path, 0, get);
      expect([xCache(r.res), r.text]).toEqual(["HIT", refilled]);
    }
    expect(refilled).not.toBe(first.text);
  });
});

describe("concurrent misses of one key (cache lock)", () => {
  /** A gateway whose one cached route reaches the echo backend through a binding that takes `delayMs`. */
  async function slow(delayMs: number, set: Record<string, string> = {}, env: Partial<Env> = {}, route: Record<string, unknown> = {}, fail = false) {
    const { path, uri } = echoPath("lock");
    const definition: ApiDefinition = {
      name: `cl-${uid()}`,
      stages: { prod: { cache: { ttl: 60 } } },
      routes: { "GET /thing": { integration: { type: "http_proxy", uri, service: "SLOW" }, ...route } },
    };
    const gw = await cacheGateway(definition, { SLOW: decorating(set, { delayMs, fail }), ...env });
    const burst = (n: number, init?: (i: number) => RequestInit) => Promise.all(Array.from({ length: n }, (_, i) => read(gw.fetch("/prod/thing", init?.(i)))));
    return { path, burst };
  }

  it("call the backend once: the others wait for the entry and are hits", async () => {
    const { path, burst } = await slow(150);
    const all = await calls(path, 1, () => burst(8));
    expect(all.map((r) => r.res.status)).toEqual(Array(8).fill(200));
    expect(all.map((r) => xCache(r.res)).sort()).toEqual(["HIT", "HIT", "HIT", "HIT", "HIT", "HIT", "HIT", "MISS"]);
    expect(new Set(all.map((r) => r.text)).size).toBe(1);
  });

  it("each call the backend when the response may not be stored, without waiting for the wait's end", async () => {
    const { path, burst } = await slow(100, { "cache-control": "private" });
    const started = Date.now();
    const all = await calls(path, 5, () => burst(5));
    expect(all.map((r) => xCache(r.res))).toEqual(Array(5).fill("MISS"));
    expect(Date.now() - started).toBeLessThan(2000); // released at once, not after FILL_WAIT_MS (5 s)
  });

  it("each call the backend when the first call fails: its claim is released at once", async () => {
    const { path, burst } = await slow(100, {}, {}, {}, true);
    const started = Date.now();
    const all = await calls(path, 4, () => burst(4));
    expect(all.map((r) => r.res.status)).toEqual([504, 504, 504, 504]);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("lock each key on its own: requests differing in a cache-key part never wait for each other's entry", async () => {
    const { path, burst } = await slow(100, {}, {}, { cache: { keys: ["header.X-User"] } });
    const all = await calls(path, 2, () => burst(6, (i) => ({ headers: { "x-user": i % 2 ? "a" : "b" } })));
    const byUser = (u: string) => all.filter((r) => (JSON.parse(r.text) as { headers: Record<string, string> }).headers["x-user"] === u);
    expect([byUser("a").length, byUser("b").length]).toEqual([3, 3]);
  });

  it("are not merged with the memory tier off", async () => {
    const { path, burst } = await slow(100, {}, { CACHE_MEMORY_MS: "0" });
    await calls(path, 4, () => burst(4));
  });
});

describe("CACHE_MEMORY_MS", () => {
  const ms = (value: string | undefined) => memoryMillis({ CACHE_MEMORY_MS: value } as Env);
  it("reads milliseconds, 0 for off, at most 60 s; anything else is the default", () => {
    expect([ms(undefined), ms(""), ms("0"), ms("250"), ms("999999"), ms("-1"), ms("soon"), ms("NaN")]).toEqual([
      MEMORY_MS_DEFAULT,
      MEMORY_MS_DEFAULT,
      0,
      250,
      60_000,
      MEMORY_MS_DEFAULT,
      MEMORY_MS_DEFAULT,
      MEMORY_MS_DEFAULT,
    ]);
  });
});
