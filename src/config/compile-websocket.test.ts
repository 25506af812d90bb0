import { describe, expect, it } from "vitest";
import { checkDefinition, compileDefinition } from "./compile.ts";

const ws = (more: Record<string, unknown> = {}, routes: Record<string, unknown> = {}) => ({
  name: "chat",
  flavor: "websocket",
  stages: { prod: {} },
  routes: { $default: { integration: { type: "mock" } }, ...routes },
  ...more,
});
const messages = (def: unknown) => checkDefinition(def).map((e) => `${e.path.join(".")}: ${e.message}`);

describe("WebSocket definitions", () => {
  it("compiles with Amazon's defaults and keeps route keys as written", async () => {
    const { bundle } = await compileDefinition(ws({}, { sendMessage: { routeResponse: true, integration: { type: "mock" } } }));
    expect(bundle.websocket).toEqual({
      routeSelectionExpression: "$request.body.action",
      hubs: 16,
      managementAuthorizer: null,
      limits: { maxMessageBytes: 131072, maxFrameBytes: 32768, idleTimeoutSeconds: 600, maxConnectionSeconds: 7200, newConnectionsPerSecond: 500, messagesPerSecond: 100, messageBurst: 200, maxGroupsPerConnection: 16 },
    });
    expect(bundle.routes.map((r) => [r.key, r.routeResponse])).toEqual([["$default", false], ["sendMessage", true]]);
  });

  it("leaves rest and http bundles without WebSocket fields (their ids do not change)", async () => {
    const { bundle } = await compileDefinition({ name: "x", stages: { p: {} }, routes: { "GET /a": { integration: { type: "mock" } } } });
    expect("websocket" in bundle).toBe(false);
    expect("routeResponse" in bundle.routes[0]!).toBe(false);
  });

  it("reports what does not apply, with field paths", () => {
    expect(
      messages(
        ws(
          { cors: { allowOrigins: ["*"] }, routeSelectionExpression: "action", websocket: { management: { authorizer: "nope" }, limits: { maxFrameBytes: 2000, maxMessageBytes: 1000 } } },
          {
            "bad key": { integration: { type: "mock" } },
            $connect: { routeResponse: true, validate: { body: { type: "object" } }, integration: { type: "mock" } },
            send: { authorizer: "a", cache: { ttl: 1 }, validate: { query: ["x"] }, integration: { type: "mock" } },
          },
        ),
      ),
    ).toEqual(
      expect.arrayContaining([
        "routeSelectionExpression: must read the message body: `$request.body.<field>` or a template with `${request.body.<field>}` parts",
        "cors: CORS does not apply to WebSocket APIs",
        'websocket.management.authorizer: unknown authorizer "nope"',
        "websocket.limits.maxFrameBytes: cannot be larger than maxMessageBytes",
        "routes.bad key: a WebSocket route key is $connect, $disconnect, $default or a custom key (up to 128 characters, no whitespace, not starting with $)",
        "routes.$connect.routeResponse: $connect has no route response (Amazon's two-way routes are $default and custom keys)",
        "routes.$connect.validate.body: $connect has no body; validate headers or query instead",
        "routes.send.authorizer: only on $connect: a connection is authorized once, when it opens",
        "routes.send.cache: WebSocket routes are not cached",
        "routes.send.validate.query: messages have only a body; parameters can be required on $connect",
      ]),
    );
  });

  it("refuses the WebSocket fields on the other flavours", () => {
    expect(messages({ name: "x", stages: { p: {} }, routeSelectionExpression: "$request.body.a", websocket: { hubs: 2 }, routes: { "GET /a": { routeResponse: true, integration: { type: "mock" } } } })).toEqual([
      "routeSelectionExpression: only for flavor: websocket",
      "websocket: only for flavor: websocket",
      "routes.GET /a.routeResponse: only for flavor: websocket",
    ]);
  });

  it("holds WebSocket integrations to every route's outbound and header rules, and refuses what a hub would ignore", () => {
    const routes = {
      $connect: { forwardInternalHeaders: ["x-portico-join", "x-envoy-internal"], integration: { type: "http_proxy", uri: "http://127.0.0.1:9/connect" } },
      send: {
        forwardInternalHeaders: ["x-envoy-internal"],
        integration: { type: "http", uri: "https://backend.example/{room}", requestTemplates: { "application/json": "{}" }, responses: { default: { statusCode: 200 } } },
      },
      lambda: { integration: { type: "service", service: "FN", payloadFormat: "custom" } },
    };
    const found = messages(ws({}, routes));
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^routes\.\$connect\.integration\.uri: .*loopback/),
        "routes.$connect.forwardInternalHeaders.0: Portico's own x-portico-* headers are never forwarded from clients",
        "routes.send.forwardInternalHeaders: only on $connect: messages carry no client headers",
        "routes.send.integration.uri: {room} is not a path parameter of this route",
        "routes.send.integration.requestTemplates: mapping is not supported on WebSocket routes yet",
        "routes.send.integration.responses: mapping is not supported on WebSocket routes yet",
        "routes.lambda.integration.payloadFormat: WebSocket routes send Amazon's WebSocket event: payloadFormat 1.0 or 2.0 (or raw)",
      ]),
    );
    // Local development allows the loopback backend, and nothing else changes.
    const local = checkDefinition(ws({}, routes), { localDev: true }).map((e) => `${e.path.join(".")}: ${e.message}`);
    expect(local.filter((m) => m.startsWith("routes.$connect.integration.uri"))).toEqual([]);
    expect(local).toHaveLength(found.length - 1);
  });

  it("refuses the binding and AWS integration kinds and response streaming on WebSocket routes, one error each, with its field path", () => {
    const routes = {
      sqs: { integration: { type: "aws", uri: "arn:aws:apigateway:us-east-1:sqs:path/123456789012/orders", httpMethod: "POST", credentials: { accessKeyId: "A", secretAccessKey: "S" } } },
      enqueue: { integration: { type: "queue", queue: "ORDERS" } },
      photo: { integration: { type: "r2", bucket: "PHOTOS", key: "photos/latest" } },
      start: { integration: { type: "workflow", workflow: "FLOW" } },
      feed: { routeResponse: true, integration: { type: "http_proxy", uri: "https://backend.example/feed", responseTransferMode: "STREAM" } },
      lambda: { integration: { type: "service", service: "FN", payloadFormat: "1.0", responseTransferMode: "STREAM" } },
    };
    const kind = (type: string) =>
      `integration.type: ${type} integrations are not supported on WebSocket routes (an event is a POST of the message, with no path parameters or mapping); use http, http_proxy, service or mock, e.g. a service Worker that calls the binding`;
    const streaming = "integration.responseTransferMode: WebSocket routes do not stream: a route response is one message (use BUFFERED, the default)";
    expect(messages(ws({}, routes)).sort()).toEqual(
      [
        `routes.sqs.${kind("aws")}`,
        `routes.enqueue.${kind("queue")}`,
        `routes.photo.${kind("r2")}`,
        `routes.start.${kind("workflow")}`,
        `routes.feed.${streaming}`,
        `routes.lambda.${streaming}`,
      ].sort(),
    );
  });

  it("accepts what WebSocket routes can do with the new integration fields: buffered responses and private (VPC_LINK) backends", async () => {
    const routes = {
      $connect: { integration: { type: "http_proxy", uri: "http://orders.internal/connect", connectionType: "VPC_LINK", connectionId: "ORDERS_LINK", responseTransferMode: "BUFFERED" } },
      send: { routeResponse: true, integration: { type: "http", method: "POST", uri: "http://orders.internal/messages", connectionType: "VPC_LINK", connectionId: "ORDERS_LINK" } },
    };
    expect(messages(ws({}, routes))).toEqual([]);
    const { bundle } = await compileDefinition(ws({}, routes));
    expect(bundle.routes.find((r) => r.key === "send")?.integration).toMatchObject({ type: "http", service: "ORDERS_LINK", vpcLink: true });
  });

  it("requires the management authorizer to be sigv4", () => {
    expect(messages(ws({ authorizers: { j: { type: "jwt", issuer: "https://i/", jwks: { keys: [{ kty: "oct" }] } } }, websocket: { management: { authorizer: "j" } } }))).toContain(
      "websocket.management.authorizer: must be a sigv4 authorizer (\"j\" is jwt)",
    );
  });
});
