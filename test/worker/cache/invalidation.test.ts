/**
 * Invalidation: a client's `Cache-Control: max-age=0` refreshes an entry only when the caller may (a JWT scope
 * `cache:invalidate`, the CACHE_INVALIDATE_SECRET header, or requireAuthorization false); otherwise the stage's
 * unauthorizedStrategy answers — and the backend is never called, however many such requests come. A stage
 * flush through the admin API on a published API (real Registry) reaches requests within the memo bound, without
 * deleting anything from KV.
 */
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import type { ApiDefinition, StageCacheDefinition } from "../../../src/config/types.ts";
import type { Env } from "../../../src/env.ts";
import { INVALIDATE_HEADER, INVALIDATION_REFUSED_HEADER } from "../../../src/steps/cache/index.ts";
import { adminOk, appOn, ENV as DEPLOY_ENV, publish, uniqueApi, until } from "../deploy/support.ts";
import { backendUrl } from "../support/gateway.ts";
import { cacheGateway, calls, type Echo, echoPath, kvKeys, kvText, NO_ACCOUNT_BUCKET, read, sleep, uid, xCache } from "./support.ts";

const SECRET = "a-long-test-secret-for-cache-invalidation!";
const ISSUER = "https://issuer.test/";
const REFRESH = { "cache-control": "max-age=0" };

async function bearer(sub: string, scope?: string): Promise<Record<string, string>> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = await new SignJWT({ iss: ISSUER, aud: "cache-tests", sub, iat: now, exp: now + 300, jti: crypto.randomUUID(), ...(scope ? { scope } : {}) })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(SECRET));
  return { authorization: `Bearer ${jwt}` };
}

/** One cached route `/prod/thing` to its own echo path; behind a JWT authorizer when `jwt`. */
async function setup(cache: Omit<StageCacheDefinition, "ttl">, options: { jwt?: boolean; env?: Partial<Env> } = {}) {
  const { path, uri } = echoPath("inv");
  const definition: ApiDefinition = {
    name: `cv-${uid()}`,
    stages: { prod: { cache: { ttl: 60, ...cache } } },
    ...(options.jwt ? { authorizers: { users: { type: "jwt", issuer: ISSUER, audience: "cache-tests", secret: "JWT_SECRET" } } } : {}),
    routes: { "GET /thing": { integration: { type: "http_proxy", uri }, ...(options.jwt ? { authorizer: "users" } : {}) } },
  };
  const gw = await cacheGateway(definition, { JWT_SECRET: SECRET, ...options.env });
  const get = (headers: Record<string, string> = {}) => read(gw.fetch("/prod/thing", { headers }));
  return { path, get };
}

/**
 * Fills the entry; with `wait`, then waits past the one-write-a-second coalescing so that a refresh may store
 * again (and so that a hit's Age is at least 1).
 */
async function filled(get: (h?: Record<string, string>) => ReturnType<typeof read>, path: string, headers: Record<string, string> = {}, wait = true) {
  const first = await calls(path, 1, () => get(headers));
  expect(xCache(first.res)).toBe("MISS");
  if (wait) await sleep(1100);
  return first;
}

/** Asserts a refresh happened: the backend was called, and the next plain request hits the new entry. */
async function expectRefreshed(get: (h?: Record<string, string>) => ReturnType<typeof read>, path: string, refresh: Record<string, string>, plain: Record<string, string> = {}) {
  const fresh = await calls(path, 1, () => get({ ...REFRESH, ...refresh }));
  expect([fresh.res.status, xCache(fresh.res), fresh.res.headers.get(INVALIDATION_REFUSED_HEADER)]).toEqual([200, "MISS", null]);
  // The echo shows the refreshing request's own max-age=0: the stored entry is the new response, not the old.
  expect((JSON.parse(fresh.text) as Echo).headers["cache-control"]).toBe("max-age=0");
  const after = await calls(path, 0, () => get(plain));
  expect([xCache(after.res), after.text]).toEqual(["HIT", fresh.text]);
}

