/**
 * The proof that one caller's cached response is never served to another: behind a JWT authorizer (the echo
 * backend reflects `sub` through claimsToHeaders) and behind API keys, each caller gets their own entry; a route
 * marked public shares; an identity without a principal bypasses the cache; and the cache is consulted only after
 * authorization, so a caller without valid credentials never gets a cached 200.
 */
import { SELF } from "cloudflare:test";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import type { ApiDefinition, RouteDefinition } from "../../../src/config/types.ts";
import type { TestGateway } from "../support/gateway.ts";
import { cacheGateway, calls, type Echo, echoPath, kvKeys, read, uid, xCache } from "./support.ts";

const SECRET = "a-long-test-secret-for-cache-identity-tests!";
const ISSUER = "https://issuer.test/";

/** A fresh HS256 token (its own jti, so no two are alike) for `claims`; five minutes to live unless `exp` is given. */
async function token(claims: Record<string, unknown>, secret = SECRET): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: ISSUER, aud: "cache-tests", iat: now, exp: now + 300, jti: crypto.randomUUID(), ...claims })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(secret));
}
const as = async (sub: string | undefined, extra: Record<string, unknown> = {}): Promise<RequestInit> => ({
  headers: { authorization: `Bearer ${await token({ ...(sub ? { sub } : {}), ...extra })}` },
});

/** An API whose routes sit behind a JWT authorizer that sends `sub` to the backend as x-user-id. */
async function jwtApi(route: Partial<RouteDefinition> = {}) {
  const { path, uri } = echoPath("id");
  const definition: ApiDefinition = {
    name: `ci-${uid()}`,
    stages: { prod: { cache: { ttl: 60 } } },
    authorizers: { users: { type: "jwt", issuer: ISSUER, audience: "cache-tests", secret: "JWT_SECRET", claimsToHeaders: { "x-user-id": "sub" } } },
    routes: { "GET /me": { authorizer: "users", integration: { type: "http_proxy", uri }, ...route } },
  };
  const gw = await cacheGateway(definition, { JWT_SECRET: SECRET });
  return { gw, path, name: definition.name, me: async (init: RequestInit | Promise<RequestInit>) => read(gw.fetch("/prod/me", await init)) };
}

const userOf = (text: string) => (JSON.parse(text) as Echo).headers["x-user-id"];

describe("behind a JWT authorizer", () => {
  it("keeps each caller's entry their own: A hits A's, B misses and gets B's", async () => {
    const { path, me, name } = await jwtApi();
    const a1 = await calls(path, 1, () => me(as("alice")));
    expect([a1.res.status, xCache(a1.res), userOf(a1.text)]).toEqual([200, "MISS", "alice"]);
    // Another token for the same subject: the same entry.
    const a2 = await calls(path, 0, () => me(as("alice")));
    expect([xCache(a2.res), userOf(a2.text)]).toEqual(["HIT", "alice"]);
    const b1 = await calls(path, 1, () => me(as("bob")));
    expect([xCache(b1.res), userOf(b1.text)]).toEqual(["MISS", "bob"]);
    const b2 = await calls(path, 0, () => me(as("bob")));
    expect([xCache(b2.res), userOf(b2.text)]).toEqual(["HIT", "bob"]);
    const a3 = await calls(path, 0, () => me(as("alice")));
    expect([xCache(a3.res), userOf(a3.text)]).toEqual(["HIT", "alice"]);
    expect(await kvKeys(name)).toHaveLength(2);
  });

  it("shares one entry between callers on a route marked public", async () => {
    const { path, me, name } = await jwtApi({ cache: { public: true } });
    const a = await calls(path, 1, () => me(as("alice")));
    const b = await calls(path, 0, () => me(as("bob")));
    // Public means "the same for everyone": bob is served the entry alice's request filled.
    expect([xCache(a.res), xCache(b.res), b.text]).toEqual(["MISS", "HIT", a.text]);
    expect(await kvKeys(name)).toHaveLength(1);
  });

  it("bypasses the cache for an identity without a principal (a token with no sub)", async () => {
    const { path, me, name } = await jwtApi();
    for (let i = 0; i < 3; i++) {
      const r = await calls(path, 1, () => me(as(undefined)));
      expect([r.res.status, xCache(r.res)]).toEqual([200, "BYPASS"]);
    }
    expect(await kvKeys(name)).toHaveLength(0);
  });

  it("looks up only after authorization: no valid token, no cached 200, on private and public routes", async () => {
    for (const route of [{}, { cache: { public: true } }]) {
      const { path, me } = await jwtApi(route);
      await calls(path, 1, () => me(as("alice")));
      expect(xCache((await calls(path, 0, () => me(as("alice")))).res)).toBe("HIT");
      const refused: [string, RequestInit | Promise<RequestInit>][] = [
        ["no token", {}],
        ["a token signed with another secret", token({ sub: "alice" }, "another-secret-another-secret-another").then((t) => ({ headers: { authorization: `Bearer ${t}` } }))],
        ["an expired token", token({ sub: "alice", exp: Math.floor(Date.now() / 1000) - 3600 }).then((t) => ({ headers: { authorization: `Bearer ${t}` } }))],
        ["garbage", { headers: { authorization: "Bearer not.a.token" } }],
      ];
      for (const [why, init] of refused) {
        const r = await calls(path, 0, () => me(init));
        expect([r.res.status, xCache(r.res)], why).toEqual([401, null]);
        expect(r.text, why).not.toContain("alice");
      }
    }
  });
});

