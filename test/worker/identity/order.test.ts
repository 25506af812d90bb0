/**
 * The identity stages in Amazon's order — resource policy, then authorizer, then API key — through the whole
 * pipeline; their gateway responses overridable per API; an authorizer that fails never letting a request through;
 * and the recorded Amazon cases of area "authorizers" replayed end to end (shared/conformance/aws-recorded.json).
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { ApiDefinition, GatewayResponseDefinition, GatewayResponseType } from "../../../src/config/types.ts";
import type { Env } from "../../../src/env.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";
import { bearer, claims, now, sign, signingKey, AUDIENCE, ISSUER, type SigningKey } from "./jwt-tokens.ts";
import { echoTo, expectRefused, expectServed, uid, UNAUTHORIZED } from "./support.ts";

let key: SigningKey;
beforeAll(async () => {
  key = await signingKey("ES256", "order-1");
});

const DENIED_IP = "198.51.100.9";
const ALLOWED_IP = "203.0.113.9";

/** GET /pets: IP policy, JWT authorizer (scopes on POST) and an API key, all at once. */
function guarded(path: string, extra: Partial<ApiDefinition> = {}): ApiDefinition {
  return {
    name: `order-${uid()}`,
    stages: { prod: {} },
    authorizers: { users: { type: "jwt", issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.jwk] } } },
    resourcePolicy: { deny: { ips: [`${DENIED_IP}/32`] } },
    routes: {
      "GET /pets": { authorizer: "users", apiKeyRequired: true, integration: echoTo(path) },
      "POST /pets": { authorizer: { name: "users", scopes: ["pets:write"] }, integration: echoTo(path) },
    },
    ...extra,
  };
}

const from = (ip: string, init: RequestInit = {}): RequestInit => ({ ...init, headers: { "cf-connecting-ip": ip, ...(init.headers as Record<string, string>) } });
const arn = (api: string) => `arn:portico:execute-api:edge:portico:${api}/prod/GET/pets`;

describe("Amazon's order: resource policy, then authorizer, then API key", () => {
  it("refuses a denied address with the policy's 403 before asking for a token (not 401)", async () => {
    const path = uid();
    const def = guarded(path);
    const gw = await gatewayFor(def);
    await expectRefused(() => gw.fetch("/prod/pets", from(DENIED_IP)), `/echo/${path}`, {
      status: 403,
      body: JSON.stringify({ message: `User: anonymous is not authorized to perform: execute-api:Invoke on resource: ${arn(def.name)} with an explicit deny` }),
      errorType: "AccessDeniedException",
    });
    // The same request from an allowed address reaches the authorizer: 401.
    await expectRefused(() => gw.fetch("/prod/pets", from(ALLOWED_IP)), `/echo/${path}`, UNAUTHORIZED);
  });

  it("asks the authorizer before the API key: an invalid token without a key is 401, a valid token without a key 403", async () => {
    const path = uid();
    const gw = await gatewayFor(guarded(path));
    await expectRefused(() => gw.fetch("/prod/pets", from(ALLOWED_IP, bearer("not.a.jwt"))), `/echo/${path}`, UNAUTHORIZED);
    await expectRefused(async () => gw.fetch("/prod/pets", from(ALLOWED_IP, bearer(await sign(key, claims())))), `/echo/${path}`, {
      status: 403,
      body: '{"message":"Forbidden"}',
      errorType: "ForbiddenException",
    });
  });
});

describe("overriding the identity gateway responses", () => {
  const override = (type: string): GatewayResponseDefinition => ({
    headers: { "x-refused-by": type, "www-authenticate": 'Bearer realm="portico"' },
    body: `{"type":"$context.error.responseType","why":$context.error.messageString,"stage":"$context.stage"}`,
  });
  const overrides: Partial<Record<GatewayResponseType, GatewayResponseDefinition>> = {
    UNAUTHORIZED: { ...override("authorizer"), status: 419 },
    ACCESS_DENIED: { ...override("policy"), status: 451 },
    INVALID_API_KEY: { ...override("api-key"), status: 402 },
    // Amazon's EXPIRED_TOKEN is for expired AWS security tokens (SigV4); an expired JWT is UNAUTHORIZED.
    EXPIRED_TOKEN: { status: 499, body: '{"expired":true}' },
  };

  it.each<[string, (api: string) => Promise<RequestInit>, number, string, string]>([
    ["a missing token (UNAUTHORIZED)", async () => from(ALLOWED_IP), 419, "authorizer", '{"type":"UNAUTHORIZED","why":"Unauthorized","stage":"prod"}'],
    ["an expired JWT (UNAUTHORIZED, not EXPIRED_TOKEN)", async () => from(ALLOWED_IP, bearer(await sign(key, claims({ exp: now() - 600 })))), 419, "authorizer",
      '{"type":"UNAUTHORIZED","why":"The incoming token has expired","stage":"prod"}'],
    ["a resource policy deny (ACCESS_DENIED)", async () => from(DENIED_IP), 451, "policy", ""],
    ["a missing API key (INVALID_API_KEY)", async () => from(ALLOWED_IP, bearer(await sign(key, claims()))), 402, "api-key", '{"type":"INVALID_API_KEY","why":"Forbidden","stage":"prod"}'],
  ])("applies the override to %s", async (_name, init, status, by, body) => {
    const path = uid();
    const def = guarded(path, { gatewayResponses: overrides });
    const gw = await gatewayFor(def);
    const want = body || JSON.stringify({ type: "ACCESS_DENIED", why: `User: anonymous is not authorized to perform: execute-api:Invoke on resource: ${arn(def.name)} with an explicit deny`, stage: "prod" });
    const res = await expectRefused(async () => gw.fetch("/prod/pets", await init(def.name)), `/echo/${path}`, { status, body: want });
    expect(res.headers.get("x-refused-by")).toBe(by);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="portico"');
  });

  it("applies ACCESS_DENIED to a token without the route's scope", async () => {
    const path = uid();
    const gw = await gatewayFor(guarded(path, { gatewayResponses: overrides }));
    await expectRefused(async () => gw.fetch("/prod/pets", from(ALLOWED_IP, { method: "POST", ...bearer(await sign(key, claims({ scope: "pets:read" }))) })), `/echo/${path}`, {
      status: 451,
      body: '{"type":"ACCESS_DENIED","why":"Forbidden","stage":"prod"}',
    });
  });
});

