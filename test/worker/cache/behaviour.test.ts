/**
 * The stage cache through the whole pipeline (gatewayFor, inside workerd) against the real local backend, whose
 * hit counter proves each request did or did not reach it: hits and misses, Age, TTLs, route overrides, methods,
 * statuses, cache-key parameters, responses never stored, HEAD, entry size, the status header and encryption.
 */
import { describe, expect, it } from "vitest";
import type { ApiDefinition, RouteDefinition, StageCacheDefinition } from "../../../src/config/types.ts";
import type { Env } from "../../../src/env.ts";
import { backendUrl } from "../support/gateway.ts";
import { cacheGateway, calls, decorating, type Echo, echoPath, kvKeys, kvText, locationText, read, sleep, uid, xCache } from "./support.ts";

function api(routes: Record<string, RouteDefinition>, cache: StageCacheDefinition = { ttl: 60 }, more: Partial<ApiDefinition> = {}): ApiDefinition {
  return { name: `cb-${uid()}`, stages: { prod: { cache } }, routes, ...more };
}

interface Options {
  route?: Partial<RouteDefinition>;
  cache?: StageCacheDefinition;
  more?: Partial<ApiDefinition>;
  env?: Partial<Env>;
  /** Reach the backend through this service binding (see `decorating`). */
  decorate?: Fetcher;
  /** The route's method; default GET. */
  method?: string;
}

/** A gateway with one cached GET route, `/prod/thing`, to its own echo path. */
async function oneRoute(o: Options = {}) {
  const { path, uri } = echoPath();
  const integration = { type: "http_proxy" as const, uri, ...(o.decorate ? { service: "DECORATED" } : {}) };
  const definition = api({ [`${o.method ?? "GET"} /thing`]: { integration, ...o.route } }, o.cache, o.more);
  const gw = await cacheGateway(definition, { ...o.env, ...(o.decorate ? { DECORATED: o.decorate } : {}) });
  return { gw, path, name: definition.name, get: (init?: RequestInit, query = "") => read(gw.fetch(`/prod/thing${query}`, init)) };
}

describe("hits and misses", () => {
  it("misses, then hits with the same response, the backend called once", async () => {
    const { path, get } = await oneRoute();
    const first = await calls(path, 1, () => get());
    expect([first.res.status, xCache(first.res)]).toEqual([200, "MISS"]);
    expect(first.res.headers.get("age")).toBeNull();
    for (let i = 0; i < 3; i++) {
      const again = await calls(path, 0, () => get());
      expect([again.res.status, xCache(again.res), again.text]).toEqual([200, "HIT", first.text]);
      expect(again.res.headers.get("content-type")).toBe("application/json");
      expect(again.res.headers.get("x-backend")).toBe("test");
    }
    expect((JSON.parse(first.text) as Echo).path).toBe(path);
  });

  it("says how old a hit is in Age, growing with time", async () => {
    const { get } = await oneRoute();
    await get();
    const young = await get();
    expect(xCache(young.res)).toBe("HIT");
    expect(young.res.headers.get("age")).toMatch(/^\d+$/);
    await sleep(1100);
    const older = await get();
    expect(xCache(older.res)).toBe("HIT");
    expect(Number(older.res.headers.get("age"))).toBeGreaterThanOrEqual(Number(young.res.headers.get("age")) + 1);
  });

  it("expires an entry after its ttl (1 s): a miss again after 1.2 s", { timeout: 10_000 }, async () => {
    const { path, get } = await oneRoute({ cache: { ttl: 1 } });
    expect(xCache((await calls(path, 1, () => get())).res)).toBe("MISS");
    expect(xCache((await calls(path, 0, () => get())).res)).toBe("HIT");
    await sleep(1200);
    expect(xCache((await calls(path, 1, () => get())).res)).toBe("MISS");
  });
});

