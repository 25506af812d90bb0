/**
 * Issue 10, item 4 (and the Low item on authorizer context size), through the whole pipeline with the test
 * authorizer Worker (AUTHORIZER, whose calls are counted per token) and the real local backend (hits counted):
 * a cached simple "yes" for one route does not open another; a cached Allow is not reused for a request whose
 * configured identity inputs differ; `contextToHeaders` binds a non-Lambda backend to the decision; an oversized
 * context is an authorizer failure.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { backendUrl, gatewayFor, type TestGateway } from "../support/gateway.ts";
import { nodeHits, uniqueSegment } from "../integrations/backends.ts";

const tag = uniqueSegment();
const echo = (name: string) => ({ type: "http_proxy" as const, uri: `${backendUrl()}/echo/${name}-${tag}` });
const token = (kind: string) => `${kind}:${crypto.randomUUID()}`;

async function asked(t: string): Promise<number> {
  const authorizer = (env as unknown as { AUTHORIZER: Fetcher }).AUTHORIZER;
  return ((await (await authorizer.fetch(`https://authorizer.test/count?token=${encodeURIComponent(t)}`)).json()) as { count: number }).count;
}

let gw: TestGateway;
beforeAll(async () => {
  const def: ApiDefinition = {
    name: "authz",
    flavor: "http",
    stages: { prod: {} },
    authorizers: {
      simple: { type: "custom", mode: "request", identitySource: "$request.header.x-token", service: "AUTHORIZER", responseFormat: "simple", resultTtlSeconds: 300 },
      shared: { type: "custom", mode: "request", identitySource: "$request.header.x-token", service: "AUTHORIZER", responseFormat: "simple", resultTtlSeconds: 300, resultCacheScope: "shared" },
      tenants: { type: "custom", mode: "request", identitySource: ["$request.header.x-token", "$request.querystring.tenant"], service: "AUTHORIZER", resultTtlSeconds: 300 },
      bound: { type: "custom", mode: "request", identitySource: "$request.header.x-token", service: "AUTHORIZER", resultTtlSeconds: 300, contextToHeaders: { "x-user": "user", "x-n": "n", "x-principal": "principalId", "x-absent": "nothing" } },
    },
    routes: {
      "GET /pets": { authorizer: "simple", integration: echo("pets") },
      "GET /admin": { authorizer: "simple", integration: echo("admin") },
      "GET /shared/pets": { authorizer: "shared", integration: echo("shared-pets") },
      "GET /shared/admin": { authorizer: "shared", integration: echo("shared-admin") },
      "GET /tenant": { authorizer: "tenants", integration: echo("tenant") },
      "GET /bound": { authorizer: "bound", integration: echo("bound") },
    },
  };
  gw = await gatewayFor(def);
});

describe("a simple-format decision", () => {
  it("cached for one route does not open another: the route is part of the cache key", async () => {
    const t = token("simple-pets");
    expect((await gw.fetch("/prod/pets", { headers: { "x-token": t } })).status).toBe(200);
    expect((await gw.fetch("/prod/pets", { headers: { "x-token": t } })).status).toBe(200);
    expect(await asked(t)).toBe(1); // the second request was answered from the cache
    const before = await nodeHits(`/echo/admin-${tag}`);
    const admin = await gw.fetch("/prod/admin", { headers: { "x-token": t } });
    expect(admin.status).toBe(403);
    expect(await asked(t)).toBe(2);
    expect(await nodeHits(`/echo/admin-${tag}`)).toBe(before);
  });

  it("is shared across routes only when the authorizer says resultCacheScope: shared (Amazon's behaviour)", async () => {
    const t = token("simple-pets");
    expect((await gw.fetch("/prod/shared/pets", { headers: { "x-token": t } })).status).toBe(200);
    // The authorizer would refuse this route, but Amazon's shared cache answers from the first decision.
    expect((await gw.fetch("/prod/shared/admin", { headers: { "x-token": t } })).status).toBe(200);
    expect(await asked(t)).toBe(1);
  });
});

describe("a cached Allow", () => {
  it("is not reused for a request whose configured identity inputs differ (a repeated query parameter)", async () => {
    const t = token("tenant-b");
    // The REST event carries the last value of a repeated parameter: the authorizer decides on tenant=b.
    expect((await gw.fetch("/prod/tenant?tenant=a&tenant=b", { headers: { "x-token": t } })).status).toBe(200);
    const before = await nodeHits(`/echo/tenant-${tag}`);
    const other = await gw.fetch("/prod/tenant?tenant=a", { headers: { "x-token": t } });
    expect(other.status).toBe(403);
    expect(await asked(t)).toBe(2);
    expect(await nodeHits(`/echo/tenant-${tag}`)).toBe(before);
  });
});

describe("contextToHeaders", () => {
  it("sets backend headers from the decision's context, overwriting or removing the client's and dropping their aliases", async () => {
    const t = token("allow");
    const before = await nodeHits(`/echo/bound-${tag}`);
    const res = await gw.fetch("/prod/bound", {
      headers: { "x-token": t, "x-user": "mallory", X_User: "mallory", "x.principal": "mallory", "x-absent": "forged" },
    });
    expect(res.status).toBe(200);
    expect(await nodeHits(`/echo/bound-${tag}`)).toBe(before + 1);
    const seen = ((await res.json()) as { headers: Record<string, string> }).headers;
    expect(seen["x-user"]).toBe("alice");
    expect(seen["x-n"]).toBe("1");
    expect(seen["x-principal"]).toBe(`user-${t}`);
    expect(seen["x-absent"]).toBeUndefined();
    expect(seen["x_user"]).toBeUndefined();
    expect(seen["x.principal"]).toBeUndefined();
  });
});

describe("an oversized authorizer context", () => {
  it("is an authorizer failure (500), and the backend is not called", async () => {
    const before = await nodeHits(`/echo/bound-${tag}`);
    const res = await gw.fetch("/prod/bound", { headers: { "x-token": token("big-context") } });
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain("xxxx");
    expect(await nodeHits(`/echo/bound-${tag}`)).toBe(before);
  });
});

describe("contextToHeaders and claimsToHeaders at validate", () => {
  it("refuse names the gateway owns or the connection uses, with field paths", async () => {
    const { checkDefinition } = await import("../../../src/config/compile.ts");
    const errors = checkDefinition({
      name: "names",
      stages: { prod: {} },
      authorizers: {
        gate: { type: "custom", url: "https://auth.example.com/", contextToHeaders: { "x-portico-user": "user", Host: "tenant", "x-ok": "user" } },
        jwt: { type: "jwt", issuer: "https://issuer.example/", audience: "names", secret: "JWT_SECRET", claimsToHeaders: { "X-Forwarded-For": "sub" } },
      },
      routes: { "GET /a": { integration: { type: "mock" } } },
    });
    expect(errors).toEqual([
      { path: ["authorizers", "gate", "contextToHeaders", "x-portico-user"], message: "x-portico-user is set by the gateway or the connection, not from an identity" },
      { path: ["authorizers", "gate", "contextToHeaders", "Host"], message: "Host is set by the gateway or the connection, not from an identity" },
      { path: ["authorizers", "jwt", "claimsToHeaders", "X-Forwarded-For"], message: "X-Forwarded-For is set by the gateway or the connection, not from an identity" },
    ]);
  });
});
