/**
 * import → export → import is lossless for everything Portico models, checked on what matters: the compiled
 * bundle's id (the SHA-256 of its canonical JSON). Over every fixture of Amazon's (test/fixtures/aws) and the
 * example API, and — a property, with fast-check — over a definition using every section Portico has, with one
 * node replaced by something random wherever that still compiles. For Amazon's fixtures the export's Amazon
 * extensions alone (every `x-portico` removed) give the same API back: the export is faithful to Amazon's format,
 * not a copy in Portico's.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkDefinition, compileDefinition } from "../compile.ts";
import { parseDefinitionText } from "../load.ts";
import { importApi, importText } from "../import/index.ts";
import type { ApiDefinition } from "../types.ts";
import { exportApi } from "./index.ts";
import example from "../../../examples/petstore/api.yaml?raw";
import chatExample from "../../../examples/chat/api.yaml?raw";
import f1 from "../../../test/fixtures/aws/http-api-integrations.oas30.json?raw";
import f2 from "../../../test/fixtures/aws/http-api-jwt-lambda.cfn.json?raw";
import f3 from "../../../test/fixtures/aws/petstore-example.swagger2.json?raw";
import f4 from "../../../test/fixtures/aws/petstore-http-api.oas30.json?raw";
import f5 from "../../../test/fixtures/aws/petstore-proxy.oas30.json?raw";
import f6 from "../../../test/fixtures/aws/petstore-proxy.swagger2.json?raw";
import f7 from "../../../test/fixtures/aws/reqvalidators.swagger2.json?raw";
import f8 from "../../../test/fixtures/aws/sam-http-api-jwt-lambda.yaml?raw";
import f9 from "../../../test/fixtures/aws/sam-inline-swagger.yaml?raw";
import f10 from "../../../test/fixtures/aws/simple-petstore.swagger2.json?raw";
import f11 from "../../../test/fixtures/aws/s3-sqs-service-proxy.swagger2.json?raw";
import f12 from "../../../test/fixtures/aws/sqs-subtypes-http-api.oas30.json?raw";
import f13 from "../../../test/fixtures/aws/rest-streaming-private.oas30.json?raw";

const fixtures: Record<string, string> = {
  "http-api-integrations.oas30.json": f1,
  "http-api-jwt-lambda.cfn.json": f2,
  "petstore-example.swagger2.json": f3,
  "petstore-http-api.oas30.json": f4,
  "petstore-proxy.oas30.json": f5,
  "petstore-proxy.swagger2.json": f6,
  "reqvalidators.swagger2.json": f7,
  "sam-http-api-jwt-lambda.yaml": f8,
  "sam-inline-swagger.yaml": f9,
  "simple-petstore.swagger2.json": f10,
  "s3-sqs-service-proxy.swagger2.json": f11,
  "sqs-subtypes-http-api.oas30.json": f12,
  "rest-streaming-private.oas30.json": f13,
};

const OPTIONS = { localDev: true };
const idOf = async (def: unknown) => (await compileDefinition(def, OPTIONS)).id;
/** Through JSON, as a file would be: nothing shared between the document and what is read back. */
const roundTrip = (def: ApiDefinition) => importApi(JSON.parse(JSON.stringify(exportApi(def)))).definition!;
const withoutPortico = (doc: unknown) => JSON.parse(JSON.stringify(doc, (key, value) => (key === "x-portico" ? undefined : value)));

describe("import → export → import", () => {
  const names = Object.keys(fixtures);
  it("covers every fixture", () => expect(names.length).toBeGreaterThanOrEqual(13));

  for (const name of names)
    it(`${name}: the same bundle, from the full export and from Amazon's extensions alone`, async () => {
      const { definition } = importText(fixtures[name]!, { lambda: { DifferentFunction: "DIFFERENT" }, sigv4: { credentials: { AKIAEXAMPLEEXAMPLE01: "SECRET" } } });
      const id = await idOf(definition);
      expect(await idOf(roundTrip(definition!))).toBe(id);
      expect(await idOf(importApi(withoutPortico(exportApi(definition!))).definition)).toBe(id);
    });

  it("the example API (Portico-only features travel in x-portico)", async () => {
    const def = parseDefinitionText(example).value as ApiDefinition;
    expect(await idOf(roundTrip(def))).toBe(await idOf(def));
    const doc = exportApi(def);
    expect(doc.openapi).toBe("3.0.1");
    expect(JSON.stringify(doc)).toContain('"x-amazon-apigateway-integration"');
  });
});

