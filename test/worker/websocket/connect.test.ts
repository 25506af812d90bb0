/**
 * $connect: the upgrade runs the pipeline's resource policy, authorizer (custom REQUEST with query-string and
 * header identity sources, JWT), API key and throttle — a refusal is the HTTP status on the upgrade and no hub is
 * called — then the $connect integration, whose non-2xx answer refuses too. What was decided rides in the
 * connection's attachment: later messages see the identity without asking the authorizer again.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { gatewayFor, backendUrl } from "../support/gateway.ts";
import { claims, ISSUER, AUDIENCE, sign, signingKey } from "../identity/jwt-tokens.ts";
import { hits, uid } from "../identity/support.ts";
import { open } from "./support.ts";

const upgrade = (headers: Record<string, string> = {}) => ({ headers: { upgrade: "websocket", ...headers } });

/** Routes whose route response is the Lambda-style event the route's integration received (LAMBDA_ECHO). */
const echoEvents = {
  whoami: { routeResponse: true, integration: { type: "service", service: "LAMBDA_ECHO", payloadFormat: "1.0" } },
} as const;

describe("authorization on $connect", () => {
  const custom = (name: string): ApiDefinition => ({
    name,
    flavor: "websocket",
    stages: { prod: {} },
    authorizers: {
      gate: { type: "custom", mode: "request", service: "AUTHORIZER", identitySource: ["$request.querystring.token"], resultTtlSeconds: 0 },
    },
    routes: { $connect: { authorizer: "gate", integration: { type: "mock" } }, ...echoEvents } as ApiDefinition["routes"],
  });

  it("refuses with 401 when the query-string identity source is missing, 403 when the authorizer denies", async () => {
    const gw = await gatewayFor(custom(`ws-auth-${uid()}`));
    const missing = await gw.fetch("/prod", upgrade());
    expect(missing.status).toBe(401);
    expect(missing.webSocket).toBeNull();
    const denied = await gw.fetch(`/prod?token=deny:${uid()}`, upgrade());
    expect(denied.status).toBe(403);
    expect(denied.webSocket).toBeNull();
  });

  it("carries the authorizer's decision into every message's event without asking again", async () => {
    const gw = await gatewayFor(custom(`ws-auth-${uid()}`));
    const token = `allow:${uid()}`;
    const c = await open(gw, `/prod?token=${token}`);
    for (let i = 0; i < 2; i++) {
      c.send(JSON.stringify({ action: "whoami" }));
      const event = await c.nextJson<{ requestContext: Record<string, unknown> }>();
      expect(event.requestContext.eventType).toBe("MESSAGE");
      expect(event.requestContext.routeKey).toBe("whoami");
      expect(event.requestContext.authorizer).toMatchObject({ principalId: `user-${token}`, user: "alice", n: 1, ok: true });
    }
    // resultTtlSeconds is 0: every upgrade would ask again, so one call proves the messages did not.
    const asked = (await (await (env as unknown as { AUTHORIZER: Fetcher }).AUTHORIZER.fetch(`http://authorizer/count?token=${token}`)).json()) as { count: number };
    expect(asked.count).toBe(1);
  });

  it("reads a REQUEST authorizer's identity from a header as well", async () => {
    const def = custom(`ws-auth-${uid()}`);
    (def.authorizers!.gate as { identitySource: string[] }).identitySource = ["$request.header.x-token"];
    const gw = await gatewayFor(def);
    expect((await gw.fetch(`/prod?token=allow:${uid()}`, upgrade())).status).toBe(401);
    expect((await gw.fetch("/prod", upgrade({ "x-token": `deny:${uid()}` }))).status).toBe(403);
    const c = await open(gw, "/prod", { "x-token": `allow:${uid()}` });
    c.send(JSON.stringify({ action: "whoami" }));
    expect(await c.nextJson()).toMatchObject({ requestContext: { authorizer: { user: "alice" } } });
  });

  it("takes a JWT from a header and passes its claims to messages", async () => {
    const key = await signingKey("ES256", `k-${uid()}`);
    const gw = await gatewayFor({
      name: `ws-jwt-${uid()}`,
      flavor: "websocket",
      stages: { prod: {} },
      authorizers: { users: { type: "jwt", issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.jwk as Record<string, unknown>] } } },
      routes: { $connect: { authorizer: "users", integration: { type: "mock" } }, ...echoEvents } as ApiDefinition["routes"],
    });
    expect((await gw.fetch("/prod", upgrade({ authorization: "Bearer nope" }))).status).toBe(401);
    const token = await sign(key, claims({ sub: "carol" }));
    const c = await open(gw, "/prod", { authorization: `Bearer ${token}` });
    c.send(JSON.stringify({ action: "whoami" }));
    const event = await c.nextJson<{ requestContext: { authorizer: { principalId: string; claims: { sub: string } } } }>();
    expect(event.requestContext.authorizer.principalId).toBe("carol");
    expect(event.requestContext.authorizer.claims.sub).toBe("carol");
  });

  it("refuses by resource policy with 403", async () => {
    const gw = await gatewayFor({
      name: `ws-policy-${uid()}`,
      flavor: "websocket",
      stages: { prod: {} },
      routes: { $connect: { resourcePolicy: { deny: { ips: ["203.0.113.0/24"] } }, integration: { type: "mock" } } },
    });
    expect((await gw.fetch("/prod", upgrade({ "cf-connecting-ip": "203.0.113.9" }))).status).toBe(403);
    expect((await gw.fetch("/prod", upgrade({ "cf-connecting-ip": "198.51.100.1" }))).status).toBe(101);
  });

  it("requires an API key when $connect says so", async () => {
    const gw = await gatewayFor({
      name: `ws-key-${uid()}`,
      flavor: "websocket",
      stages: { prod: {} },
      routes: { $connect: { apiKeyRequired: true, integration: { type: "mock" } } },
    });
    const res = await gw.fetch("/prod", upgrade());
    expect(res.status).toBe(403);
    expect(await res.text()).toBe('{"message":"Forbidden"}');
  });

  it("limits new connections per second per stage with 429 (the $connect route's throttle)", async () => {
    const gw = await gatewayFor({
      name: `ws-rate-${uid()}`,
      flavor: "websocket",
      stages: { prod: {} },
      websocket: { limits: { newConnectionsPerSecond: 0.01 } },
      routes: { $default: { integration: { type: "mock" } } },
    });
    expect((await gw.fetch("/prod", upgrade())).status).toBe(101);
    const refused = await gw.fetch("/prod", upgrade());
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).not.toBeNull();
  });
});

