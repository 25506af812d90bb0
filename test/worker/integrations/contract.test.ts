/**
 * The integration contract: every integration type passes the same suite (as Hono's routers share one).
 * Each case is a route table whose routes use that integration against a real backend — the local Node backend
 * for the HTTP types, the test-only Lambda-style Worker (LAMBDA_ECHO) for the service types — and the suite
 * asserts what every integration promises through the whole pipeline.
 */
import { describe, expect, it } from "vitest";
import type { ApiDefinition, RouteDefinition } from "../../../src/config/types.ts";
import type { IntegrationDefinition } from "../../../src/config/integration-types.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";
import { nodeHits, REQUEST_ID, uniqueSegment, workerHits } from "./backends.ts";

const TIMEOUT_MS = 200;

interface ContractCase {
  name: string;
  /** The integration for a route; `target` is the backend path as a template (`/status/{code}`). */
  integration(target: string, timeoutMs?: number): IntegrationDefinition;
  /** Calls the backend has had for `path`; null when the type has no backend to call (mock). */
  hits: ((path: string) => Promise<number>) | null;
  /** Why a backend that never answers cannot be tested for this type, when it cannot. */
  noHang?: string;
}

const node = (type: "http_proxy" | "http") => (target: string, timeoutMs?: number): IntegrationDefinition => ({
  type,
  uri: backendUrl() + target,
  ...(timeoutMs ? { timeoutMs } : {}),
});

const service = (payloadFormat: "raw" | "1.0" | "2.0") => (target: string, timeoutMs?: number): IntegrationDefinition => ({
  type: "service",
  service: "LAMBDA_ECHO",
  payloadFormat,
  // Lambda-style formats send the client's path in the event (the Worker reads /status/{n} and /hang there).
  ...(payloadFormat === "raw" ? { path: target } : {}),
  ...(timeoutMs ? { timeoutMs } : {}),
});

/**
 * An AWS integration whose endpoint is the local Node backend (signed all the same; the backend ignores the
 * signature): the transport every AWS service call takes, held to the contract. The AWS services themselves are
 * aws.test.ts's, against the AWS-compatible server; queue, r2 and workflow integrations answer for their bindings
 * with shapes of their own (no backend status to pass through), in queue.test.ts, r2.test.ts and workflow.test.ts.
 */
const aws = (target: string, timeoutMs?: number): IntegrationDefinition => ({
  type: "aws",
  uri: `arn:aws:apigateway:us-east-1:lambda:path${target}`,
  credentials: { accessKeyId: "AWS_TEST_ACCESS_KEY_ID", secretAccessKey: "AWS_TEST_SECRET_ACCESS_KEY" },
  endpoint: backendUrl(),
  ...(timeoutMs ? { timeoutMs } : {}),
});

const CASES: ContractCase[] = [
  { name: "http_proxy", integration: node("http_proxy"), hits: nodeHits },
  { name: "http", integration: node("http"), hits: nodeHits },
  {
    name: "mock",
    integration: (target) =>
      target.startsWith("/status/")
        ? { type: "mock", status: 418, body: { status: 418 } }
        : { type: "mock", status: 200, body: { mocked: true } },
    hits: null,
    noHang: "a mock is answered by the gateway itself: there is no backend that could hang",
  },
  { name: "service raw", integration: service("raw"), hits: (path) => workerHits("LAMBDA_ECHO", path) },
  { name: "service 1.0", integration: service("1.0"), hits: (path) => workerHits("LAMBDA_ECHO", path) },
  { name: "service 2.0", integration: service("2.0"), hits: (path) => workerHits("LAMBDA_ECHO", path) },
  { name: "aws", integration: aws, hits: nodeHits },
];

function definition(c: ContractCase): ApiDefinition {
  const guarded: RouteDefinition = {
    integration: c.integration("/guarded/{id}"),
    validate: { headers: ["x-required"], body: { type: "object", required: ["name"] } },
  };
  return {
    name: "contract",
    stages: { prod: {} },
    routes: {
      "ANY /echo/{proxy+}": { integration: c.integration("/echo/{proxy}") },
      "ANY /status/{code}": { integration: c.integration("/status/{code}") },
      "ANY /hang": { integration: c.integration("/hang", TIMEOUT_MS) },
      "POST /guarded/{id}": guarded,
    },
  };
}

