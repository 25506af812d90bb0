/** CORS through the pipeline: preflights answered by the gateway, headers on every response to an allowed origin. */
import { describe, expect, it } from "vitest";
import type { ApiDefinition, CorsDefinition, Flavor } from "../../../src/config/types.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";
import { nodeHits, uniqueSegment } from "../integrations/backends.ts";

const ORIGIN = "https://www.example.com";

function api(u: string, cors: CorsDefinition, flavor: Flavor = "http"): ApiDefinition {
  return {
    name: "cors",
    flavor,
    stages: { prod: {} },
    cors,
    routes: {
      [`GET /${u}`]: { integration: { type: "http_proxy", uri: `${backendUrl()}/echo/${u}` } },
      [`POST /${u}/checked`]: { integration: { type: "http_proxy", uri: `${backendUrl()}/echo/${u}` }, validate: { query: ["q"] } },
      [`GET /${u}/slow`]: { integration: { type: "http_proxy", uri: `${backendUrl()}/hang`, timeoutMs: 200 } },
    },
  };
}

const configured: CorsDefinition = {
  allowOrigins: [ORIGIN],
  allowMethods: ["GET", "POST"],
  allowHeaders: ["content-type", "x-api-key"],
  exposeHeaders: ["x-amzn-RequestId"],
  maxAge: 600,
};

const preflight = (origin: string, method = "GET", headers?: string) => ({
  method: "OPTIONS",
  headers: { origin, "access-control-request-method": method, ...(headers ? { "access-control-request-headers": headers } : {}) },
});

describe("CORS preflight", () => {
  // Recorded: http-cors-preflight-auto (no OPTIONS route, the gateway answers).
  it("answers a preflight itself with 204, even for a path with no route, never calling the backend", async () => {
    const u = uniqueSegment();
    const gw = await gatewayFor(api(u, configured));
    for (const path of ["/prod/anything", `/prod/${u}`]) {
      const res = await gw.fetch(path, preflight(ORIGIN, "GET", "content-type"));
      expect(res.status, path).toBe(204);
      expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
      expect(res.headers.get("access-control-allow-methods")).toBe("GET,POST");
      expect(res.headers.get("access-control-allow-headers")).toBe("content-type,x-api-key");
      expect(res.headers.get("access-control-max-age")).toBe("600");
      expect(await res.text()).toBe("");
    }
    expect(await nodeHits(`/echo/${u}`)).toBe(0);
  });

  it("answers the preflight in the rest flavour too, where an unknown path would otherwise be 403", async () => {
    const gw = await gatewayFor(api(uniqueSegment(), configured, "rest"));
    const res = await gw.fetch("/prod/anything", preflight(ORIGIN));
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
  });

  it("gives a disallowed origin no allow-origin (nor methods or headers)", async () => {
    const gw = await gatewayFor(api(uniqueSegment(), configured));
    const res = await gw.fetch("/prod/anything", preflight("https://evil.example", "GET", "content-type"));
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(res.headers.get("access-control-allow-methods")).toBeNull();
    expect(res.headers.get("access-control-allow-headers")).toBeNull();
  });

  it("allows no method outside allowMethods", async () => {
    const gw = await gatewayFor(api(uniqueSegment(), configured));
    const res = await gw.fetch("/prod/anything", preflight(ORIGIN, "DELETE"));
    expect(res.headers.get("access-control-allow-methods")).toBeNull();
  });

  it("echoes the requested method and headers when allowMethods and allowHeaders are *", async () => {
    const gw = await gatewayFor(api(uniqueSegment(), { allowOrigins: ["*"] }));
    const res = await gw.fetch("/prod/anything", preflight("https://any.example", "PATCH", "x-one,x-two"));
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toBe("PATCH");
    expect(res.headers.get("access-control-allow-headers")).toBe("x-one,x-two");
    expect(res.headers.get("access-control-max-age")).toBeNull();
  });

  it("without a CORS configuration, leaves OPTIONS to the routes (403 Missing Authentication Token)", async () => {
    const definition = api(uniqueSegment(), configured, "rest");
    delete definition.cors;
    const res = await (await gatewayFor(definition)).fetch("/prod/anything", preflight(ORIGIN));
    expect(res.status).toBe(403);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("CORS on actual requests", () => {
  it("adds allow-origin, expose-headers and Vary to an allowed origin's response", async () => {
    const u = uniqueSegment();
    const gw = await gatewayFor(api(u, configured));
    const res = await gw.fetch(`/prod/${u}`, { headers: { origin: ORIGIN } });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(res.headers.get("access-control-expose-headers")).toBe("x-amzn-RequestId");
    expect(res.headers.get("vary")).toContain("Origin");
    expect(await nodeHits(`/echo/${u}`)).toBe(1);
  });

  it("matches the origin case-insensitively and echoes it as sent", async () => {
    const u = uniqueSegment();
    const gw = await gatewayFor(api(u, configured));
    const res = await gw.fetch(`/prod/${u}`, { headers: { origin: "https://WWW.Example.com" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("https://WWW.Example.com");
  });

  it("gives a disallowed origin's response no allow-origin", async () => {
    const u = uniqueSegment();
    const gw = await gatewayFor(api(u, configured));
    const res = await gw.fetch(`/prod/${u}`, { headers: { origin: "https://evil.example" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(res.headers.get("access-control-expose-headers")).toBeNull();
  });

  it("puts the CORS headers on gateway error responses too, so browsers can read them", async () => {
    const u = uniqueSegment();
    const gw = await gatewayFor(api(u, configured));
    const invalid = await gw.fetch(`/prod/${u}/checked`, { method: "POST", headers: { origin: ORIGIN } });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    const timeout = await gw.fetch(`/prod/${u}/slow`, { headers: { origin: ORIGIN } });
    expect(timeout.status).toBe(504);
    expect(timeout.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(timeout.headers.get("access-control-expose-headers")).toBe("x-amzn-RequestId");
  });

  it("echoes the origin and allows credentials when allowCredentials is set", async () => {
    const u = uniqueSegment();
    const gw = await gatewayFor(api(u, { ...configured, allowOrigins: [ORIGIN, "https://two.example"], allowCredentials: true }));
    const res = await gw.fetch(`/prod/${u}`, { headers: { origin: "https://two.example" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("https://two.example");
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    const pre = await gw.fetch("/prod/anything", preflight(ORIGIN));
    expect(pre.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(pre.headers.get("access-control-allow-credentials")).toBe("true");
  });
});
