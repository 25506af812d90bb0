/** The mock integration and the service integration (raw, and a Lambda handler failing) through the pipeline. */
import { describe, expect, it } from "vitest";
import type { ApiDefinition, Flavor } from "../../../src/config/types.ts";
import { gatewayFor } from "../support/gateway.ts";
import { uniqueSegment, workerHits } from "../integrations/backends.ts";

describe("mock integration", () => {
  const gw = () =>
    gatewayFor({
      name: "mock",
      stages: { prod: {} },
      routes: {
        "GET /json": { integration: { type: "mock", status: 201, headers: { "x-mock": "yes" }, body: { created: true, list: [1, 2] } } },
        "GET /text": { integration: { type: "mock", headers: { "content-type": "text/plain; charset=utf-8" }, body: "plain words" } },
        "DELETE /gone": { integration: { type: "mock", status: 204, body: "ignored" } },
        "ANY /any": { integration: { type: "mock" } },
      },
    });

  it("answers with the configured status, headers and JSON body (content type defaulted)", async () => {
    const res = await (await gw()).fetch("/prod/json");
    expect(res.status).toBe(201);
    expect(res.headers.get("x-mock")).toBe("yes");
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.text()).toBe('{"created":true,"list":[1,2]}');
  });

  it("answers a string body with the configured content type", async () => {
    const res = await (await gw()).fetch("/prod/text");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await res.text()).toBe("plain words");
  });

  it("sends no body with a 204", async () => {
    const res = await (await gw()).fetch("/prod/gone", { method: "DELETE" });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
  });

  it("defaults to 200 with an empty body, for every method of an ANY route", async () => {
    const g = await gw();
    for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
      const res = await g.fetch("/prod/any", { method, ...(method === "GET" || method === "OPTIONS" ? {} : { body: "x" }) });
      expect(res.status, method).toBe(200);
      expect(await res.text()).toBe("");
    }
  });

  it("answers HEAD on an ANY route without a body", async () => {
    const res = await (await gw()).fetch("/prod/any", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
  });
});

describe("service integration, raw", () => {
  interface WorkerEcho {
    method: string;
    path: string;
    query: string;
    headers: Record<string, string>;
    body: string;
  }

  const api = (u: string): ApiDefinition => ({
    name: "svc",
    stages: { prod: { variables: { area: "zone-a" } } },
    routes: {
      "ANY /things/{id}": { integration: { type: "service", service: "LAMBDA_ECHO", path: `/items/${u}/\${stageVariables.area}/{id}` } },
      "ANY /own/{proxy+}": { integration: { type: "service", service: "LAMBDA_ECHO" } },
      "GET /pets/{id}": { integration: { type: "service", service: "DEMO_BACKEND", path: "/pets/{id}" } },
      "GET /nobody": { integration: { type: "service", service: "NO_SUCH_BINDING" } },
    },
  });

  it("sends the request to the path template (stage variables, raw parameters) with the query, headers and body", async () => {
    const u = uniqueSegment();
    const gw = await gatewayFor(api(u));
    const res = await gw.request(
      new Request("https://gateway.test/prod/things/a%20b?x=1&y=2", {
        method: "PUT",
        headers: { "content-type": "text/plain", "x-client": "c", "cf-connecting-ip": "203.0.113.5", connection: "x-hop", "x-hop": "1" },
        body: "payload",
      }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("x-backend")).toBe("worker");
    const echo = (await res.json()) as WorkerEcho;
    expect(echo.method).toBe("PUT");
    expect(echo.path).toBe(`/items/${u}/zone-a/a%20b`);
    expect(echo.query).toBe("?x=1&y=2");
    expect(echo.body).toBe("payload");
    expect(echo.headers["x-client"]).toBe("c");
    expect(echo.headers["x-hop"]).toBeUndefined();
    expect(echo.headers["x-forwarded-for"]).toBe("203.0.113.5");
    expect(echo.headers["x-forwarded-proto"]).toBe("https");
    expect(await workerHits("LAMBDA_ECHO", `/items/${u}/zone-a/a%20b`)).toBe(1);
  });

  it("sends the route's own path when there is no template", async () => {
    const u = uniqueSegment();
    const res = await (await gatewayFor(api(u))).fetch(`/prod/own/${u}/x/y`);
    expect(((await res.json()) as WorkerEcho).path).toBe(`/own/${u}/x/y`);
  });

  it("passes the Worker's status through", async () => {
    const res = await (await gatewayFor(api(uniqueSegment()))).fetch("/prod/own/status/503");
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 503 });
  });

  it("reaches the demo backend Worker bound as DEMO_BACKEND", async () => {
    const res = await (await gatewayFor(api(uniqueSegment()))).fetch("/prod/pets/2");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: 2, name: "Tom" });
  });

  it("answers 500 without naming the missing binding when the Worker has no such service", async () => {
    const res = await (await gatewayFor(api(uniqueSegment()))).fetch("/prod/nobody");
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('{"message": "Internal server error"}');
  });
});

describe("service integration, a Lambda handler that throws", () => {
  // LAMBDA_CHOOSE returns JSON.parse(event.body): with no body the handler throws, as the recorded Lambda did.
  const api = (flavor: Flavor, payloadFormat: "1.0" | "2.0"): ApiDefinition => ({
    name: "lambda",
    flavor,
    stages: { prod: {} },
    routes: { "ANY /{proxy+}": { integration: { type: "service", service: "LAMBDA_CHOOSE", payloadFormat } } },
  });

  it("answers 502 Internal server error on a REST API (rest-lambda-proxy-handler-exception-502)", async () => {
    const res = await (await gatewayFor(api("rest", "1.0"))).fetch("/prod/x");
    expect(res.status).toBe(502);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.text()).toBe('{"message": "Internal server error"}');
  });

  it("answers 500 Internal Server Error on an HTTP API (http-lambda-error-500)", async () => {
    const res = await (await gatewayFor(api("http", "2.0"))).fetch("/prod/route");
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('{"message":"Internal Server Error"}');
  });

  it("answers 502 to a reply outside the proxy contract (an unknown top-level key)", async () => {
    const res = await (await gatewayFor(api("rest", "1.0"))).fetch("/prod/x", {
      method: "POST",
      body: JSON.stringify({ statusCode: 200, unexpected: true }),
    });
    expect(res.status).toBe(502);
    expect(await res.text()).toBe('{"message": "Internal server error"}');
  });
});