const json = { "content-type": "application/json" };

describe.each(CASES)("integration contract: $name", (c) => {
  it("answers a valid request with a Response carrying the backend's answer", async () => {
    const gw = await gatewayFor(definition(c));
    const res = await gw.fetch("/prod/echo/a?x=1", { method: "POST", headers: json, body: '{"hello":"world"}' });
    expect(res).toBeInstanceOf(Response);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await res.json()) as unknown;
    expect(body).toBeTypeOf("object");
    expect(body).not.toBeNull();
    expect(Object.keys(body as object).length).toBeGreaterThan(0);
  });

  it("passes the status and body through as the type promises", async () => {
    const gw = await gatewayFor(definition(c));
    const res = await gw.fetch("/prod/status/418");
    expect(res.status).toBe(418);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ status: 418 });
  });

  it("stamps the request id on successes and on gateway errors", async () => {
    const gw = await gatewayFor(definition(c));
    const ok = await gw.fetch("/prod/echo/id");
    expect(ok.headers.get("x-amzn-RequestId")).toMatch(REQUEST_ID);
    const refused = await gw.fetch(`/prod/guarded/${uniqueSegment()}`, { method: "POST", headers: json, body: "{}" });
    expect(refused.status).toBe(400);
    expect(refused.headers.get("x-amzn-RequestId")).toMatch(REQUEST_ID);
    expect(refused.headers.get("x-amzn-RequestId")).not.toBe(ok.headers.get("x-amzn-RequestId"));
  });

  it("answers HEAD without a body", async () => {
    const gw = await gatewayFor(definition(c));
    const res = await gw.fetch("/prod/echo/head", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-amzn-RequestId")).toMatch(REQUEST_ID);
    expect(new Uint8Array(await res.arrayBuffer()).byteLength).toBe(0);
  });

  // Skipped only where no backend exists to hang (see the case's noHang).
  it.skipIf(c.noHang !== undefined)("answers 504 Endpoint request timed out when the backend hangs past timeoutMs", async () => {
    const gw = await gatewayFor(definition(c));
    const started = Date.now();
    const res = await gw.fetch("/prod/hang");
    const elapsed = Date.now() - started;
    expect(res.status).toBe(504);
    expect(await res.text()).toBe('{"message": "Endpoint request timed out"}');
    expect(res.headers.get("x-amzn-ErrorType")).toBe("InternalServerErrorException");
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 1500);
  });

  // Skipped only where no backend exists to call (mock).
  it.skipIf(c.hits === null)("never calls the backend when an earlier stage rejects the request", async () => {
    const gw = await gatewayFor(definition(c));
    const refused = uniqueSegment();
    const missingHeader = await gw.fetch(`/prod/guarded/${refused}`, { method: "POST", headers: json, body: '{"name":"a"}' });
    expect(missingHeader.status).toBe(400);
    expect(await missingHeader.text()).toBe('{"message":"Missing required request parameters: [x-required]"}');
    const badBody = await gw.fetch(`/prod/guarded/${refused}`, { method: "POST", headers: { ...json, "x-required": "1" }, body: "{}" });
    expect(badBody.status).toBe(400);
    expect(await badBody.text()).toBe('{"message":"Invalid request body"}');
    expect(await c.hits!(`/guarded/${refused}`)).toBe(0);

    // The control: the same route with a valid request does reach the backend, and is counted.
    const allowed = uniqueSegment();
    const ok = await gw.fetch(`/prod/guarded/${allowed}`, { method: "POST", headers: { ...json, "x-required": "1" }, body: '{"name":"a"}' });
    await ok.arrayBuffer();
    expect(await c.hits!(`/guarded/${allowed}`)).toBe(1);
  });
});
