/**
 * Cache keys and storability with plain values. Keys are built as the cache step builds them: declared
 * parameters through the compiler (`buildRouteCache`), then `queryParts`/`headerParts` over a real URL and Headers.
 */
import { describe, expect, it } from "vitest";
import { buildRouteCache, buildStageCache } from "../config/compile-cache.ts";
import { cacheKeyText, hashKeyText, headerParts, queryParts, storable, wantsRefresh, type CacheKeyFacts } from "./key.ts";
import { kvKey } from "./store.ts";

interface Req {
  url?: string;
  method?: string;
  headers?: Record<string, string>;
  /** Declared cache-key parameters, as written in a definition. */
  keys?: string[];
  facts?: Partial<CacheKeyFacts>;
}

async function keyOf(r: Req = {}): Promise<string> {
  const url = new URL(r.url ?? "https://gw.test/pets/1");
  const declared = buildRouteCache({ keys: r.keys ?? ["query.limit", "query.tag", "header.accept"] })!.keys;
  return hashKeyText(cacheKeyText({
    api: "petstore",
    stage: "prod",
    namespace: "bundle-1",
    generation: 0,
    method: r.method ?? "GET",
    path: url.pathname,
    query: queryParts(url.searchParams, declared.query),
    headers: headerParts(new Headers(r.headers ?? {}), declared.headers),
    identity: null,
    ...r.facts,
  }));
}

const same = async (a: Req, b: Req) => expect(await keyOf(a)).toBe(await keyOf(b));
const differ = async (a: Req, b: Req) => expect(await keyOf(a)).not.toBe(await keyOf(b));

