/**
 * HTTP-API (flavour `http`) details Amazon's HTTP APIs show and REST APIs do not: an unknown stage is 404 Not Found
 * (REST: 403 Forbidden), and every response carries `apigw-requestid`.
 */
import { describe, expect, it } from "vitest";
import { gatewayFor } from "../support/gateway.ts";

const routes = { "GET /a": { integration: { type: "mock" as const, body: "a" } } };

describe("the http flavour", () => {
  it("answers an unknown stage 404 Not Found, where the rest flavour answers 403 Forbidden", async () => {
    const http = await gatewayFor({ name: "flavour-http", flavor: "http", stages: { prod: {} }, routes });
    const missing = await http.fetch("/nope/a");
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('{"message":"Not Found"}');
    const rest = await gatewayFor({ name: "flavour-rest", flavor: "rest", stages: { prod: {} }, routes });
    const forbidden = await rest.fetch("/nope/a");
    expect(forbidden.status).toBe(403);
    expect(await forbidden.text()).toBe('{"message":"Forbidden"}');
  });

  it("stamps apigw-requestid (the request id) on HTTP API responses only", async () => {
    const http = await gatewayFor({ name: "flavour-http", flavor: "http", stages: { prod: {} }, routes });
    const res = await http.fetch("/prod/a");
    expect(res.headers.get("apigw-requestid")).toBe(res.headers.get("x-amzn-requestid"));
    const rest = await gatewayFor({ name: "flavour-rest", flavor: "rest", stages: { prod: {} }, routes });
    expect((await rest.fetch("/prod/a")).headers.has("apigw-requestid")).toBe(false);
  });

  it("echoes the caller's X-Amzn-Trace-Id (a Parent added when it had none), and nothing when it sends none", async () => {
    const rest = await gatewayFor({ name: "flavour-rest", stages: { prod: {} }, routes });
    const full = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    expect((await rest.fetch("/prod/a", { headers: { "x-amzn-trace-id": full } })).headers.get("x-amzn-trace-id")).toBe(full);
    // Amazon answers a header without a Parent with one it generated (recorded: rest-response-headers-lambda-proxy-trace-id-echo).
    const rootOnly = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1";
    expect((await rest.fetch("/prod/a", { headers: { "x-amzn-trace-id": rootOnly } })).headers.get("x-amzn-trace-id")).toMatch(
      /^Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1;Parent=[0-9a-f]{16}$/,
    );
    expect((await rest.fetch("/prod/a")).headers.has("x-amzn-trace-id")).toBe(false);
  });
});
