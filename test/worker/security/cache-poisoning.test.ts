/**
 * Web cache poisoning through the stage cache, against the real local backend's `/reflect` (it echoes
 * X-Forwarded-Scheme, X-Original-URL, Authorization and Cookie, says `Vary` on the first two and
 * `cache-control: public, max-age=300`) with its hit counter: a response that varies on a header outside the
 * declared key is never stored, so one client's reflected header never reaches another; and on a route without an
 * authorizer or API key a response to a request with Authorization or Cookie is stored only if it says it may be
 * shared (RFC 9111 §3.5).
 */
import { describe, expect, it } from "vitest";
import type { ApiDefinition, RouteDefinition } from "../../../src/config/types.ts";
import { backendUrl } from "../support/gateway.ts";
import { cacheGateway, calls, read, uid, xCache } from "../cache/support.ts";

/**
 * The route opts in to forwarding the two legacy headers (they are other proxies' internal headers, dropped by
 * default: docs/security.md), as a backend that relies on them would: the Vary rule must still protect others.
 */
async function reflecting(query = "", route: Partial<RouteDefinition> = {}) {
  const path = `/reflect/${uid()}`;
  const definition: ApiDefinition = {
    name: `poison-${uid()}`,
    stages: { prod: { cache: { ttl: 300 } } },
    routes: {
      "GET /page": {
        forwardInternalHeaders: ["x-forwarded-scheme", "x-original-url"],
        integration: { type: "http_proxy", uri: `${backendUrl()}${path}${query}` },
        ...route,
      },
    },
  };
  const gw = await cacheGateway(definition);
  return { path, get: (headers: Record<string, string> = {}) => read(gw.fetch("/prod/page", { headers })) };
}

interface Reflected {
  scheme: string | null;
  originalUrl: string | null;
  authorization: string | null;
  cookie: string | null;
}

describe("Vary naming headers outside the cache key", () => {
  it("never serves a response reflecting X-Forwarded-Scheme / X-Original-URL to another client", async () => {
    const { path, get } = await reflecting();
    const attacker = await calls(path, 1, () => get({ "x-forwarded-scheme": "http", "x-original-url": "/admin" }));
    expect(JSON.parse(attacker.text)).toMatchObject({ scheme: "http", originalUrl: "/admin" });
    for (let i = 0; i < 2; i++) {
      const victim = await calls(path, 1, () => get());
      expect(JSON.parse(victim.text) as Reflected).toMatchObject({ scheme: null, originalUrl: null });
      expect(xCache(victim.res)).toBe("MISS");
    }
  });

  it("stores and keys it when the route declares those headers as cache keys", async () => {
    const { path, get } = await reflecting("", { cache: { keys: ["header.x-forwarded-scheme", "header.x-original-url"] } });
    await calls(path, 1, () => get({ "x-forwarded-scheme": "http", "x-original-url": "/admin" }));
    const victim = await calls(path, 1, () => get());
    expect(JSON.parse(victim.text) as Reflected).toMatchObject({ scheme: null, originalUrl: null });
    const again = await calls(path, 0, () => get());
    expect([xCache(again.res), again.text]).toEqual(["HIT", victim.text]);
    const attackerAgain = await calls(path, 0, () => get({ "x-forwarded-scheme": "http", "x-original-url": "/admin" }));
    expect(JSON.parse(attackerAgain.text)).toMatchObject({ scheme: "http" });
  });

  it("still stores a response that varies only on Accept-Encoding", async () => {
    const { path, get } = await reflecting("?vary=Accept-Encoding");
    await calls(path, 1, () => get());
    expect(xCache((await calls(path, 0, () => get())).res)).toBe("HIT");
  });
});

describe("credentials on a route the gateway does not authorize (RFC 9111 §3.5)", () => {
  it.each([
    ["Authorization", { authorization: "Bearer alice-secret" }],
    ["Cookie", { cookie: "session=alice" }],
  ])("does not store the answer to a request with %s unless it says it may be shared", async (_what, credentials) => {
    const { path, get } = await reflecting("?vary=&cc=max-age%3D300");
    const alice = await calls(path, 1, () => get(credentials));
    expect(alice.text).toMatch(/alice/);
    const anonymous = await calls(path, 1, () => get());
    expect(anonymous.text).not.toMatch(/alice/);
    // An anonymous response is stored as before, and may answer a credentialed request (it is nobody's).
    expect(xCache((await calls(path, 0, () => get())).res)).toBe("HIT");
  });

  it.each(["public, max-age=300", "s-maxage=300", "max-age=300, must-revalidate"])("stores it when the response says %s", async (cc) => {
    const { path, get } = await reflecting(`?vary=&cc=${encodeURIComponent(cc)}`);
    await calls(path, 1, () => get({ authorization: "Bearer shared" }));
    expect(xCache((await calls(path, 0, () => get())).res)).toBe("HIT");
  });
});