describe("what is in the key", () => {
  it("every documented part changes it, and no two variants collide", async () => {
    const variants: [string, Req][] = [
      ["base", {}],
      ["api", { facts: { api: "other" } }],
      ["stage", { facts: { stage: "dev" } }],
      ["namespace (another version's cache)", { facts: { namespace: "bundle-2" } }],
      ["generation (after a flush)", { facts: { generation: 1 } }],
      ["method", { method: "POST" }],
      ["path", { url: "https://gw.test/pets/2" }],
      ["a deeper path", { url: "https://gw.test/pets/1/toys" }],
      ["identity", { facts: { identity: "jwt:alice" } }],
      ["another identity", { facts: { identity: "jwt:bob" } }],
      ["an identity with a key", { facts: { identity: "jwt:alice|key:k1" } }],
      ["a declared query value", { url: "https://gw.test/pets/1?limit=5" }],
      ["another declared query value", { url: "https://gw.test/pets/1?limit=6" }],
      ["a declared header", { headers: { accept: "application/xml" } }],
    ];
    const keys = await Promise.all(variants.map(([, r]) => keyOf(r)));
    for (const k of keys) expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(keys).size).toBe(variants.length);
  });

  it("HEAD shares GET's key; other methods do not", async () => {
    await same({ method: "HEAD" }, { method: "GET" });
    await differ({ method: "OPTIONS" }, { method: "GET" });
  });

  it("ignores undeclared query parameters and undeclared headers", async () => {
    await same({ url: "https://gw.test/pets/1?limit=5&utm=a&page=2" }, { url: "https://gw.test/pets/1?limit=5&utm=b" });
    await same({ headers: { "x-trace": "1", cookie: "a=b", authorization: "Bearer x" } }, { headers: {} });
    // With nothing declared, no query or header is part of the key at all.
    await same({ keys: [], url: "https://gw.test/pets/1?limit=5", headers: { accept: "a" } }, { keys: [], url: "https://gw.test/pets/1?limit=6" });
  });

  it("takes every value of a declared query parameter, in any order, form-decoded", async () => {
    await same({ url: "https://gw.test/pets/1?tag=a&tag=b" }, { url: "https://gw.test/pets/1?tag=b&tag=a" });
    await same({ url: "https://gw.test/pets/1?limit=1&tag=x" }, { url: "https://gw.test/pets/1?tag=x&limit=1" });
    await same({ url: "https://gw.test/pets/1?tag=a%20b" }, { url: "https://gw.test/pets/1?tag=a+b" });
    await differ({ url: "https://gw.test/pets/1?tag=a" }, { url: "https://gw.test/pets/1?tag=a&tag=b" });
    await differ({ url: "https://gw.test/pets/1?tag=a,b" }, { url: "https://gw.test/pets/1?tag=a&tag=b" });
    await differ({ url: "https://gw.test/pets/1?tag=a&tag=a" }, { url: "https://gw.test/pets/1?tag=a" });
    // Present but empty is not absent.
    await differ({ url: "https://gw.test/pets/1?limit=" }, { url: "https://gw.test/pets/1" });
    // A value cannot pass for another parameter's.
    await differ({ url: "https://gw.test/pets/1?limit=1" }, { url: "https://gw.test/pets/1?tag=1" });
  });

  it("treats declared header names case-insensitively, in the definition and on the request", async () => {
    expect(buildRouteCache({ keys: ["header.Accept", "header.accept", "header.X-Tenant"] })!.keys.headers).toEqual(["accept", "x-tenant"]);
    await same({ keys: ["header.Accept"], headers: { Accept: "text/csv" } }, { keys: ["header.accept"], headers: { accept: "text/csv" } });
    await same({ keys: ["header.ACCEPT"], headers: { aCcEpT: "text/csv" } }, { keys: ["header.accept"], headers: { ACCEPT: "text/csv" } });
    await differ({ keys: ["header.Accept"], headers: { Accept: "text/csv" } }, { keys: ["header.Accept"], headers: { Accept: "TEXT/CSV" } });
  });

  it("keeps declared query names case-sensitive, as URLs are", async () => {
    await differ({ keys: ["query.Limit"], url: "https://gw.test/pets/1?Limit=1" }, { keys: ["query.Limit"], url: "https://gw.test/pets/1?limit=1" });
  });

  it("hashes huge query strings and header values to a fixed-size key that still tells them apart", async () => {
    const big = "q".repeat(200_000);
    const a = await keyOf({ url: `https://gw.test/pets/1?limit=${big}a`, headers: { accept: "h".repeat(64_000) } });
    const b = await keyOf({ url: `https://gw.test/pets/1?limit=${big}b`, headers: { accept: "h".repeat(64_000) } });
    const c = await keyOf({ url: `https://gw.test/pets/1?limit=${big}a`, headers: { accept: "h".repeat(64_001) } });
    for (const k of [a, b, c]) expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set([a, b, c]).size).toBe(3);
    expect(kvKey("petstore", "prod", a)).toBe(`cache:petstore:prod:${a}`);
    expect(kvKey("petstore", "prod", a).length).toBeLessThan(512); // KV's key limit
  });

  it("cannot be confused by separators inside values (parts are JSON-encoded)", async () => {
    await differ({ facts: { identity: 'a","b' } }, { facts: { identity: "a" }, url: "https://gw.test/pets/1" });
    await differ({ facts: { path: '/a",[],[],"b' } }, { facts: { path: "/a", identity: "b" } });
    await differ({ facts: { api: "a:b", stage: "c" } }, { facts: { api: "a", stage: "b:c" } });
  });
});