describe("route settings over the stage's", () => {
  it("a route ttl overrides the stage's; ttl 0 bypasses", { timeout: 10_000 }, async () => {
    const short = echoPath();
    const long = echoPath();
    const none = echoPath();
    const gw = await cacheGateway(
      api(
        {
          "GET /short": { integration: { type: "http_proxy", uri: short.uri }, cache: { ttl: 1 } },
          "GET /long": { integration: { type: "http_proxy", uri: long.uri } },
          "GET /none": { integration: { type: "http_proxy", uri: none.uri }, cache: { ttl: 0 } },
        },
        { ttl: 300 },
      ),
    );
    const get = (p: string) => read(gw.fetch(`/prod/${p}`));
    await get("short");
    await get("long");
    expect(xCache((await get("short")).res)).toBe("HIT");
    await sleep(1200);
    expect(xCache((await calls(short.path, 1, () => get("short"))).res)).toBe("MISS");
    expect(xCache((await calls(long.path, 0, () => get("long"))).res)).toBe("HIT");
    for (let i = 0; i < 2; i++) expect(xCache((await calls(none.path, 1, () => get("none"))).res)).toBe("BYPASS");
  });

  it("a route with enabled: false is never cached and gets no status header", async () => {
    const { path, get } = await oneRoute({ route: { cache: { enabled: false } } });
    for (let i = 0; i < 3; i++) {
      const r = await calls(path, 1, () => get());
      expect([r.res.status, xCache(r.res)]).toEqual([200, null]);
    }
  });
});

describe("what is cached", () => {
  it("POST is never cached, nor answered from a GET entry", async () => {
    const { path, uri } = echoPath();
    const gw = await cacheGateway(api({ "ANY /thing": { integration: { type: "http_proxy", uri } } }));
    await calls(path, 1, () => read(gw.fetch("/prod/thing")));
    expect(xCache((await calls(path, 0, () => read(gw.fetch("/prod/thing")))).res)).toBe("HIT");
    for (let i = 0; i < 2; i++) {
      const post = await calls(path, 1, () => read(gw.fetch("/prod/thing", { method: "POST", body: "x" })));
      expect([post.res.status, xCache(post.res), (JSON.parse(post.text) as Echo).method]).toEqual([200, null, "POST"]);
    }
  });

  it("does not store a 404 by default; statuses: [404] does", async () => {
    const name = `/nf-${uid()}`; // the echo backend answers 404 outside /echo
    const uri = `${backendUrl()}${name}`;
    const plain = await cacheGateway(api({ "GET /thing": { integration: { type: "http_proxy", uri } } }));
    for (let i = 0; i < 2; i++) {
      const r = await calls(name, 1, () => read(plain.fetch("/prod/thing")));
      expect([r.res.status, xCache(r.res)]).toEqual([404, "MISS"]);
    }
    const with404 = await cacheGateway(api({ "GET /thing": { integration: { type: "http_proxy", uri } } }, { ttl: 60, statuses: [404] }));
    const first = await calls(name, 1, () => read(with404.fetch("/prod/thing")));
    const second = await calls(name, 0, () => read(with404.fetch("/prod/thing")));
    expect([second.res.status, xCache(second.res), second.text]).toEqual([404, "HIT", first.text]);
  });

  it("keys on declared query parameters (all values, any order) and ignores the rest", async () => {
    const { path, get } = await oneRoute({ route: { cache: { keys: ["query.limit", "query.tag"] } } });
    const first = await calls(path, 1, () => get({}, "?limit=1&tag=a&tag=b&utm=x"));
    // Undeclared utm differs, declared values reordered: the same entry, with the first caller's query.
    for (const q of ["?limit=1&tag=a&tag=b&utm=y", "?tag=b&utm=z&limit=1&tag=a", "?tag=b&tag=a&limit=1"]) {
      const r = await calls(path, 0, () => get({}, q));
      expect([xCache(r.res), r.text], q).toEqual(["HIT", first.text]);
    }
    for (const q of ["?limit=2&tag=a&tag=b", "?limit=1&tag=a", "?limit=1&tag=a&tag=b&tag=c", "?limit=1"]) {
      const r = await calls(path, 1, () => get({}, q));
      expect([xCache(r.res), (JSON.parse(r.text) as Echo).query], q).toEqual(["MISS", q]);
    }
  });

  it("keys on declared headers whatever their case, and ignores undeclared ones", async () => {
    const { path, get } = await oneRoute({ route: { cache: { keys: ["header.Accept", "header.X-Tenant"] } } });
    await calls(path, 1, () => get({ headers: { Accept: "text/csv", "x-tenant": "t1", "x-other": "1" } }));
    const same = await calls(path, 0, () => get({ headers: { accept: "text/csv", "X-TENANT": "t1", "x-other": "2" } }));
    expect(xCache(same.res)).toBe("HIT");
    expect(xCache((await calls(path, 1, () => get({ headers: { accept: "text/plain", "x-tenant": "t1" } }))).res)).toBe("MISS");
    expect(xCache((await calls(path, 1, () => get({ headers: { accept: "text/csv", "x-tenant": "t2" } }))).res)).toBe("MISS");
    expect(xCache((await calls(path, 1, () => get({ headers: { accept: "text/csv" } }))).res)).toBe("MISS");
  });

  it("keeps each path apart, with no path parameter declared", async () => {
    const { path, uri } = echoPath();
    const gw = await cacheGateway(api({ "GET /items/{id}": { integration: { type: "http_proxy", uri: `${uri}/{id}` } } }));
    await calls(`${path}/1`, 1, () => read(gw.fetch("/prod/items/1")));
    const two = await calls(`${path}/2`, 1, () => read(gw.fetch("/prod/items/2")));
    expect([xCache(two.res), (JSON.parse(two.text) as Echo).path]).toEqual(["MISS", `${path}/2`]);
    expect(xCache((await calls(`${path}/1`, 0, () => read(gw.fetch("/prod/items/1")))).res)).toBe("HIT");
  });
});

