/**
 * Conformance: every recorded case of areas "lambda-proxy" and "lambda-proxy-response" (REST and HTTP), replayed
 * through a `service` integration to a test-only Lambda-style Worker (test/support/lambda-echo-worker.js):
 *   - LAMBDA_CHOOSE returns JSON.parse(event.body), the recorded setup where the client chooses the Lambda result;
 *   - LAMBDA_ECHO returns {statusCode: 200, body: JSON.stringify(event)}, the recorded echo handler.
 * REST cases use payload format 1.0 (what REST APIs send; 2.0's reply rules differ, e.g. a reply without
 * statusCode is an inferred body there), HTTP cases 2.0.
 *
 * The cases are copied verbatim from shared/conformance/aws-recorded.json into aws-recorded.lambda-proxy.json.
 */
import { describe, expect, it } from "vitest";
import type { ApiDefinition, Flavor, IntegrationDefinition } from "../../../src/config/types.ts";
import { gatewayFor } from "../support/gateway.ts";
import recorded from "./aws-recorded.lambda-proxy.json";
import { compareResponse, recordedRequest, type RecordedCase } from "./recorded.ts";

const CASES = (recorded as unknown as RecordedCase[]).filter((c) => c.area === "lambda-proxy" || c.area === "lambda-proxy-response");

interface Setup {
  flavor: Flavor;
  stage: string;
  routes: ApiDefinition["routes"];
  variables?: Record<string, string>;
  /** HTTP APIs on the $default stage have no stage segment: a custom domain maps this host to the stage. */
  host?: string;
}

const lambda = (service: "LAMBDA_ECHO" | "LAMBDA_CHOOSE", payloadFormat: "1.0" | "2.0"): IntegrationDefinition => ({
  type: "service",
  service,
  payloadFormat,
});

/** REST: /{proxy+} ANY to the Lambda whose result the client chooses; stage 'test'. */
const chooseRest: Setup = { flavor: "rest", stage: "test", routes: { "ANY /{proxy+}": { integration: lambda("LAMBDA_CHOOSE", "1.0") } } };
/** REST: /{proxy+} and /hardcoded, both ANY, to the echo Lambda; stage 'stage'. */
const echoRest: Setup = {
  flavor: "rest",
  stage: "stage",
  routes: { "ANY /{proxy+}": { integration: lambda("LAMBDA_ECHO", "1.0") }, "ANY /hardcoded": { integration: lambda("LAMBDA_ECHO", "1.0") } },
};

const SETUPS: Record<string, Setup> = {
  "http-lambda-v2-event-multivalue-join": {
    flavor: "http",
    stage: "prod",
    host: "api.example.com",
    routes: { $default: { integration: lambda("LAMBDA_ECHO", "2.0") } },
  },
  "http-lambda-v2-infer-string": {
    flavor: "http",
    stage: "prod",
    host: "api.example.com",
    routes: { "GET /route": { integration: lambda("LAMBDA_CHOOSE", "2.0") } },
    // The Lambda returns the JSON string "Hello from Lambda!" (a GET carries no body to choose it with).
    variables: { lambdaResult: JSON.stringify("Hello from Lambda!") },
  },
  "rest-lambda-proxy-event-with-double-slash": echoRest,
  "rest-lambda-proxy-event-with-params-encoding": echoRest,
  "rest-lambda-proxy-event-with-params-encoding-multi": echoRest,
  "rest-lambda-proxy-event-with-path-encoded-email": echoRest,
  "rest-lambda-proxy-event-with-prepended-slash": echoRest,
  "rest-lambda-proxy-event-with-trailing-slash-and-query-params": echoRest,
  "rest-lambda-proxy-ignores-request-parameters": {
    flavor: "rest",
    stage: "test",
    // Required method parameters without a validator: Portico has no such thing to configure, nothing is enforced.
    routes: { "ANY /{pathVariable}": { integration: lambda("LAMBDA_ECHO", "1.0") } },
  },
  "rest-lambda-proxy-b64-encoded-true": chooseRest,
  "rest-lambda-proxy-empty-response": chooseRest,
  "rest-lambda-proxy-multi-headers-invalid": chooseRest,
  "rest-lambda-proxy-multi-headers-overwrite": chooseRest,
  "rest-lambda-proxy-multi-headers-overwrite-casing": chooseRest,
  "rest-lambda-proxy-no-body": chooseRest,
  "rest-lambda-proxy-only-headers": chooseRest,
  "rest-lambda-proxy-status-code-str": chooseRest,
  "rest-lambda-proxy-status-passthrough-ignores-integration-responses": {
    flavor: "rest",
    stage: "api",
    routes: { "GET /{proxy+}": { integration: lambda("LAMBDA_CHOOSE", "1.0") } },
    variables: {
      lambdaResult: JSON.stringify({ isBase64Encoded: false, statusCode: 300, headers: { "content-type": "application/xml" }, body: "<message>completed</message>" }),
    },
  },
  "rest-lambda-proxy-with-headers-null": chooseRest,
  "rest-lambda-proxy-wrong-format": chooseRest,
};