describe("storable", () => {
  const res = (status: number, headers: Record<string, string> = {}) => new Response([204, 205, 304].includes(status) ? null : "x", { status, headers });
  const defaults = buildStageCache({})!.statuses;

  it("stores 2xx by default and nothing else", () => {
    expect(defaults).toEqual(["2xx"]);
    for (const s of [200, 201, 203, 204, 299]) expect(storable(res(s), defaults), String(s)).toBe(true);
    for (const s of [301, 302, 304, 400, 401, 403, 404, 429, 500, 502, 504]) expect(storable(res(s), defaults), String(s)).toBe(false);
  });

  it("never stores a 206 (one caller's byte range), even when listed", () => {
    expect(storable(res(206, { "content-range": "bytes 0-0/10" }), defaults)).toBe(false);
    expect(storable(res(206), buildStageCache({ statuses: [206, 200] })!.statuses)).toBe(false);
    expect(storable(res(200), buildStageCache({ statuses: [206, 200] })!.statuses)).toBe(true);
  });

  it("stores the codes and classes a stage lists (compiled from numbers and strings)", () => {
    const only404 = buildStageCache({ statuses: [404] })!.statuses;
    expect(storable(res(404), only404)).toBe(true);
    expect(storable(res(200), only404)).toBe(false);
    expect(storable(res(405), only404)).toBe(false);
    const mixed = buildStageCache({ statuses: ["2xx", 301, "4xx"] })!.statuses;
    for (const s of [200, 204, 301, 400, 404, 451]) expect(storable(res(s), mixed), String(s)).toBe(true);
    for (const s of [302, 500, 503]) expect(storable(res(s), mixed), String(s)).toBe(false);
  });

  it("never stores a response that sets a cookie", () => {
    expect(storable(res(200, { "set-cookie": "session=abc; HttpOnly" }), defaults)).toBe(false);
    const two = new Headers();
    two.append("Set-Cookie", "a=1");
    two.append("Set-Cookie", "b=2");
    expect(storable(new Response("x", { headers: two }), defaults)).toBe(false);
  });

  it("never stores Cache-Control private, no-store or no-cache, in any case or position", () => {
    for (const cc of ["private", "no-store", "no-cache", "PRIVATE", "max-age=60, private", "public,no-store", 'private="set-cookie"', 'no-cache="set-cookie"', " No-Cache "])
      expect(storable(res(200, { "cache-control": cc }), defaults), cc).toBe(false);
    for (const cc of ["public, max-age=60", "max-age=0", "s-maxage=10", "no-transform", "must-revalidate", "immutable"])
      expect(storable(res(200, { "cache-control": cc }), defaults), cc).toBe(true);
  });

  it("never stores a response that varies on a header outside the declared key, or on everything", () => {
    for (const vary of ["Authorization", "cookie", "X-API-Key", "*", "Accept, Authorization", "accept-encoding,cookie", "Origin , X-Api-Key", "Origin, Accept", "X-Forwarded-Scheme", "x-original-url"])
      expect(storable(res(200, { vary }), defaults), vary).toBe(false);
    for (const vary of ["Accept-Encoding", " accept-encoding , ", ""]) expect(storable(res(200, { vary }), defaults), vary).toBe(true);
    const keyed = { keyHeaders: ["accept-language", "x-forwarded-scheme"], credentialed: false };
    for (const vary of ["Accept-Language", "X-Forwarded-Scheme, Accept-Encoding"]) expect(storable(res(200, { vary }), defaults, keyed), vary).toBe(true);
    expect(storable(res(200, { vary: "Accept-Language, Origin" }), defaults, keyed)).toBe(false);
  });

  it("stores a response to a credentialed request only when it says it may be shared (RFC 9111 §3.5)", () => {
    const credentialed = { keyHeaders: [], credentialed: true };
    for (const cc of ["public", "max-age=60, public", "s-maxage=30", "MUST-REVALIDATE, max-age=5"]) expect(storable(res(200, { "cache-control": cc }), defaults, credentialed), cc).toBe(true);
    for (const cc of ["max-age=60", "", "immutable"]) expect(storable(res(200, cc ? { "cache-control": cc } : {}), defaults, credentialed), cc).toBe(false);
  });
});

describe("wantsRefresh (Cache-Control: max-age=0 from a client)", () => {
  it.each<[string | null, boolean]>([
    ["max-age=0", true],
    ["MAX-AGE=0", true],
    ["max-age = 0", true],
    ["no-cache, max-age=0", true],
    ["max-age=0, no-store", true],
    ["  max-age=0  ", true],
    [null, false],
    ["", false],
    ["no-cache", false],
    ["no-store", false],
    ["max-age=10", false],
    ["max-age=01", false],
    ["max-age=0.5", false],
    ["s-maxage=0", false],
    ["x-max-age=0", false],
    ["max-stale=0", false],
  ])("%j → %s", (header, want) => {
    expect(wantsRefresh(header)).toBe(want);
  });
});