describe("WebSocket APIs", () => {
  it("are refused: Amazon's OpenAPI exports describe REST and HTTP APIs only", async () => {
    const chat = parseDefinitionText(chatExample).value as ApiDefinition;
    expect(checkDefinition(chat, OPTIONS)).toEqual([]);
    expect(chat.flavor).toBe("websocket");
    expect(() => exportApi(chat)).toThrow("a WebSocket API (flavor: websocket) cannot be exported as OpenAPI");
  });
});

describe("issue 15's integrations in Amazon's fields", () => {
  type Op = Record<string, Record<string, unknown>>;
  const opOf = (doc: Record<string, unknown>, path: string, method: string) => (doc.paths as Record<string, Record<string, Op>>)[path]![method]!;

  it("aws by ARN or subtype, VPC links and streaming as Amazon writes them; what Amazon has no field for in x-portico", () => {
    const doc = exportApi(EVERYTHING);
    const sqs = opOf(doc, "/queue-orders", "post");
    expect(sqs["x-amazon-apigateway-integration"]).toEqual({
      type: "aws",
      httpMethod: "POST",
      uri: "arn:aws:apigateway:eu-west-1:sqs:path/123456789012/orders",
      timeoutInMillis: 9000,
      requestTemplates: { "application/json": "Action=SendMessage&MessageBody=$util.urlEncode($input.body)" },
      requestParameters: { "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'" },
      passthroughBehavior: "never",
      responses: { default: { statusCode: 202 } },
    });
    // The secrets signed with and the endpoint: Portico's, beside Amazon's part.
    expect(sqs["x-portico"]).toEqual({ integration: EVERYTHING.routes["POST /queue-orders"]!.integration });
    expect(opOf(doc, "/private/{proxy+}", "x-amazon-apigateway-any-method")["x-amazon-apigateway-integration"]).toMatchObject({ type: "http_proxy", connectionType: "VPC_LINK", connectionId: "ORDERS_VPC" });
    expect(opOf(doc, "/ticks", "get")["x-amazon-apigateway-integration"]).toMatchObject({ type: "http_proxy", responseTransferMode: "STREAM", timeoutInMillis: 600000 });
    expect(opOf(doc, "/chat", "post")["x-amazon-apigateway-integration"]).toMatchObject({
      type: "aws_proxy",
      uri: "arn:aws:apigateway:us-east-1:lambda:path/2021-11-15/functions/arn:aws:lambda:us-east-1:123456789012:function:CHAT/response-streaming-invocations",
      responseTransferMode: "STREAM",
    });
    // Cloudflare's own kinds: no Amazon integration at all, the route whole in x-portico.
    const queue = opOf(doc, "/events", "post");
    expect(queue["x-amazon-apigateway-integration"]).toBeUndefined();
    expect(queue["x-portico"]).toMatchObject({ $replace: true, integration: { type: "queue", queue: "EVENTS" } });

    const http = opOf(exportApi(EVERYTHING_HTTP), "/orders", "post");
    expect(http["x-amazon-apigateway-integration"]).toEqual({
      type: "aws_proxy",
      integrationSubtype: "SQS-SendMessage",
      payloadFormatVersion: "1.0",
      timeoutInMillis: 5000,
      requestParameters: { QueueUrl: "$stageVariables.queue", MessageBody: "$request.body", MessageGroupId: "$request.header.x-customer" },
    });
  });
});