/**
 * Where Portico deliberately differs from the recording: the listed fields are asserted with Portico's value
 * instead (so a change either way is noticed), and the reason is given.
 */
const DEVIATIONS: Record<string, { reason: string; fields: Record<string, unknown> }> = {
  "rest-lambda-proxy-event-with-double-slash": {
    reason:
      "Portico normalises every path once before routing (DESIGN.md, security rules): doubled slashes collapse, so the " +
      "path matched is the path forwarded; Amazon keeps a doubled slash inside a greedy parameter",
    fields: { path: "/proxy-value/double-slash", pathParameters: { proxy: "proxy-value/double-slash" } },
  },
};

function definition(setup: Setup): ApiDefinition {
  return {
    name: "recorded",
    flavor: setup.flavor,
    stages: { [setup.stage]: { variables: setup.variables ?? {} } },
    ...(setup.host ? { domains: [{ host: setup.host, stage: setup.stage }] } : {}),
    routes: setup.routes,
  };
}

describe("the replay's comparison", () => {
  const base = CASES.find((c) => c.id === "rest-lambda-proxy-ignores-request-parameters")!;
  const event = base.expected.body as Record<string, unknown>;
  const reply = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status });

  it("finds no difference in the recording itself, placeholders filled consistently", async () => {
    const filled = JSON.parse(JSON.stringify(event).replace(/"<host:1>"/g, '"h"').replace(/"<[^"<>]+>"/g, '"x"')) as Record<string, unknown>;
    expect(await compareResponse(base, reply(filled))).toEqual([]);
  });

  it("reports a wrong status, a changed value, a missing key and an extra key", async () => {
    const changed = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
    changed.path = "/other";
    delete changed.resource;
    changed.extra = true;
    const problems = (await compareResponse(base, reply(changed, 201))).join("\n");
    expect(problems).toMatch(/^status: 201/m);
    expect(problems).toMatch(/^body\.path: "\/other"/m);
    expect(problems).toMatch(/^body\.resource: undefined/m);
    expect(problems).toMatch(/^body\.extra: not in the recording/m);
  });

  it("reports one placeholder standing for two different values, and a header that differs", async () => {
    const synthetic: RecordedCase = {
      ...base,
      expected: { status: 200, headers: { "x-a": "1", "Content-Length": "2" }, body: { a: "<v:1>", b: "<v:1>" }, body_match: "json" },
    };
    const problems = (await compareResponse(synthetic, new Response('{"a":1,"b":2}', { headers: { "x-a": "2" } }))).join("\n");
    expect(problems).toMatch(/^body\.b: 2, but <v:1> was 1/m);
    expect(problems).toMatch(/^header x-a: "2", recorded "1"/m);
    expect(problems).toMatch(/^content-length: body has 13 bytes, recorded 2/m);
  });
});

describe("recorded Lambda proxy cases", () => {
  it("has a setup for every recorded case, and covers both areas and both API types", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(20);
    expect(CASES.map((c) => c.id).filter((id) => !(id in SETUPS))).toEqual([]);
    expect(new Set(CASES.map((c) => `${c.area}/${c.api_type}`))).toEqual(
      new Set(["lambda-proxy/REST", "lambda-proxy/HTTP", "lambda-proxy-response/REST", "lambda-proxy-response/HTTP"]),
    );
  });

  it.each(CASES.map((c) => [c.id, c] as const))("%s", async (id, c) => {
    const setup = SETUPS[id]!;
    const gw = await gatewayFor(definition(setup));
    const res = await gw.request(recordedRequest(c, setup.host ? `https://${setup.host}` : "https://gateway.test"));
    const problems = await compareResponse(c, res, DEVIATIONS[id]?.fields);
    expect(problems, c.notes ?? c.config).toEqual([]);
  });
});
