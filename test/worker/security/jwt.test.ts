/**
 * JWT authorizer hardening through the whole pipeline, against the real local backend and its JWKS server:
 * the audience is required unless explicitly waived (old bundles keep serving as they did), a token may not
 * live longer than maxTokenLifetimeSeconds, remote keys stop verifying once they are older than
 * jwksMaxCacheSeconds with the endpoint down (401, counted as failClosed), and the JWKS body is read bounded.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createApp } from "../../../src/app.ts";
import { bundleId, type Bundle, type BundleJwtAuthorizer } from "../../../src/config/bundle.ts";
import { upgradeBundle } from "../../../src/config/bundle-upgrade.ts";
import { checkDefinition, compileDefinition } from "../../../src/config/compile.ts";
import { formatFieldError } from "../../../src/config/field-errors.ts";
import type { ApiDefinition, JwtAuthorizerDefinition } from "../../../src/config/types.ts";
import { EmbeddedConfigSource } from "../../../src/deploy/config-source.ts";
import type { Env } from "../../../src/env.ts";
import { backendUrl, gatewayFor, type TestGateway } from "../support/gateway.ts";
import { bearer, claims, now, sign, signingKey, AUDIENCE, ISSUER, type SigningKey } from "../identity/jwt-tokens.ts";
import { echoTo, expectRefused, expectServed, hits, uid, UNAUTHORIZED } from "../identity/support.ts";

let key: SigningKey;
beforeAll(async () => {
  key = await signingKey("ES256", "hardening");
});
afterEach(() => {
  vi.useRealTimers();
});

function api(path: string, authorizer: Partial<JwtAuthorizerDefinition>): ApiDefinition {
  return {
    name: `jwt-${uid()}`,
    stages: { prod: {} },
    authorizers: { users: { type: "jwt", issuer: ISSUER, jwks: { keys: [key.jwk as Record<string, unknown>] }, ...authorizer } as JwtAuthorizerDefinition },
    routes: { "GET /me": { authorizer: "users", integration: echoTo(path) } },
  };
}

describe("audience", () => {
  it("is required unless allowAnyAudience waives it: a field-path error with a hint", () => {
    const missing = api("x", {});
    const empty = api("x", { audience: [] });
    const both = api("x", { audience: "a", allowAnyAudience: true });
    expect(checkDefinition(missing, { localDev: true }).map(formatFieldError)).toEqual([expect.stringMatching(/^authorizers\.users\.audience: required: .*allowAnyAudience: true/)]);
    expect(checkDefinition(empty, { localDev: true }).map(formatFieldError)).toEqual([expect.stringMatching(/^authorizers\.users\.audience: must name at least one audience/)]);
    expect(checkDefinition(both, { localDev: true }).map(formatFieldError)).toEqual(["authorizers.users.allowAnyAudience: cannot be true when audience is set: remove one of them"]);
  });

  it("with allowAnyAudience: true, a token for any audience passes; with an audience, only that one", async () => {
    const path = `aud-${uid()}`;
    const waived = await gatewayFor(api(path, { allowAnyAudience: true }));
    await expectServed(async () => waived.fetch("/prod/me", bearer(await sign(key, claims({ aud: "some-other-app" })))), `/echo/${path}`);
    const strict = await gatewayFor(api(path, { audience: AUDIENCE }));
    await expectRefused(async () => strict.fetch("/prod/me", bearer(await sign(key, claims({ aud: "some-other-app" })))), `/echo/${path}`, UNAUTHORIZED);
    await expectServed(async () => strict.fetch("/prod/me", bearer(await sign(key, claims()))), `/echo/${path}`);
  });

  /** A gateway serving a bundle as stored, read the way every stored bundle is (upgradeBundle). */
  async function servingStored(stored: Bundle) {
    const bundle = upgradeBundle(stored);
    const app = createApp({ source: new EmbeddedConfigSource(await bundleId(stored), bundle) });
    return async (init: RequestInit) => {
      const ctx = createExecutionContext();
      const res = await app.fetch(new Request("http://gateway.test/prod/me", init), env as unknown as Env, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
  }

  it("keeps a bundle published before the rule servable as it was: no audience still accepts any", async () => {
    const path = `old-${uid()}`;
    const { bundle } = await compileDefinition(api(path, { audience: AUDIENCE }), { localDev: true });
    // As written by the previous release: audience [], and none of the fields added since.
    const old = structuredClone(bundle);
    const users = old.authorizers.users as Partial<BundleJwtAuthorizer>;
    users.audience = [];
    delete users.allowAnyAudience;
    delete users.maxTokenLifetimeSeconds;
    const fetchOld = await servingStored(old);
    await expectServed(async () => fetchOld(bearer(await sign(key, claims({ aud: "anything" })))), `/echo/${path}`);
    // And it had no lifetime bound.
    await expectServed(async () => fetchOld(bearer(await sign(key, claims({ exp: now() + 30 * 86400 })))), `/echo/${path}`);
  });

  it("refuses every token when a bundle names no audience and does not waive it (a hand-built bundle fails closed)", async () => {
    const path = `hand-${uid()}`;
    const { bundle } = await compileDefinition(api(path, { audience: AUDIENCE }), { localDev: true });
    (bundle.authorizers.users as BundleJwtAuthorizer).audience = [];
    const fetchIt = await servingStored(bundle);
    await expectRefused(async () => fetchIt(bearer(await sign(key, claims()))), `/echo/${path}`, UNAUTHORIZED);
  });
});

