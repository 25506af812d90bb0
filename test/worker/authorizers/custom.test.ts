/**
 * The custom authorizer inside workerd, against real authorizers: the test Worker `authorizer`
 * (test/support/authorizer-worker.js, bound as AUTHORIZER) and the real local backend's `/authorizer` path.
 * It is driven directly (`customAuthorizer(spec).authorize(ctx, …)`) with a hand-filled request context; the
 * pipeline's authorize stage has its own tests.
 */
import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { customAuthorizer } from "../../../src/authorizers/custom/index.ts";
import type { Identity } from "../../../src/wire/identity.ts";
import type { BundleCustomAuthorizer, BundleRoute } from "../../../src/config/bundle.ts";
import type { CompiledRoute } from "../../../src/deploy/compiled-route.ts";
import type { Env } from "../../../src/env.ts";
import { AppState } from "../../../src/pipeline/app-state.ts";
import { RequestContext } from "../../../src/pipeline/context.ts";
import { GatewayError, renderGatewayResponse } from "../../../src/pipeline/gateway-responses.ts";
import { backendUrl } from "../support/gateway.ts";

const EXPLICIT_DENY = "User is not authorized to access this resource with an explicit deny";
const IMPLICIT_DENY = "User is not authorized to access this resource";
const authorizerWorker = () => (env as unknown as Env).AUTHORIZER as Fetcher;

const spec = (over: Partial<BundleCustomAuthorizer> = {}): BundleCustomAuthorizer => ({
  type: "custom",
  mode: "token",
  identitySource: ["$request.header.Authorization"],
  validationExpression: null,
  service: "AUTHORIZER",
  url: null,
  responseFormat: "policy",
  resultTtlSeconds: 300,
  resultCacheScope: "route",
  contextToHeaders: {},
  timeoutMs: 2000,
  ...over,
});

/** A unique token of a kind the test authorizer understands, so counts and cache entries are per test. */
const token = (kind: string) => `${kind}:${crypto.randomUUID()}`;

interface Call {
  path?: string;
  method?: string;
  /** The route's path template (default: `path`). */
  route?: string;
  headers?: Record<string, string>;
  query?: string;
  pathParams?: Record<string, string>;
}

/** One app's state for the whole file: its decisions are remembered across the calls below, as in an app. */
const state = new AppState();

function contextFor({ path = "/pets", method = "GET", route = path, headers = {}, query = "", pathParams = {} }: Call): RequestContext {
  const ctx = new RequestContext(new Request(`https://gw.test/prod${path}${query}`, { method, headers }), env as unknown as Env, createExecutionContext(), state);
  ctx.api = "petstore";
  ctx.stage = "prod";
  ctx.stageVariables = { color: "blue" };
  ctx.segments = path.split("/").filter(Boolean);
  ctx.pathParams = pathParams;
  const routeSpec: Partial<BundleRoute> = { key: `${method} ${route}`, method: method as BundleRoute["method"], path: route };
  ctx.route = { spec: routeSpec } as unknown as CompiledRoute;
  return ctx;
}

function authorize(s: BundleCustomAuthorizer, call: Call): Promise<Identity> {
  return customAuthorizer(s).authorize(contextFor(call), { scopes: [] });
}

const bearer = (value: string, call: Call = {}): Call => ({ ...call, headers: { authorization: value, ...call.headers } });

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error("expected the authorizer to refuse");
}

/** The error as the client sees it (REST defaults, no overrides). */
async function wire(error: GatewayError): Promise<{ status: number; body: unknown }> {
  const res = renderGatewayResponse(error, {
    flavor: "rest", overrides: {}, errorTypeHeader: null, requestId: "r", stage: "prod", resourcePath: "/pets", stageVariables: {},
  });
  return { status: res.status, body: await res.json() };
}

async function calls(t?: string): Promise<number> {
  const res = await authorizerWorker().fetch(`https://authorizer.internal/count${t === undefined ? "" : `?token=${encodeURIComponent(t)}`}`);
  return ((await res.json()) as { count: number }).count;
}

async function lastEvent(t: string): Promise<Record<string, unknown>> {
  const res = await authorizerWorker().fetch(`https://authorizer.internal/last?token=${encodeURIComponent(t)}`);
  return (await res.json()) as Record<string, unknown>;
}