describe("an authorizer that fails never lets the request through", () => {
  const customApi = (path: string, authorizer: Record<string, unknown>): ApiDefinition => ({
    name: `fail-${uid()}`,
    stages: { prod: {} },
    authorizers: { lambda: { type: "custom", resultTtlSeconds: 300, timeoutMs: 300, ...authorizer } },
    routes: { "GET /pets": { authorizer: "lambda", integration: echoTo(path) } },
  });
  const SERVER_ERROR = { status: 500, body: '{"message": null}', errorType: "AuthorizerConfigurationException" };

  it.each(["throw", "garbage", "not-json", "500", "hang", "context-object"])("answers 500 for a %s reply from a service authorizer", async (kind) => {
    const path = uid();
    const gw = await gatewayFor(customApi(path, { service: "AUTHORIZER" }));
    // Twice: a failure is not cached as a success.
    for (let i = 0; i < 2; i++) await expectRefused(() => gw.fetch("/prod/pets", { headers: { authorization: `${kind}:${path}` } }), `/echo/${path}`, SERVER_ERROR);
  });

  it("answers 401 when the authorizer refuses with Unauthorized (thrown or returned), every time", async () => {
    const path = uid();
    const gw = await gatewayFor(customApi(path, { service: "AUTHORIZER" }));
    for (const kind of ["unauthorized", "unauthorized-string", "unauthorized"])
      await expectRefused(() => gw.fetch("/prod/pets", { headers: { authorization: `${kind}:${path}` } }), `/echo/${path}`, UNAUTHORIZED);
  });

  it.each(["/reset", "/hang", "/garbage", "/status/503", "/echo/not-a-policy"])("answers 500 for an authorizer URL answering %s", async (where) => {
    const path = uid();
    const gw = await gatewayFor(customApi(path, { url: `${backendUrl()}${where}` }));
    await expectRefused(() => gw.fetch("/prod/pets", { headers: { authorization: `allow:${path}` } }), `/echo/${path}`, SERVER_ERROR);
  });
});

describe("recorded Amazon cases (area authorizers), end to end", () => {
  const authorizerCalls = async () => {
    const res = await ((env as unknown as Env).AUTHORIZER as Fetcher).fetch("https://authorizer.internal/count");
    return ((await res.json()) as { count: number }).count;
  };
  const restCustom = (path: string): ApiDefinition => ({
    name: `rec-${uid()}`,
    stages: { test: {} },
    authorizers: { docs: { type: "custom", mode: "token", identitySource: "$request.header.Authorization", service: "AUTHORIZER" } },
    routes: { "GET /users": { authorizer: "docs", integration: echoTo(path) }, "GET /other": { authorizer: "docs", integration: echoTo(path) } },
  });

  it("http-jwt-missing-token-401", async () => {
    const path = uid();
    const gw = await gatewayFor({
      name: `rec-${uid()}`,
      flavor: "http",
      stages: { prod: {} },
      authorizers: { jwt: { type: "jwt", issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.jwk] } } },
      routes: { "GET /route": { authorizer: "jwt", integration: echoTo(path) } },
    });
    await expectRefused(() => gw.fetch("/prod/route"), `/echo/${path}`, { status: 401, body: '{"message":"Unauthorized"}' });
  });

  it("rest-authorizer-token-missing-401 (the authorizer is not even asked)", async () => {
    const path = uid();
    const gw = await gatewayFor(restCustom(path));
    const before = await authorizerCalls();
    await expectRefused(() => gw.fetch("/test/users"), `/echo/${path}`, UNAUTHORIZED);
    expect(await authorizerCalls()).toBe(before);
  });

  it("rest-authorizer-implicit-deny-403", async () => {
    const path = uid();
    const gw = await gatewayFor(restCustom(path));
    await expectRefused(() => gw.fetch("/test/other", { headers: { authorization: `other-path:${path}` } }), `/echo/${path}`, {
      status: 403,
      body: '{"Message":"User is not authorized to access this resource"}',
      errorType: "AccessDeniedException",
    });
  });

  it("rest-authorizer-error-500-null-message", async () => {
    const path = uid();
    const gw = await gatewayFor(restCustom(path));
    const res = await expectRefused(() => gw.fetch("/test/users", { headers: { authorization: "fail" } }), `/echo/${path}`, {
      status: 500,
      body: '{"message": null}',
      errorType: "AuthorizerConfigurationException",
    });
    expect(res.headers.get("content-type")).toBe("application/json");
    // The same route with an allowing token is served: the refusal came from the authorizer's answer.
    await expectServed(() => gw.fetch("/test/users", { headers: { authorization: `allow:${path}` } }), `/echo/${path}`);
  });
});