describe("maxTokenLifetimeSeconds", () => {
  it.each([
    ["exp: 1e308", 1e308],
    ["an exp two days ahead (default bound one day)", () => now() + 2 * 86400],
  ])("refuses %s with 401, never calling the backend", async (_what, exp) => {
    const path = `life-${uid()}`;
    const gw = await gatewayFor(api(path, { audience: AUDIENCE }));
    await expectRefused(async () => gw.fetch("/prod/me", bearer(await sign(key, claims({ exp: typeof exp === "function" ? exp() : exp })))), `/echo/${path}`, UNAUTHORIZED);
  });

  it("accepts a token within the bound, and a longer one when the authorizer allows it", async () => {
    const path = `life-${uid()}`;
    const gw = await gatewayFor(api(path, { audience: AUDIENCE }));
    await expectServed(async () => gw.fetch("/prod/me", bearer(await sign(key, claims({ exp: now() + 86000 })))), `/echo/${path}`);
    const week = await gatewayFor(api(path, { audience: AUDIENCE, maxTokenLifetimeSeconds: 7 * 86400 }));
    await expectServed(async () => week.fetch("/prod/me", bearer(await sign(key, claims({ exp: now() + 2 * 86400 })))), `/echo/${path}`);
  });
});

describe("remote JWKS with the endpoint down", () => {
  async function jwks(config: Record<string, unknown>) {
    const name = `h-${uid()}`;
    const set = async (c: Record<string, unknown>) => expect((await fetch(`${backendUrl()}/jwks-config/${name}`, { method: "POST", body: JSON.stringify(c) })).status).toBe(204);
    await set(config);
    return { url: `${backendUrl()}/jwks/${name}`, set, fetches: () => hits(`/jwks/${name}`) };
  }

  const remoteApi = (path: string, url: string): ApiDefinition => ({
    ...api(path, {}),
    authorizers: {
      users: { type: "jwt", issuer: ISSUER, audience: AUDIENCE, jwksUrl: url, jwksMinCacheSeconds: 0, jwksMaxCacheSeconds: 60, jwksRefetchSeconds: 1 },
    },
  });

  const failClosedCount = (gw: TestGateway, api: string) =>
    [...(gw.state.metrics.drain().get(api) ?? [])].reduce((n, s) => n + (s.failClosed ?? 0), 0);

  it("keeps verifying with cached keys until jwksMaxCacheSeconds, then refuses (401, counted), and recovers with the endpoint", async () => {
    const keys = await jwks({ keys: [key.jwk], cacheControl: "max-age=10" });
    const path = `stale-${uid()}`;
    const definition = remoteApi(path, keys.url);
    // Metrics stay in this app's buffer (no background flush as the clock jumps) so the test can read them.
    const gw = await gatewayFor(definition, { METRICS_FLUSH_MS: "3600000" });
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    // One token verified while the keys are fresh is remembered; it must not outlive the keys either.
    const remembered = await sign(key, claims({ exp: now() + 3000 }));
    await expectServed(() => gw.fetch("/prod/me", bearer(remembered)), `/echo/${path}`);
    expect(await keys.fetches()).toBe(1);

    await keys.set({ keys: [key.jwk], down: "500" });
    // 40 s on: past the JWKS's max-age, within jwksMaxCacheSeconds. The refetch fails; cached keys still verify.
    vi.setSystemTime(Date.now() + 40_000);
    await expectServed(async () => gw.fetch("/prod/me", bearer(await sign(key, claims()))), `/echo/${path}`);
    expect(await keys.fetches()).toBe(2);
    gw.state.metrics.drain();

    // 65 s after the fetch, still down: the keys are too old to trust. Fresh and remembered tokens alike: 401.
    vi.setSystemTime(Date.now() + 25_000);
    await expectRefused(async () => gw.fetch("/prod/me", bearer(await sign(key, claims()))), `/echo/${path}`, UNAUTHORIZED);
    await expectRefused(() => gw.fetch("/prod/me", bearer(remembered)), `/echo/${path}`, UNAUTHORIZED);
    expect(failClosedCount(gw, definition.name)).toBe(2);

    // The endpoint answers again: the next refetch brings the keys back.
    await keys.set({ keys: [key.jwk], cacheControl: "max-age=10" });
    vi.setSystemTime(Date.now() + 2_000);
    await expectServed(async () => gw.fetch("/prod/me", bearer(await sign(key, claims()))), `/echo/${path}`);
  });

  it("reads the JWKS body bounded: an oversized key set is a failed fetch, and unknown keys fail closed", async () => {
    const keys = await jwks({ keys: [key.jwk], padBytes: 600 * 1024 });
    const path = `big-${uid()}`;
    const gw = await gatewayFor(remoteApi(path, keys.url));
    await expectRefused(async () => gw.fetch("/prod/me", bearer(await sign(key, claims()))), `/echo/${path}`, UNAUTHORIZED);
    expect(await keys.fetches()).toBe(1);
    // The same keys in a normal-sized document verify.
    const small = await jwks({ keys: [key.jwk], padBytes: 1024 });
    const ok = await gatewayFor(remoteApi(path, small.url));
    await expectServed(async () => ok.fetch("/prod/me", bearer(await sign(key, claims()))), `/echo/${path}`);
  });

  it("refuses an http:// JWKS endpoint in a production Worker at request time (500), without fetching it", async () => {
    const keys = await jwks({ keys: [key.jwk] });
    const path = `plain-${uid()}`;
    // Compiled for local development (as `portico dev` would), then served by a Worker without PORTICO_LOCAL_DEV.
    const { id, bundle } = await compileDefinition(remoteApi(path, keys.url), { localDev: true });
    const app = createApp({ source: new EmbeddedConfigSource(id, bundle) });
    const ctx = createExecutionContext();
    const token = await sign(key, claims());
    const res = await app.fetch(new Request("http://gateway.test/prod/me", bearer(token)), { ...(env as unknown as Env), PORTICO_LOCAL_DEV: "" }, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('{"message": null}');
    expect(await keys.fetches()).toBe(0);
    expect(await hits(`/echo/${path}`)).toBe(0);
  });
});