describe("responses never stored", () => {
  const cases: [string, Record<string, string>][] = [
    ["Set-Cookie", { "set-cookie": "session=abc; HttpOnly" }],
    ["Cache-Control: private", { "cache-control": "private, max-age=60" }],
    ["Cache-Control: no-store", { "cache-control": "no-store" }],
    ["Cache-Control: no-cache", { "cache-control": "no-cache" }],
    ["Vary: Authorization", { vary: "Accept, Authorization" }],
    ["Vary: Cookie", { vary: "Cookie" }],
    ["Vary: *", { vary: "*" }],
  ];
  it.each(cases)("%s: the second request reaches the backend too", async (_name, headers) => {
    const { path, get } = await oneRoute({ decorate: decorating(headers) });
    expect(xCache((await calls(path, 1, () => get())).res)).toBe("MISS");
    const second = await calls(path, 1, () => get());
    expect([second.res.status, xCache(second.res)]).toEqual([200, "MISS"]);
    for (const name of Object.keys(headers)) expect(second.res.headers.get(name)).not.toBeNull();
  });

  it("a 206 to a Range request: the next full GET reaches the backend and gets a 200", async () => {
    const { path, get } = await oneRoute({ decorate: decorating({}, { ranges: true }) });
    const part = await calls(path, 1, () => get({ headers: { range: "bytes=0-9" } }));
    expect([part.res.status, xCache(part.res)]).toEqual([206, "MISS"]);
    const whole = await calls(path, 1, () => get());
    expect([whole.res.status, xCache(whole.res)]).toEqual([200, "MISS"]);
    expect(xCache((await calls(path, 0, () => get())).res)).toBe("HIT");
  });

  it("while the same decorated backend with harmless headers is cached (the cases above can fail)", async () => {
    const { path, get } = await oneRoute({ decorate: decorating({ "cache-control": "public, max-age=60", vary: "Accept-Encoding" }) });
    await calls(path, 1, () => get());
    const second = await calls(path, 0, () => get());
    expect(xCache(second.res)).toBe("HIT");
    expect(second.res.headers.get("cache-control")).toBe("public, max-age=60");
  });
});

describe("HEAD", () => {
  it("is answered from a GET entry, with its headers and no body", async () => {
    const { path, gw, get } = await oneRoute({ method: "ANY" });
    const got = await calls(path, 1, () => get());
    const head = await calls(path, 0, () => read(gw.fetch("/prod/thing", { method: "HEAD" })));
    expect([head.res.status, xCache(head.res), head.text]).toEqual([200, "HIT", ""]);
    expect(head.res.headers.get("content-type")).toBe(got.res.headers.get("content-type"));
  });

  it("on a miss is not stored (the next GET still misses)", async () => {
    const { path, gw, get } = await oneRoute({ method: "ANY" });
    const head = await calls(path, 1, () => read(gw.fetch("/prod/thing", { method: "HEAD" })));
    expect([xCache(head.res), head.text]).toEqual(["MISS", ""]);
    expect(xCache((await calls(path, 1, () => get())).res)).toBe("MISS");
    expect(xCache((await calls(path, 0, () => get())).res)).toBe("HIT");
  });
});

