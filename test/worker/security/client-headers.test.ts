/**
 * Issue 10, items 1 and 10: what a client may never send a backend, through the whole pipeline to the real local
 * backend (which echoes the headers it received and counts its hits), to a Lambda-style Worker's event and to a
 * custom authorizer's event: Portico's own `x-portico-*` namespace, other gateways' internal headers (unless the
 * route opts in) and aliases of the headers the gateway sets (`X_User_Id` for `x-user-id`).
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { backendUrl, gatewayFor, type TestGateway } from "../support/gateway.ts";
import { nodeHits, uniqueSegment, workerHits } from "../integrations/backends.ts";
import { claims, sign, signingKey, AUDIENCE, ISSUER, type SigningKey } from "../identity/jwt-tokens.ts";
import { echoTo } from "../identity/support.ts";

/** Headers a client sends that must not reach anything behind the gateway (name → value). */
const NAMESPACE = { "x-portico-payload-format": "1.0", "x-portico-force-secret": "test-force-secret", "x-portico-lambda-error": "Unhandled", "X-Portico-Whatever": "1" };
const FOREIGN = {
  "x-middleware-subrequest": "middleware:middleware:middleware",
  "x-envoy-internal": "true",
  "x-envoy-original-path": "/admin",
  "x-amzn-apigateway-api-id": "abc123",
  "x-amzn-oidc-identity": "admin",
  "x-apigateway-event": encodeURIComponent(JSON.stringify({ requestContext: { authorizer: { claims: { sub: "admin" } } } })),
  "x-apigateway-context": "{}",
  "x-original-url": "/admin",
  "x-rewrite-url": "/admin",
  "x-http-method-override": "DELETE",
  "x-goog-authenticated-user-email": "accounts.google.com:admin@example.com",
  "x-ms-client-principal-name": "admin",
  "x-auth-request-user": "admin",
  "x-forwarded-user": "admin",
  "x-forwarded-ssl": "on",
  forwarded: "for=10.0.0.1;proto=https;host=admin.internal",
  "true-client-ip": "10.0.0.1",
  "x-client-ip": "10.0.0.1",
};

const lower = (o: Record<string, string>) => Object.keys(o).map((k) => k.toLowerCase());

let key: SigningKey;
let gw: TestGateway;
const tag = uniqueSegment();

beforeAll(async () => {
  key = await signingKey("ES256", "hdr-1");
  const def: ApiDefinition = {
    name: "headers",
    stages: { prod: {} },
    authorizers: {
      users: { type: "jwt", issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.jwk] }, claimsToHeaders: { "x-user-id": "sub" } },
      lambda: { type: "custom", mode: "request", identitySource: "$request.header.x-token", service: "AUTHORIZER", resultTtlSeconds: 0 },
    },
    routes: {
      "GET /open/{id}": { integration: echoTo(`open-${tag}`) },
      "GET /opted/{id}": { integration: echoTo(`opted-${tag}`), forwardInternalHeaders: ["X-HTTP-Method-Override", "x-envoy-internal"] },
      "GET /claims/{id}": { authorizer: "users", integration: { type: "http_proxy", uri: `${backendUrl()}/echo/claims-${tag}`, headers: { "x-configured": "gateway" } } },
      "GET /lambda/{id}": { integration: { type: "service", service: "LAMBDA_ECHO", payloadFormat: "1.0" } },
      "GET /raw/{id}": { integration: { type: "service", service: "LAMBDA_ECHO" } },
      "GET /authorized/{id}": { authorizer: "lambda", integration: { type: "mock", body: { ok: true } } },
    },
  };
  gw = await gatewayFor(def);
});

async function served(path: string, backendPath: string, headers: Record<string, string>) {
  const before = await nodeHits(backendPath);
  const res = await gw.fetch(path, { headers });
  expect(res.status, await res.clone().text()).toBe(200);
  expect(await nodeHits(backendPath)).toBe(before + 1);
  return ((await res.json()) as { headers: Record<string, string> }).headers;
}