describe("an unauthorized max-age=0 never reaches the backend", () => {
  it("FAIL_WITH_403: 403, the entry kept", async () => {
    const { path, get } = await setup({ unauthorizedStrategy: "FAIL_WITH_403" });
    const first = await filled(get, path, {}, false);
    const refused = await calls(path, 0, () => get(REFRESH));
    expect([refused.res.status, refused.text, refused.res.headers.get("x-amzn-ErrorType")]).toEqual([403, '{"message":"Forbidden"}', "AccessDeniedException"]);
    const after = await calls(path, 0, () => get());
    expect([xCache(after.res), after.text]).toEqual(["HIT", first.text]);
  });

  it("SUCCEED_WITH_RESPONSE_HEADER (the default): the cached response, with a header saying so", async () => {
    const { path, get } = await setup({});
    const first = await filled(get, path);
    const r = await calls(path, 0, () => get(REFRESH));
    expect([r.res.status, xCache(r.res), r.text]).toEqual([200, "HIT", first.text]);
    expect(r.res.headers.get(INVALIDATION_REFUSED_HEADER)).toMatch(/refused/);
    expect(Number(r.res.headers.get("age"))).toBeGreaterThanOrEqual(1);
  });

  it("SUCCEED_WITHOUT_RESPONSE_HEADER: the cached response, no header", async () => {
    const { path, get } = await setup({ unauthorizedStrategy: "SUCCEED_WITHOUT_RESPONSE_HEADER" });
    const first = await filled(get, path, {}, false);
    const r = await calls(path, 0, () => get(REFRESH));
    expect([r.res.status, xCache(r.res), r.text, r.res.headers.get(INVALIDATION_REFUSED_HEADER)]).toEqual([200, "HIT", first.text, null]);
  });

  it("a flood of 50 unauthorized max-age=0 requests makes no backend call", async () => {
    for (const unauthorizedStrategy of ["SUCCEED_WITH_RESPONSE_HEADER", "FAIL_WITH_403"] as const) {
      const { path, get } = await setup({ unauthorizedStrategy });
      await filled(get, path, {}, false);
      const statuses = await calls(path, 0, () => Promise.all(Array.from({ length: 50 }, () => get(REFRESH).then((r) => r.res.status))));
      expect(new Set(statuses)).toEqual(new Set([unauthorizedStrategy === "FAIL_WITH_403" ? 403 : 200]));
    }
  });

  it("a valid JWT without the cache:invalidate scope is refused; a wrong invalidation secret too", async () => {
    const { path, get } = await setup({ unauthorizedStrategy: "FAIL_WITH_403" }, { jwt: true, env: { CACHE_INVALIDATE_SECRET: "the-invalidation-secret" } });
    await filled(get, path, await bearer("alice"), false);
    for (const headers of [await bearer("alice", "pets:read"), await bearer("alice", "cache:invalidate-all"), { ...(await bearer("alice")), [INVALIDATE_HEADER]: "the-invalidation-secreT" }])
      expect((await calls(path, 0, () => get({ ...REFRESH, ...headers }))).res.status).toBe(403);
  });
});

describe("a permitted max-age=0 refreshes: the backend called, the new response stored", () => {
  it("through a JWT with the cache:invalidate scope", async () => {
    const { path, get } = await setup({ unauthorizedStrategy: "FAIL_WITH_403" }, { jwt: true });
    await filled(get, path, await bearer("alice"));
    await expectRefreshed(get, path, await bearer("alice", "pets:read cache:invalidate"), await bearer("alice"));
  });

  it("through the x-portico-cache-invalidate header with CACHE_INVALIDATE_SECRET", async () => {
    const { path, get } = await setup({ unauthorizedStrategy: "FAIL_WITH_403" }, { env: { CACHE_INVALIDATE_SECRET: "the-invalidation-secret" } });
    await filled(get, path);
    await expectRefreshed(get, path, { [INVALIDATE_HEADER]: "the-invalidation-secret" });
  });

  it("for anyone when requireAuthorization is false", async () => {
    const { path, get } = await setup({ requireAuthorization: false });
    await filled(get, path);
    await expectRefreshed(get, path, {});
  });

  it("not without a configured secret, whatever the header says", async () => {
    const { path, get } = await setup({ unauthorizedStrategy: "FAIL_WITH_403" });
    await filled(get, path, {}, false);
    expect((await calls(path, 0, () => get({ ...REFRESH, [INVALIDATE_HEADER]: "" }))).res.status).toBe(403);
    expect((await calls(path, 0, () => get({ ...REFRESH, [INVALIDATE_HEADER]: "undefined" }))).res.status).toBe(403);
  });
});

describe("a stage flush (admin API, real Registry)", () => {
  it("reaches requests within the memo bound and deletes nothing from KV", { timeout: 15_000 }, async () => {
    const api = uniqueApi("cf");
    const { path } = echoPath("flush");
    await publish({
      name: api,
      domains: [{ host: `${api}.test`, stage: "prod" }],
      stages: { prod: { variables: { backend: backendUrl() }, cache: { ttl: 300 } } },
      routes: { "GET /thing": { integration: { type: "http_proxy", uri: `\${stageVariables.backend}${path}` } } },
    });
    // Its own app, waiting for background work, so an entry is stored before the next request.
    const app = appOn({ ...DEPLOY_ENV, ...NO_ACCOUNT_BUCKET, METRICS_FLUSH_MS: "3600000" });
    const get = () => read(app(`http://${api}.test/thing`, {}, true));
    await until(async () => (await get()).res.status === 200, 2000);
    expect(xCache((await calls(path, 0, get)).res)).toBe("HIT");
    const before = await kvKeys(api);
    expect(before).toHaveLength(1);
    const oldValue = await kvText(before[0]!);

    const flushed = (await adminOk(`/apis/${api}/stages/prod/cache/flush`, { method: "POST" })) as { cacheGeneration: number };
    expect(flushed.cacheGeneration).toBe(1);
    const at = Date.now();
    // Until the memo turns over (REGISTRY_MEMO_MS=200) the old generation may still hit; then a miss.
    const missedAt = await until(async () => xCache((await get()).res) === "MISS", 1500, 20);
    expect(missedAt - at).toBeLessThan(1500);
    expect(xCache((await calls(path, 0, get)).res)).toBe("HIT");

    const after = await kvKeys(api);
    expect(after).toHaveLength(2);
    expect(after).toEqual(expect.arrayContaining(before));
    // The old entry is still there, untouched: unreachable, not deleted (it expires on its own).
    expect(await kvText(before[0]!)).toBe(oldValue);
    expect(await adminOk(`/apis/${api}/stages/prod/cache/flush`, { method: "POST" })).toMatchObject({ cacheGeneration: 2 });
  });
});