describe("custom authorizer, token mode through a service binding", () => {
  it("allows with the policy's principal, context and usageIdentifierKey, after sending Amazon's TOKEN event", async () => {
    const t = token("allow");
    const identity = await authorize(spec(), bearer(t));
    expect(identity).toEqual({
      type: "custom", principalId: `user-${t}`, claims: null, scopes: [],
      context: { user: "alice", n: 1, ok: true }, usageIdentifierKey: "key-123",
    });
    expect(await lastEvent(t)).toEqual({ type: "TOKEN", authorizationToken: t, methodArn: "arn:portico:execute-api:edge:portico:petstore/prod/GET/pets" });
  });

  it("answers 403 with Amazon's explicit-deny message when a Deny matches, despite an Allow on *", async () => {
    const error = await failure(authorize(spec(), bearer(token("deny"))));
    expect(error.type).toBe("ACCESS_DENIED");
    expect(await wire(error)).toEqual({ status: 403, body: { message: EXPLICIT_DENY } });
  });

  it("answers 403 'not authorized' when no Allow matches the method ARN (implicit deny)", async () => {
    const error = await failure(authorize(spec(), bearer(token("other-path"))));
    expect(error.type).toBe("ACCESS_DENIED");
    expect(await wire(error)).toEqual({ status: 403, body: { Message: IMPLICIT_DENY } });
  });

  it("matches an AWS-partition resource (arn:aws:execute-api:*:*:*/*/GET/pets) against Portico's ARN", async () => {
    expect((await authorize(spec(), bearer(token("allow-only-get-pets")))).principalId).toBe("carol");
  });

  it("answers 401 without calling the authorizer when the identity source is missing or blank", async () => {
    const before = await calls();
    for (const call of [{}, bearer(""), bearer("   ")]) {
      const error = await failure(authorize(spec(), call));
      expect(error.type).toBe("UNAUTHORIZED");
      expect(await wire(error)).toEqual({ status: 401, body: { message: "Unauthorized" } });
    }
    const request = spec({ mode: "request", identitySource: ["$request.header.x-token", "$request.querystring.q"] });
    expect((await failure(authorize(request, { headers: { "x-token": token("allow") } }))).type).toBe("UNAUTHORIZED");
    expect(await calls()).toBe(before);
  });

  it("answers 401 without calling the authorizer when the token fails validationExpression (a whole-token match)", async () => {
    const s = spec({ validationExpression: "allow:[0-9a-f-]{36}" });
    for (const t of [token("deny"), `x${token("allow")}`, `${token("allow")}x`]) {
      expect((await failure(authorize(s, bearer(t)))).type).toBe("UNAUTHORIZED");
      expect(await calls(t)).toBe(0);
    }
    const good = token("allow");
    await authorize(s, bearer(good));
    expect(await calls(good)).toBe(1);
  });

  it.each([
    ["a reply that is not a policy", "garbage"],
    ["a reply that is not JSON", "not-json"],
    ["a context holding an object", "context-object"],
    ["an authorizer that throws (Amazon: AuthorizerConfigurationException)", "throw"],
  ])("answers 500 AUTHORIZER_CONFIGURATION_ERROR for %s", async (_name, kind) => {
    const error = await failure(authorize(spec(), bearer(token(kind))));
    expect(error.type).toBe("AUTHORIZER_CONFIGURATION_ERROR");
    // Recorded (rest-authorizer-error-500-null-message): a JSON null message.
    expect(await wire(error)).toEqual({ status: 500, body: { message: null } });
  });

  it("answers 500 AUTHORIZER_CONFIGURATION_ERROR (as Amazon) when the authorizer answers a plain 500", async () => {
    const error = await failure(authorize(spec(), bearer(token("500"))));
    expect(error.type).toBe("AUTHORIZER_CONFIGURATION_ERROR");
    expect((await wire(error)).status).toBe(500);
  });

  it("answers 500 AUTHORIZER_CONFIGURATION_ERROR (as Amazon) once timeoutMs passes without an answer", async () => {
    const started = Date.now();
    const error = await failure(authorize(spec({ timeoutMs: 300 }), bearer(token("hang"))));
    const elapsed = Date.now() - started;
    expect(error.type).toBe("AUTHORIZER_CONFIGURATION_ERROR");
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(5000);
  });

  it("answers 401 when the authorizer throws or returns 'Unauthorized', and does not cache it", async () => {
    for (const kind of ["unauthorized", "unauthorized-string"]) {
      const t = token(kind);
      for (let i = 0; i < 2; i++) {
        const error = await failure(authorize(spec(), bearer(t)));
        expect(error.type).toBe("UNAUTHORIZED");
        expect(await wire(error)).toEqual({ status: 401, body: { message: "Unauthorized" } });
      }
      expect(await calls(t)).toBe(2);
    }
  });

  it("answers 500 AUTHORIZER_CONFIGURATION_ERROR when the service binding does not exist", async () => {
    expect((await failure(authorize(spec({ service: "NO_SUCH_BINDING" }), bearer(token("allow"))))).type).toBe("AUTHORIZER_CONFIGURATION_ERROR");
  });
});