describe("the $connect integration", () => {
  it("refuses the connection when the $connect integration fails (502, no socket)", async () => {
    const gw = await gatewayFor({
      name: `ws-connect-${uid()}`,
      flavor: "websocket",
      stages: { prod: {} },
      routes: { $connect: { integration: { type: "service", service: "LAMBDA_CHOOSE", payloadFormat: "1.0" } }, $default: { integration: { type: "mock" } } },
    });
    // LAMBDA_CHOOSE returns JSON.parse(event.body): a CONNECT event has no body, so it throws → 502.
    const res = await gw.fetch("/prod", upgrade());
    expect(res.status).toBe(502);
    expect(res.webSocket).toBeNull();
  });

  it("refuses with the status a mock $connect answers", async () => {
    const gw = await gatewayFor({
      name: `ws-connect-${uid()}`,
      flavor: "websocket",
      stages: { prod: {} },
      routes: { $connect: { integration: { type: "mock", status: 403, body: { message: "closed for maintenance" } } } },
    });
    const res = await gw.fetch("/prod", upgrade());
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ message: "closed for maintenance" });
  });

  it("calls an http_proxy $connect integration once per connection", async () => {
    const path = `ws-connect-${uid()}`;
    const gw = await gatewayFor({
      name: path,
      flavor: "websocket",
      stages: { prod: {} },
      routes: {
        $connect: { integration: { type: "http_proxy", uri: `${backendUrl()}/echo/${path}` } },
        $default: { routeResponse: true, integration: { type: "mock", body: "ok" } },
      },
    });
    const before = await hits(`/echo/${path}`);
    const c = await open(gw, "/prod?room=lobby");
    expect(await hits(`/echo/${path}`)).toBe(before + 1);
    c.send("hello");
    expect(await c.next()).toBe("ok");
  });
});

describe("the CONNECT event", () => {
  it("is Amazon's: eventType, routeKey, connectionId, connectedAt, domainName, stage, headers and query string", async () => {
    // A $connect that records its event in a stage variable is not possible; instead the event of a later
    // message carries the same connection facts, and LAMBDA_ECHO's CONNECT reply (200) lets the connection in.
    const gw = await gatewayFor({
      name: `ws-event-${uid()}`,
      flavor: "websocket",
      stages: { prod: {} },
      routes: { $connect: { integration: { type: "service", service: "LAMBDA_ECHO", payloadFormat: "1.0" } }, ...echoEvents } as ApiDefinition["routes"],
    });
    const c = await open(gw, "/prod?room=lobby", { "user-agent": "ws-test" });
    c.send(JSON.stringify({ action: "whoami", n: 1 }));
    const event = await c.nextJson<{ body: string; requestContext: Record<string, unknown> }>();
    expect(event.body).toBe('{"action":"whoami","n":1}');
    expect(event.requestContext).toMatchObject({ eventType: "MESSAGE", routeKey: "whoami", stage: "prod", domainName: "gateway.test", messageDirection: "IN", identity: { userAgent: "ws-test" } });
    expect(event.requestContext.connectionId).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(typeof event.requestContext.connectedAt).toBe("number");
    expect(event.requestContext.messageId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