describe("Portico's namespace and other gateways' internal headers", () => {
  it("never reach an http_proxy backend", async () => {
    const seen = await served(`/prod/open/1`, `/echo/open-${tag}`, { ...NAMESPACE, ...FOREIGN, "x-plain": "kept" });
    expect(seen["x-plain"]).toBe("kept");
    // Amazon's HTTP_PROXY sets its own x-amzn-apigateway-api-id (the API's name here): the gateway's value, never the client's.
    expect(seen["x-amzn-apigateway-api-id"]).toBe("headers");
    for (const name of [...lower(NAMESPACE), ...lower(FOREIGN)]) if (name !== "x-amzn-apigateway-api-id") expect(seen[name], name).toBeUndefined();
  });

  it("reach it on a route that opts in, by exact name only", async () => {
    const seen = await served(`/prod/opted/1`, `/echo/opted-${tag}`, { ...NAMESPACE, ...FOREIGN });
    expect(seen["x-http-method-override"]).toBe("DELETE");
    expect(seen["x-envoy-internal"]).toBe("true");
    expect(seen["x-envoy-original-path"]).toBeUndefined();
    expect(seen["x-middleware-subrequest"]).toBeUndefined();
    for (const name of lower(NAMESPACE)) expect(seen[name], name).toBeUndefined();
  });

  it("never reach a raw service backend or a Lambda-style event", async () => {
    const u = uniqueSegment();
    const raw = await gw.fetch(`/prod/raw/${u}`, { headers: { ...NAMESPACE, ...FOREIGN } });
    const rawSeen = ((await raw.json()) as { headers: Record<string, string> }).headers;
    const event = await gw.fetch(`/prod/lambda/${u}`, { headers: { ...NAMESPACE, ...FOREIGN } });
    const eventSeen = ((await event.json()) as { headers: Record<string, string> }).headers;
    for (const name of [...lower(NAMESPACE), ...lower(FOREIGN)]) {
      expect(rawSeen[name], name).toBeUndefined();
      expect(eventSeen[name], name).toBeUndefined();
    }
    expect(await workerHits("LAMBDA_ECHO", `/raw/${u}`)).toBe(1);
    expect(await workerHits("LAMBDA_ECHO", `/lambda/${u}`)).toBe(1);
  });

  it("never reach a custom authorizer's event", async () => {
    const token = `allow:${crypto.randomUUID()}`;
    const res = await gw.fetch(`/prod/authorized/1`, { headers: { "x-token": token, ...NAMESPACE, ...FOREIGN } });
    expect(res.status).toBe(200);
    const authorizer = (env as unknown as { AUTHORIZER: Fetcher }).AUTHORIZER;
    const last = (await (await authorizer.fetch(`https://authorizer.test/last?token=${encodeURIComponent(token)}`)).json()) as { headers: Record<string, string> };
    expect(last.headers["x-token"]).toBe(token);
    for (const name of [...lower(NAMESPACE), ...lower(FOREIGN)]) expect(last.headers[name], name).toBeUndefined();
  });
});

describe("aliases of the headers the gateway sets", () => {
  it("never reach the backend: X_User_Id, X.User.Id and friends are dropped, the claim's x-user-id is set", async () => {
    const token = await sign(key, claims({ sub: "alice" }));
    const seen = await served(`/prod/claims/1`, `/echo/claims-${tag}`, {
      authorization: `Bearer ${token}`,
      "x-user-id": "mallory",
      X_User_Id: "mallory",
      "X.User.Id": "mallory",
      "x_user-id": "mallory",
      X_Configured: "client",
      X_Forwarded_For: "10.0.0.1",
      "x.forwarded.host": "admin.internal",
      CF_Connecting_IP: "10.0.0.1",
      x_real_ip: "10.0.0.1",
      X_Portico_Force_Secret: "x",
      x_middleware_subrequest: "middleware",
      "x_custom_thing": "kept",
    });
    expect(seen["x-user-id"]).toBe("alice");
    expect(seen["x-configured"]).toBe("gateway");
    expect(seen["x_custom_thing"]).toBe("kept");
    for (const name of ["x_user_id", "x.user.id", "x_user-id", "x_configured", "x_forwarded_for", "x.forwarded.host", "cf_connecting_ip", "x_real_ip", "x_portico_force_secret", "x_middleware_subrequest"])
      expect(seen[name], name).toBeUndefined();
  });
});

describe("forwardInternalHeaders", () => {
  it("is refused at validate for Portico's own names and for names Portico does not drop, with field paths", async () => {
    const { checkDefinition } = await import("../../../src/config/compile.ts");
    const errors = checkDefinition({
      name: "opt",
      stages: { prod: {} },
      routes: { "GET /a": { forwardInternalHeaders: ["x-portico-force-secret", "x-user-id", "X-Envoy-Internal"], integration: { type: "mock" } } },
    });
    expect(errors).toEqual([
      { path: ["routes", "GET /a", "forwardInternalHeaders", 0], message: "Portico's own x-portico-* headers are never forwarded from clients" },
      { path: ["routes", "GET /a", "forwardInternalHeaders", 1], message: "x-user-id is not an internal header Portico drops, so there is nothing to forward (see docs/security.md)" },
    ]);
  });
});