describe("entry size", () => {
  const sized = async (n: number, chunked: boolean) => {
    const path = `/bytes/${n}`;
    const gw = await cacheGateway(
      api({ "GET /blob": { integration: { type: "http_proxy", uri: `${backendUrl()}${path}`, service: "DECORATED" } } }, { ttl: 60, maxEntryBytes: 4000 }),
      { DECORATED: decorating({}, { chunked }) },
    );
    return { path, get: () => read(gw.fetch("/prod/blob")) };
  };

  for (const chunked of [false, true]) {
    const how = chunked ? "without Content-Length" : "with Content-Length";
    it(`streams a body over maxEntryBytes through uncached, whole (${how})`, async () => {
      const { path, get } = await sized(4001 + (chunked ? 2 : 0), chunked);
      for (let i = 0; i < 2; i++) {
        const r = await calls(path, 1, get);
        expect([r.res.status, xCache(r.res), r.text.length, /^x+$/.test(r.text)]).toEqual([200, "MISS", 4001 + (chunked ? 2 : 0), true]);
        expect(r.res.headers.get("content-length")).toBe(chunked ? null : String(4001));
      }
    });

    it(`stores a body within maxEntryBytes (${how})`, async () => {
      const { path, get } = await sized(3999 - (chunked ? 2 : 0), chunked);
      const first = await calls(path, 1, get);
      const second = await calls(path, 0, get);
      expect([xCache(second.res), second.text]).toEqual(["HIT", first.text]);
      expect(second.text.length).toBe(3999 - (chunked ? 2 : 0));
    });
  }
});

describe("settings.cacheStatusHeader", () => {
  it("renames the status header", async () => {
    const { get } = await oneRoute({ more: { settings: { cacheStatusHeader: "X-Edge-Cache" } } });
    const first = await get();
    const second = await get();
    expect([first.res.headers.get("x-edge-cache"), second.res.headers.get("x-edge-cache"), xCache(second.res)]).toEqual(["MISS", "HIT", null]);
  });

  it("false removes it, and caching goes on", async () => {
    const { path, get } = await oneRoute({ more: { settings: { cacheStatusHeader: false } } });
    await calls(path, 1, () => get());
    const second = await calls(path, 0, () => get());
    expect(second.res.headers.get("age")).toMatch(/^\d+$/); // a hit, told only by Age (the backend sends none)
    expect([...second.res.headers.values()].some((v) => ["HIT", "MISS", "BYPASS"].includes(v))).toBe(false);
  });
});

describe("encryption at rest", () => {
  const marker = () => `marker-${uid()}`;

  it("stores nothing readable in either tier; the entry still serves", async () => {
    const secret = { CACHE_SEALING_KEY: "a-long-random-cache-secret" };
    const { path, get, name } = await oneRoute({ cache: { ttl: 60, encryptionSecret: "CACHE_SEALING_KEY" }, env: secret });
    const m = marker();
    const first = await calls(path, 1, () => get({ headers: { "x-mark": m } }));
    expect(first.text).toContain(m);
    expect(xCache((await calls(path, 0, () => get())).res)).toBe("HIT");
    const keys = await kvKeys(name);
    expect(keys).toHaveLength(1);
    const stored = (await kvText(keys[0]!))!;
    const local = (await locationText(keys[0]!))!;
    for (const raw of [stored, local]) {
      expect(raw.length).toBeGreaterThan(first.text.length);
      for (const secretText of [m, path, "application/json", "x-backend"]) expect(raw).not.toContain(secretText);
    }
  });

  it("while an unencrypted stage's KV value does hold the body (the check above can fail)", async () => {
    const { path, get, name } = await oneRoute();
    const m = marker();
    await calls(path, 1, () => get({ headers: { "x-mark": m } }));
    const [key] = await kvKeys(name);
    expect(await kvText(key!)).toContain(m);
  });

  it("answers 500 with no detail when the named secret is missing, and never calls the backend", async () => {
    const { path, get } = await oneRoute({ cache: { ttl: 60, encryptionSecret: "CACHE_SECRET_NOT_SET" } });
    const r = await calls(path, 0, () => get());
    expect([r.res.status, r.text]).toEqual([500, '{"message": "Internal server error"}']);
    expect(xCache(r.res)).toBeNull();
  });
});