describe("custom authorizer, caching", () => {
  it("asks once per token within the TTL, across authorizer instances built from the same spec", async () => {
    const t = token("allow");
    await authorize(spec(), bearer(t));
    const again = await authorize(spec(), bearer(t));
    expect(again.principalId).toBe(`user-${t}`);
    expect(again.usageIdentifierKey).toBe("key-123");
    expect(await calls(t)).toBe(1);
    await authorize(spec(), bearer(token("allow")));
    expect(await calls(t)).toBe(1);
  });

  it("asks every time when resultTtlSeconds is 0", async () => {
    const t = token("allow");
    await authorize(spec({ resultTtlSeconds: 0 }), bearer(t));
    await authorize(spec({ resultTtlSeconds: 0 }), bearer(t));
    expect(await calls(t)).toBe(2);
  });

  it("asks again once the TTL has passed", async () => {
    const t = token("allow");
    await authorize(spec({ resultTtlSeconds: 1 }), bearer(t));
    await scheduler.wait(1100);
    await authorize(spec({ resultTtlSeconds: 1 }), bearer(t));
    expect(await calls(t)).toBe(2);
  });

  it("never caches a failure", async () => {
    const t = token("garbage");
    await failure(authorize(spec(), bearer(t)));
    await failure(authorize(spec(), bearer(t)));
    expect(await calls(t)).toBe(2);
  });

  it("evaluates a cached policy again for each method ARN: allowed for GET /pets, denied for GET /admin", async () => {
    const t = token("allow-only-get-pets");
    expect((await authorize(spec(), bearer(t, { path: "/pets" }))).principalId).toBe("carol");
    const error = await failure(authorize(spec(), bearer(t, { path: "/admin" })));
    expect(error.type).toBe("ACCESS_DENIED");
    expect(await wire(error)).toEqual({ status: 403, body: { Message: IMPLICIT_DENY } });
    expect(await calls(t)).toBe(1);
  });

  it("hands each request its own copy of a cached context", async () => {
    const t = token("allow");
    const first = await authorize(spec(), bearer(t));
    first.context.user = "changed";
    expect((await authorize(spec(), bearer(t))).context.user).toBe("alice");
  });
});