describe("behind API keys", () => {
  const admin = (path: string, json: unknown) =>
    SELF.fetch(`http://localhost/_portico${path}`, {
      method: "POST",
      headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
      body: JSON.stringify(json),
    });
  async function key(api: string): Promise<string> {
    const res = await admin("/keys", { name: `cache ${uid()}`, stages: [`${api}/prod`] });
    expect(res.status).toBe(201);
    return ((await res.json()) as { value: string }).value;
  }
  async function keyedApi(route: Partial<RouteDefinition> = {}): Promise<{ gw: TestGateway; path: string; name: string }> {
    const { path, uri } = echoPath("key");
    const name = `ck-${uid()}`;
    const gw = await cacheGateway({
      name,
      stages: { prod: { cache: { ttl: 60 } } },
      routes: { "GET /mine": { apiKeyRequired: true, integration: { type: "http_proxy", uri }, ...route } },
    });
    return { gw, path, name };
  }
  const withKey = (gw: TestGateway, value: string) => read(gw.fetch("/prod/mine", { headers: { "x-api-key": value } }));
  const keyOf = (text: string) => (JSON.parse(text) as Echo).headers["x-api-key"];

  it("keeps each key's entry its own", async () => {
    const { gw, path, name } = await keyedApi();
    const [k1, k2] = [await key(name), await key(name)];
    const a1 = await calls(path, 1, () => withKey(gw, k1));
    expect([a1.res.status, xCache(a1.res), keyOf(a1.text)]).toEqual([200, "MISS", k1]);
    expect([xCache((await calls(path, 0, () => withKey(gw, k1))).res)]).toEqual(["HIT"]);
    const b1 = await calls(path, 1, () => withKey(gw, k2));
    expect([xCache(b1.res), keyOf(b1.text)]).toEqual(["MISS", k2]);
    const b2 = await calls(path, 0, () => withKey(gw, k2));
    expect([xCache(b2.res), keyOf(b2.text)]).toEqual(["HIT", k2]);
    const a2 = await calls(path, 0, () => withKey(gw, k1));
    expect([xCache(a2.res), keyOf(a2.text)]).toEqual(["HIT", k1]);
    // Without a valid key: 403 before any lookup.
    for (const value of ["", "ptk_not-a-real-key"]) expect((await calls(path, 0, () => withKey(gw, value))).res.status).toBe(403);
  });

  it("shares between keys on a route marked public", async () => {
    const { gw, path, name } = await keyedApi({ cache: { public: true } });
    const [k1, k2] = [await key(name), await key(name)];
    const a = await calls(path, 1, () => withKey(gw, k1));
    const b = await calls(path, 0, () => withKey(gw, k2));
    expect([xCache(b.res), b.text]).toEqual(["HIT", a.text]);
  });
});
