/**
 * Two apps in one isolate share no state (src/pipeline/app-state.ts). Each pair below serves the same definition —
 * the same bundle id, so every key a memo could use is the same — through two `createApp` calls, as the tests and
 * a Worker embedding Portico twice would; what app A fetched, decided or cached must not answer for app B.
 */
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { cacheGateway, calls, echoPath, faultyKv, kvKeys, LOCATION_ORIGIN, read, xCache } from "../cache/support.ts";
import { bearer, claims, sign, signingKey, AUDIENCE, ISSUER } from "../identity/jwt-tokens.ts";
import { echoTo, expectRefused, expectServed, hits, uid, UNAUTHORIZED } from "../identity/support.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";
import { admin, appOn, ENV, publish, uniqueApi } from "../deploy/support.ts";

describe("two apps in one isolate", () => {
  it("do not answer from each other's cache memory tier", async () => {
    const { kv, control } = faultyKv();
    const { path, uri } = echoPath("apps");
    const definition: ApiDefinition = { name: `as-${uid()}`, stages: { prod: { cache: { ttl: 60 } } }, routes: { "GET /thing": { integration: { type: "http_proxy", uri } } } };
    const a = await cacheGateway(definition, { CACHE: kv, CACHE_MEMORY_MS: "60000" });
    const b = await cacheGateway(definition, { CACHE: kv, CACHE_MEMORY_MS: "60000" });
    expect(xCache((await calls(path, 1, () => read(a.fetch("/prod/thing")))).res)).toBe("MISS");
    expect(xCache((await calls(path, 0, () => read(a.fetch("/prod/thing")))).res)).toBe("HIT");
    // Only memory could answer now: the location copy is gone and KV refuses every read.
    for (const key of await kvKeys(definition.name)) await caches.default.delete(LOCATION_ORIGIN + key);
    control.get = "reject";
    expect(xCache((await calls(path, 0, () => read(a.fetch("/prod/thing")))).res)).toBe("HIT");
    expect(xCache((await calls(path, 1, () => read(b.fetch("/prod/thing")))).res)).toBe("MISS");
  });

  it("do not reuse each other's custom authorizer decisions", async () => {
    const tag = uid();
    const definition: ApiDefinition = {
      name: `as-${uid()}`,
      stages: { prod: {} },
      authorizers: { gate: { type: "custom", url: `${backendUrl()}/authorizer/${tag}`, resultTtlSeconds: 300 } },
      routes: { "GET /pets": { authorizer: "gate", integration: echoTo(tag) } },
    };
    const a = await gatewayFor(definition);
    const b = await gatewayFor(definition);
    const asked = () => hits(`/authorizer/${tag}`);
    const token = { headers: { authorization: `allow:${tag}` } };
    await expectServed(() => a.fetch("/prod/pets", token), `/echo/${tag}`);
    await expectServed(() => a.fetch("/prod/pets", token), `/echo/${tag}`);
    expect(await asked()).toBe(1); // A remembers its decision
    await expectServed(() => b.fetch("/prod/pets", token), `/echo/${tag}`);
    expect(await asked()).toBe(2); // B asks for itself
  });

  it("do not share a remote JWKS: each fetches the key set it trusts", async () => {
    const key = await signingKey("ES256", `apps-${uid()}`);
    const name = `apps-${uid()}`;
    expect((await fetch(`${backendUrl()}/jwks-config/${name}`, { method: "POST", body: JSON.stringify({ keys: [key.jwk], cacheControl: "max-age=300" }) })).status).toBe(204);
    const tag = uid();
    const definition: ApiDefinition = {
      name: `as-${uid()}`,
      stages: { prod: {} },
      authorizers: { users: { type: "jwt", issuer: ISSUER, audience: [AUDIENCE], jwksUrl: `${backendUrl()}/jwks/${name}` } },
      routes: { "GET /me": { authorizer: "users", integration: echoTo(tag) } },
    };
    const a = await gatewayFor(definition);
    const b = await gatewayFor(definition);
    await expectServed(async () => a.fetch("/prod/me", bearer(await sign(key, claims()))), `/echo/${tag}`);
    await expectServed(async () => a.fetch("/prod/me", bearer(await sign(key, claims({ sub: "another" })))), `/echo/${tag}`);
    expect(await hits(`/jwks/${name}`)).toBe(1);
    await expectServed(async () => b.fetch("/prod/me", bearer(await sign(key, claims({ sub: "a third" })))), `/echo/${tag}`);
    expect(await hits(`/jwks/${name}`)).toBe(2);
  });

  it("do not trust a token another app verified under its own secret", async () => {
    const tag = uid();
    const definition: ApiDefinition = {
      name: `as-${uid()}`,
      stages: { prod: {} },
      authorizers: { users: { type: "jwt", issuer: ISSUER, audience: [AUDIENCE], secret: "APP_JWT_SECRET" } },
      routes: { "GET /me": { authorizer: "users", integration: echoTo(tag) } },
    };
    const a = await gatewayFor(definition, { APP_JWT_SECRET: "the-secret-of-app-a-0123456789abcdef" } as never);
    const b = await gatewayFor(definition, { APP_JWT_SECRET: "the-secret-of-app-b-0123456789abcdef" } as never);
    const token = await sign({ alg: "HS256", secret: new TextEncoder().encode("the-secret-of-app-a-0123456789abcdef") }, claims());
    await expectServed(() => a.fetch("/prod/me", bearer(token)), `/echo/${tag}`);
    await expectRefused(() => b.fetch("/prod/me", bearer(token)), `/echo/${tag}`, UNAUTHORIZED);
  });

  it("count their requests in their own metrics buffer", async () => {
    const definition: ApiDefinition = { name: `as-${uid()}`, stages: { prod: {} }, routes: { "GET /ok": { integration: { type: "mock", body: { ok: true } } } } };
    const a = await gatewayFor(definition, { METRICS_FLUSH_MS: "3600000" });
    const b = await gatewayFor(definition, { METRICS_FLUSH_MS: "3600000" });
    expect((await a.fetch("/prod/ok")).status).toBe(200);
    expect(a.state.metrics.due(0)).toBe(true);
    expect(b.state.metrics.due(0)).toBe(false);
  });

  it("evaluate shadow candidates with their own results, candidates and in-flight count", async () => {
    const api = uniqueApi("as");
    const routes = (body: unknown) => ({ "GET /ok": { integration: { type: "mock", body } } });
    await publish({ name: api, domains: [{ host: `${api}.test`, stage: "prod" }], stages: { prod: {} }, routes: routes({ v: 1 }) });
    const candidate = await publish({ name: api, domains: [{ host: `${api}.test`, stage: "prod" }], stages: { prod: {} }, routes: routes({ v: 2 }) }, { canary: 0 });
    expect((await admin(`/apis/${api}/stages/prod/shadow`, { json: { deploymentId: candidate, percent: 100 } })).status).toBe(201);
    const a = appOn({ ...ENV, METRICS_FLUSH_MS: "3600000" });
    const b = appOn({ ...ENV, METRICS_FLUSH_MS: "3600000" });
    expect((await a(`http://${api}.test/ok`, {}, true)).status).toBe(200);
    expect(a.state.shadow.buffer.due(0)).toBe(true);
    expect(a.state.shadow.candidate(candidate)?.id).toBe(candidate);
    expect(a.state.shadow.inFlight).toBe(0);
    expect(b.state.shadow.buffer.due(0)).toBe(false);
    expect(b.state.shadow.candidate(candidate)).toBeUndefined();
  });
});