/** A definition that uses every section and most fields Portico has. */
const EVERYTHING: ApiDefinition = {
  name: "everything",
  flavor: "rest",
  description: "All of it.",
  settings: { quotas: { stagesPerApi: 12 }, maxBodyBytes: 2048, requestIdHeader: "x-request-id", versionHeader: false, binaryMediaTypes: ["image/png"], apiKeySource: "HEADER", rateLimitHeaders: "legacy", cacheStatusHeader: "X-Cached", jsonLimits: { maxDepth: 20 } },
  stages: {
    prod: { description: "live", variables: { backend: "https://orders.example.com", region: "eu" }, throttle: { rate: 10, burst: 20 }, cache: { ttl: 60, statuses: ["2xx", 404] } },
    dev: { variables: { backend: "https://dev.example.com" } },
  },
  domains: [{ host: "api.example.com", stage: "prod" }, { host: "api.example.com", basePath: "beta", stage: "dev" }],
  domainRouting: {
    "api.example.com": {
      routingMode: "ROUTING_RULE_THEN_API_MAPPING",
      rules: [{ priority: 10, conditions: [{ matchHeaders: { anyOf: [{ header: "x-version", valueGlob: "beta*" }] } }], actions: [{ invokeApi: { stage: "dev", stripBasePath: true } }] }],
    },
  },
  cors: { allowOrigins: ["https://app.example.com"], allowHeaders: ["authorization"], maxAge: 600, allowCredentials: true },
  models: { Order: { type: "object", required: ["item"], properties: { item: { type: "string" }, tags: { type: "array", items: { $ref: "#/models/Tag" } } } }, Tag: { $schema: "http://json-schema.org/draft-04/schema#", type: "string" } },
  gatewayResponses: { MISSING_AUTHENTICATION_TOKEN: { status: 404, body: '{"error":"$context.error.messageString"}' }, DEFAULT_5XX: { headers: { "retry-after": "5", "x-req": "$context.requestId" } } },
  authorizers: {
    users: { type: "jwt", issuer: "https://issuer.example.com/", audience: ["orders"], jwksUrl: "https://issuer.example.com/jwks.json", claimsToHeaders: { "x-user": "sub" }, clockSkewSeconds: 10 },
    pool: { type: "jwt", issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC", allowAnyAudience: true, jwksUrl: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC/.well-known/jwks.json" },
    gate: { type: "custom", service: "AUTH", validationExpression: "Bearer .+", resultTtlSeconds: 60 },
    remote: { type: "custom", mode: "request", url: "https://authz.example.com/decide", identitySource: ["$request.header.Cookie", "$context.stage"], responseFormat: "simple", contextToHeaders: { "x-tenant": "tenant" } },
    partners: { type: "sigv4", region: "eu-west-1", credentials: { AKIAEXAMPLEEXAMPLE01: "PARTNER_SECRET" } },
    devices: { type: "mtls", subjects: ["/^CN=device-[0-9]+$/"] },
  },
  resourcePolicy: { deny: { ips: ["203.0.113.0/24"], countries: ["KP"] }, allow: { asns: [64496] } },
  usagePlans: { basic: { stages: ["prod"], throttle: { rate: 1, burst: 2 }, quota: { limit: 100, period: "MONTH", offset: 3 }, routeThrottles: { "POST /orders": { rate: 0.5, burst: 1 } } } },
  routes: {
    "GET /orders/{id}": { authorizer: "users", integration: { type: "http_proxy", uri: "${stageVariables.backend}/orders/{id}", headers: { "x-region": "${stageVariables.region}" }, timeoutMs: 5000 }, cache: { keys: ["query.page", "header.Accept"], ttl: 30 } },
    "POST /orders": {
      authorizer: { name: "pool", scopes: ["orders/write"] },
      apiKeyRequired: true,
      validate: { body: "Order", headers: ["x-client"], query: ["dry"] },
      throttle: { rate: 5, burst: 5, shadow: true },
      integration: {
        type: "http",
        uri: "https://orders.example.com/orders",
        method: "PUT",
        requestTemplates: { "application/json": '{"item": $input.json(\'$.item\')}' },
        passthroughBehavior: "NEVER",
        requestParameters: { "integration.request.header.x-stage": "context.stage" },
        responses: { "4\\d{2}": { statusCode: 400, responseTemplates: { "application/json": '{"bad": true}' } }, default: { statusCode: "201", responseParameters: { "method.response.header.Location": "integration.response.body.url" } } },
      },
    },
    "PUT /orders/{id}": { validate: { body: { type: "object", required: ["item"] }, path: ["id"] }, authorizer: "gate", integration: { type: "service", service: "ORDERS", payloadFormat: "custom", requestTemplates: { "application/json": "{}" } } },
    "GET /health": { description: "liveness", integration: { type: "mock", status: 203, headers: { "x-ok": "1" }, body: { ok: true } } },
    "GET /partner": { authorizer: "partners", resourcePolicy: { allow: { ips: ["10.0.0.0/8"] } }, integration: { type: "service", service: "PARTNER", payloadFormat: "1.0" } },
    "GET /device": { authorizer: "devices", forwardInternalHeaders: ["x-envoy-original-path"], integration: { type: "http_proxy", uri: "http://devices.internal/d", service: "DEVICES" } },
    "ANY /files/{proxy+}": { authorizer: "remote", integration: { type: "service", service: "FILES", path: "/files/{proxy}" } },
    // Issue 15's kinds and fields.
    "POST /queue-orders": {
      integration: {
        type: "aws",
        uri: "arn:aws:apigateway:eu-west-1:sqs:path/123456789012/orders",
        httpMethod: "POST",
        credentials: { accessKeyId: "AWS_KEY_ID", secretAccessKey: "AWS_SECRET", sessionToken: "AWS_TOKEN" },
        endpoint: "${stageVariables.backend}",
        timeoutMs: 9000,
        requestParameters: { "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'" },
        requestTemplates: { "application/json": "Action=SendMessage&MessageBody=$util.urlEncode($input.body)" },
        passthroughBehavior: "NEVER",
        responses: { default: { statusCode: 202 } },
      },
    },
    "GET /objects/{key}": { integration: { type: "aws", uri: "arn:aws:apigateway:eu-west-1:s3:path/photos/{key}", httpMethod: "GET", credentials: { accessKeyId: "AWS_KEY_ID", secretAccessKey: "AWS_SECRET" } } },
    "POST /events": { integration: { type: "queue", queue: "EVENTS", batch: true, delaySeconds: 5, envelope: true } },
    "ANY /photos/{key+}": { integration: { type: "r2", bucket: "PHOTOS", key: "photos/{key}" } },
    "POST /runs/{id}": { integration: { type: "workflow", workflow: "RUNS", instanceId: "run-{id}", requestTemplates: { "application/json": '{"a": 1}' } } },
    "ANY /private/{proxy+}": { integration: { type: "http_proxy", uri: "http://orders.internal/{proxy}", connectionType: "VPC_LINK", connectionId: "ORDERS_VPC" } },
    "GET /ticks": { integration: { type: "http_proxy", uri: "https://events.example.com/ticks", responseTransferMode: "STREAM", streamIdleTimeoutMs: 60000, timeoutMs: 600000 } },
    "POST /chat": { integration: { type: "service", service: "CHAT", payloadFormat: "2.0", responseTransferMode: "STREAM" } },
  },
};

