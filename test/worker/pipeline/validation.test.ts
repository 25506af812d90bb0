/**
 * Request validation through the pipeline, replaying the recorded request-validation cases
 * (shared/conformance/aws-recorded.json, area "request-validation") and Portico's 415 for non-JSON bodies.
 */
import { describe, expect, it } from "vitest";
import type { ApiDefinition, JsonSchema, RouteDefinition } from "../../../src/config/types.ts";
import { gatewayFor } from "../support/gateway.ts";
import { uniqueSegment, workerHits } from "../integrations/backends.ts";

const testSchema: JsonSchema = {
  $schema: "http://json-schema.org/draft-04/schema#",
  title: "testSchema",
  type: "object",
  properties: { a: { type: "number" }, b: { type: "number" } },
  required: ["a", "b"],
};

const models: Record<string, JsonSchema> = {
  testSchema,
  testSchemaList: { type: "array", items: { $ref: "https://apigateway.amazonaws.com/restapis/abc123/models/testSchema" } },
  StatusModel: { type: "object", properties: { Status: { type: "string" }, Order: { type: "integer" } }, required: ["Status", "Order"] },
  TestModel: {
    type: "object",
    properties: { status: { oneOf: [{ type: "null" }, { $ref: "https://apigateway.amazonaws.com/restapis/abc123/models/StatusModel" }] } },
    required: ["status"],
  },
};

const lambdaEcho: RouteDefinition["integration"] = { type: "service", service: "LAMBDA_ECHO", payloadFormat: "1.0" };
const mockOk: RouteDefinition["integration"] = { type: "mock", body: { data: "ok" } };

/** The recorded APIs: /nested/{test} behind an AWS_PROXY Lambda echo, /path behind a mock, /validation. */
function api(validatorOn = true): ApiDefinition {
  const nested = validatorOn ? { headers: ["x-header-param"], path: ["test"], query: ["qs1"], body: "testSchema" } : undefined;
  return {
    name: "validation",
    stages: { local: {} },
    models,
    routes: {
      "GET /nested/{test}": { integration: lambdaEcho, ...(nested ? { validate: nested } : {}) },
      "POST /nested/{test}": { integration: lambdaEcho, ...(nested ? { validate: nested } : {}) },
      "GET /validation": { integration: mockOk, validate: { query: ["q1"] } },
      "POST /path": { integration: mockOk, validate: { body: "testSchemaList" } },
      "POST /oneof": { integration: mockOk, validate: { body: "TestModel" } },
      "POST /guarded": { integration: lambdaEcho, validate: { headers: ["h1", "h2"], query: ["q1", "q2"] } },
    },
  };
}

const json = { "content-type": "application/json" };
const missing = (names: string) => JSON.stringify({ message: `Missing required request parameters: [${names}]` });