describe("custom authorizer, request mode", () => {
  const call = (t: string): Call => ({
    path: "/pets/7", route: "/pets/{id}", pathParams: { id: "7" }, query: "?q=cats&q=dogs", headers: { "x-token": t },
  });

  it("sends Amazon's REST REQUEST event (policy format) and allows", async () => {
    const t = token("allow");
    const s = spec({ mode: "request", identitySource: ["$request.header.x-token", "$request.querystring.q"] });
    expect((await authorize(s, call(t))).context).toEqual({ user: "alice", n: 1, ok: true });
    const event = await lastEvent(t);
    expect(event).toMatchObject({
      type: "REQUEST",
      methodArn: "arn:portico:execute-api:edge:portico:petstore/prod/GET/pets/7",
      resource: "/pets/{id}",
      path: "/pets/7",
      httpMethod: "GET",
      headers: { "x-token": t },
      queryStringParameters: { q: "dogs" },
      multiValueQueryStringParameters: { q: ["cats", "dogs"] },
      pathParameters: { id: "7" },
      stageVariables: { color: "blue" },
      requestContext: { stage: "prod", apiId: "petstore", resourcePath: "/pets/{id}", httpMethod: "GET" },
    });
    expect(event).not.toHaveProperty("body");
  });

  it("caches by all identity-source values together", async () => {
    const t = token("allow");
    const s = spec({ mode: "request", identitySource: ["$request.header.x-token", "$request.querystring.q"] });
    await authorize(s, call(t));
    await authorize(s, { ...call(t), query: "?q=other" });
    await authorize(s, call(t));
    expect(await calls(t)).toBe(2);
  });

  it("sends the HTTP API 2.0 REQUEST event (simple format); isAuthorized true allows with the context's principalId", async () => {
    const t = token("simple-true");
    const s = spec({ mode: "request", identitySource: ["$request.header.x-token"], responseFormat: "simple" });
    const identity = await authorize(s, call(t));
    expect(identity).toEqual({
      type: "custom", principalId: "simple-user", claims: null, scopes: [], context: { principalId: "simple-user", tier: "gold" }, usageIdentifierKey: null,
    });
    expect(await lastEvent(t)).toMatchObject({
      version: "2.0",
      type: "REQUEST",
      routeArn: "arn:portico:execute-api:edge:portico:petstore/prod/GET/pets/7",
      identitySource: [t],
      routeKey: "GET /pets/{id}",
      rawPath: "/pets/7",
      rawQueryString: "q=cats&q=dogs",
      headers: { "x-token": t },
      queryStringParameters: { q: "cats,dogs" },
      pathParameters: { id: "7" },
      stageVariables: { color: "blue" },
      requestContext: { stage: "prod", http: { method: "GET", path: "/pets/7" } },
    });
  });

  it("answers 403 Forbidden for isAuthorized false, and 500 for a policy reply to a simple-format authorizer", async () => {
    const s = spec({ mode: "request", identitySource: ["$request.header.x-token"], responseFormat: "simple" });
    const denied = await failure(authorize(s, call(token("simple-false"))));
    expect(denied.type).toBe("ACCESS_DENIED");
    expect(await wire(denied)).toEqual({ status: 403, body: { message: "Forbidden" } });
    expect((await failure(authorize(s, call(token("allow"))))).type).toBe("AUTHORIZER_CONFIGURATION_ERROR");
  });
});

describe("custom authorizer over a URL (the real local backend)", () => {
  const hits = async (path: string) => ((await (await fetch(`${backendUrl()}/__hits?path=${encodeURIComponent(path)}`)).json()) as { count: number }).count;

  it("allows, caches, and denies through a URL authorizer", async () => {
    const path = `/authorizer/${crypto.randomUUID()}`;
    const s = spec({ service: null, url: backendUrl() + path });
    const t = token("allow");
    const identity = await authorize(s, bearer(t));
    expect(identity.principalId).toBe("url-user");
    expect(identity.context).toEqual({ via: "url" });
    await authorize(s, bearer(t));
    expect(await hits(path)).toBe(1);
    const denied = await failure(authorize(s, bearer(token("deny"))));
    expect(await wire(denied)).toEqual({ status: 403, body: { message: EXPLICIT_DENY } });
  });

  it("answers 401 for a 401 reply and 500 for a reply that is not a policy", async () => {
    const s = spec({ service: null, url: `${backendUrl()}/authorizer/x` });
    expect((await failure(authorize(s, bearer(token("unauthorized"))))).type).toBe("UNAUTHORIZED");
    expect((await failure(authorize(s, bearer(token("other"))))).type).toBe("AUTHORIZER_CONFIGURATION_ERROR");
  });

  it.each([
    ["times out", "/hang", 300],
    ["answers 500", "/status/500", 2000],
    ["resets the connection", "/reset", 2000],
  ])("answers 500 AUTHORIZER_CONFIGURATION_ERROR (as Amazon) when the URL %s", async (_name, path, timeoutMs) => {
    const started = Date.now();
    const error = await failure(authorize(spec({ service: null, url: backendUrl() + path, timeoutMs }), bearer(token("allow"))));
    expect(error.type).toBe("AUTHORIZER_CONFIGURATION_ERROR");
    expect((await wire(error)).status).toBe(500);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