/** The HTTP flavour's share of issue 15: subtypes, and a private integration that sends the request's own path. */
const EVERYTHING_HTTP: ApiDefinition = {
  name: "everything-http",
  flavor: "http",
  stages: { prod: { variables: { queue: "https://sqs.eu-west-1.amazonaws.com/123456789012/orders" } } },
  routes: {
    "POST /orders": {
      integration: {
        type: "aws",
        subtype: "SQS-SendMessage",
        region: "eu-west-1",
        credentials: { accessKeyId: "AWS_KEY_ID", secretAccessKey: "AWS_SECRET" },
        requestParameters: { QueueUrl: "$stageVariables.queue", MessageBody: "$request.body", MessageGroupId: "$request.header.x-customer" },
        timeoutMs: 5000,
      },
    },
    "POST /start": { integration: { type: "aws", subtype: "StepFunctions-StartExecution", credentials: { accessKeyId: "AWS_KEY_ID", secretAccessKey: "AWS_SECRET" }, requestParameters: { StateMachineArn: "arn:aws:states:eu-west-1:123456789012:stateMachine:orders", Input: "$request.body", Region: "eu-west-1" } } },
    "ANY /orders/{proxy+}": { integration: { type: "http_proxy", uri: "http://orders.internal", connectionType: "VPC_LINK", connectionId: "ORDERS_VPC" } },
  },
};

function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  return out;
}
const LEAVES = paths(EVERYTHING).filter((p) => p.length > 1);

function replaced(base: ApiDefinition, path: (string | number)[], replacement: unknown): unknown {
  const copy = structuredClone(base) as unknown as Record<string | number, unknown>;
  let node = copy;
  for (const part of path.slice(0, -1)) node = node[part] as Record<string | number, unknown>;
  if (replacement === undefined && Array.isArray(node)) node.splice(path.at(-1) as number, 1);
  else if (replacement === undefined) delete node[path.at(-1)!];
  else node[path.at(-1)!] = replacement;
  return copy;
}

describe("property: the export of any definition that compiles imports back to the same bundle", () => {
  it("holds for the everything-definition in both flavours", async () => {
    expect(checkDefinition(EVERYTHING, OPTIONS)).toEqual([]);
    expect(await idOf(roundTrip(EVERYTHING))).toBe(await idOf(EVERYTHING));
    const http = { ...EVERYTHING, flavor: "http" as const };
    if (!checkDefinition(http, OPTIONS).length) expect(await idOf(roundTrip(http))).toBe(await idOf(http));
  });

  it("holds for the HTTP flavour's AWS subtypes and private integration", async () => {
    expect(checkDefinition(EVERYTHING_HTTP, OPTIONS)).toEqual([]);
    expect(await idOf(roundTrip(EVERYTHING_HTTP))).toBe(await idOf(EVERYTHING_HTTP));
  });

  it("holds with one node of it removed or replaced", async () => {
    const value = fc.oneof(fc.constant(undefined), fc.constantFrom("", "x", 0, 1, 29000, true, false, ["a"], {}, "GET", "text/plain", "$default"), fc.jsonValue({ maxDepth: 2 }));
    const flavors = fc.constantFrom<"rest" | "http">("rest", "http");
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...LEAVES), value, flavors, async (path, v, flavor) => {
        const def = replaced({ ...EVERYTHING, flavor }, path, v);
        fc.pre(checkDefinition(def, OPTIONS).length === 0);
        expect(await idOf(roundTrip(def as ApiDefinition))).toBe(await idOf(def));
      }),
      { numRuns: 150 },
    );
  }, 60_000);
});