describe("recorded request validation", () => {
  it("counts a blank query string as missing (rest-validation-blank-querystring-is-missing)", async () => {
    const res = await (await gatewayFor(api())).fetch("/local/validation?q1=", { headers: { ...json, accept: "application/json" } });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(missing("q1"));
  });

  it("counts a blank or whitespace-only header as missing", async () => {
    const gw = await gatewayFor(api());
    const res = await gw.fetch("/local/nested/value?qs1=test", { headers: { "x-header-param": "   " } });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(missing("x-header-param"));
  });

  it("reports a missing query string (rest-validation-missing-querystring)", async () => {
    const res = await (await gatewayFor(api())).fetch("/local/nested/value", { headers: { "x-header-param": "test" } });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(missing("qs1"));
  });

  // A path parameter is never blank here (an empty segment matches no route), so only headers and query show.
  it("lists headers, then path, then query string, each in the order declared, before looking at the body", async () => {
    const gw = await gatewayFor(api());
    const res = await gw.fetch("/local/guarded", { method: "POST", headers: json, body: "not json" });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(missing("h1, h2, q1, q2"));
    const both = await gw.fetch("/local/nested/value", { method: "POST", headers: json, body: "not json" });
    expect(await both.text()).toBe(missing("x-header-param, qs1"));
  });

  it("validates an absent body against the model even on GET (rest-validation-empty-body-get-invalid)", async () => {
    const res = await (await gatewayFor(api())).fetch("/local/nested/value?qs1=test", { headers: { "x-header-param": "test" } });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('{"message":"Invalid request body"}');
    expect(res.headers.get("x-amzn-ErrorType")).toBe("BadRequestException");
  });

  it("passes a valid request through with the body as sent (rest-validation-valid-request-passes)", async () => {
    const res = await (await gatewayFor(api())).fetch("/local/nested/value?qs1=test", {
      method: "POST",
      headers: { "x-header-param": "test", ...json },
      body: '{"a": 1, "b": 2}',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ body: '{"a": 1, "b": 2}' });
  });

  it("lets anything through when the validator is off (rest-validation-disabled-validator-passes)", async () => {
    const res = await (await gatewayFor(api(false))).fetch("/local/nested/value", { method: "POST", headers: json, body: '{"test": "test"}' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ body: '{"test": "test"}' });
  });

  it("resolves $ref between models in Amazon's URL form (rest-validation-ref-model-array-ok)", async () => {
    const gw = await gatewayFor(api());
    const ok = await gw.fetch("/local/path", { method: "POST", headers: json, body: '[{"a": 1, "b": 2}]' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ data: "ok" });
    const bad = await gw.fetch("/local/path", { method: "POST", headers: json, body: '[{"a": 1}]' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toBe('{"message":"Invalid request body"}');
  });

  it("refuses a missing body on a $ref model (rest-validation-ref-model-no-body)", async () => {
    const res = await (await gatewayFor(api())).fetch("/local/path", { method: "POST" });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('{"message":"Invalid request body"}');
  });

  it("accepts either branch of a oneOf with a $ref (rest-validation-oneof-successful)", async () => {
    const gw = await gatewayFor(api());
    const res = await gw.fetch("/local/oneof", { method: "POST", headers: json, body: '{"status": null}' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: "ok" });
    const model = await gw.fetch("/local/oneof", { method: "POST", headers: json, body: '{"status": {"Status": "x", "Order": 1}}' });
    expect(model.status).toBe(200);
  });

  it("refuses data matching no branch (rest-validation-oneof-failed-validation-bad-data)", async () => {
    const res = await (await gatewayFor(api())).fetch("/local/oneof", { method: "POST", headers: json, body: '{"badFormat": "bla"}' });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('{"message":"Invalid request body"}');
  });
});

describe("content types on a body-validating route", () => {
  it.each(["text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data; boundary=x"])(
    "answers 415 to %s without calling the backend",
    async (contentType) => {
      const test = uniqueSegment();
      const res = await (await gatewayFor(api())).fetch(`/local/nested/${test}?qs1=1`, {
        method: "POST",
        headers: { "content-type": contentType, "x-header-param": "1" },
        body: '{"a": 1, "b": 2}',
      });
      expect(res.status).toBe(415);
      expect(await res.text()).toBe('{"message":"Unsupported Media Type"}');
      expect(res.headers.get("x-amzn-ErrorType")).toBe("UnsupportedMediaTypeException");
      expect(await workerHits("LAMBDA_ECHO", `/nested/${test}`)).toBe(0);
    },
  );

  it.each(["application/json; charset=utf-8", "application/problem+json", "APPLICATION/JSON"])("validates %s as JSON", async (contentType) => {
    const res = await (await gatewayFor(api())).fetch("/local/nested/x?qs1=1", {
      method: "POST",
      headers: { "content-type": contentType, "x-header-param": "1" },
      body: '{"a": 1, "b": 2}',
    });
    expect(res.status).toBe(200);
  });
});
