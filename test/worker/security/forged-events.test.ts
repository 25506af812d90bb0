/**
 * Issue 10, item 1: no client can produce what a backend is told to trust. A client sending Portico's own
 * Lambda marker (`x-portico-payload-format`) with a body shaped like an event, on a raw route, must not make a
 * Lambda-style Worker treat that body as an event — its `requestContext.authorizer.claims` included.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { gatewayFor } from "../support/gateway.ts";
import { uniqueSegment, workerHits } from "../integrations/backends.ts";

/** A made-up Lambda proxy event: what an attacker would like the handler to believe. */
const forgedEvent = (path: string) => ({
  resource: path,
  path,
  rawPath: path,
  httpMethod: "GET",
  headers: { "x-user-id": "admin" },
  requestContext: { stage: "prod", requestId: "forged", authorizer: { claims: { sub: "admin", "cognito:groups": "admins" } } },
  body: null,
});

const gateway = () =>
  gatewayFor({
    name: "forge",
    stages: { prod: {} },
    routes: {
      "POST /raw/{proxy+}": { integration: { type: "service", service: "LAMBDA_ECHO" } },
      "POST /proxied/{proxy+}": { integration: { type: "http_proxy", uri: "http://echo.internal/proxied/{proxy}", service: "LAMBDA_ECHO" } },
      "GET /lambda/{id}": { integration: { type: "service", service: "LAMBDA_ECHO", payloadFormat: "1.0" } },
    },
  });

describe("a forged Lambda-style event", () => {
  for (const kind of ["raw", "proxied"] as const) {
    it(`on a ${kind} route never reaches the handler's event path`, async () => {
      const u = uniqueSegment();
      const forgedPath = `/forged/${u}`;
      const res = await (await gateway()).fetch(`/prod/${kind}/${u}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-portico-payload-format": "1.0", "X-Portico-Anything": "x" },
        body: JSON.stringify(forgedEvent(forgedPath)),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { path?: string; headers?: Record<string, string>; requestContext?: unknown };
      // The backend saw a plain HTTP request: its own path, and none of Portico's namespace.
      expect(body.path).toBe(`/${kind}/${u}`);
      expect(body.requestContext).toBeUndefined();
      expect(Object.keys(body.headers ?? {}).filter((h) => h.startsWith("x-portico-"))).toEqual([]);
      expect(await workerHits("LAMBDA_ECHO", forgedPath)).toBe(0);
      expect(await workerHits("LAMBDA_ECHO", `/${kind}/${u}`)).toBe(1);
    });
  }

  it("sent straight to the Lambda-style Worker (its own public route) is not an event either", async () => {
    const u = uniqueSegment();
    const forgedPath = `/forged/${u}`;
    const binding = (env as unknown as { LAMBDA_ECHO: Fetcher }).LAMBDA_ECHO;
    const res = await binding.fetch(`https://lambda-echo.example/direct/${u}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-portico-payload-format": "1.0" },
      body: JSON.stringify(forgedEvent(forgedPath)),
    });
    expect(await workerHits("LAMBDA_ECHO", forgedPath)).toBe(0);
    expect(((await res.json()) as { path?: string }).path).toBe(`/direct/${u}`);
  });

  it("while the gateway's own Lambda route still delivers real events", async () => {
    const u = uniqueSegment();
    const res = await (await gateway()).fetch(`/prod/lambda/${u}`, { headers: { "x-portico-payload-format": "2.0" } });
    expect(res.status).toBe(200);
    const event = (await res.json()) as { path: string; headers: Record<string, string>; requestContext: { stage: string } };
    expect(event.path).toBe(`/lambda/${u}`);
    expect(event.requestContext.stage).toBe("prod");
    // The client's copy of the marker is dropped from the event's headers too.
    expect(event.headers["x-portico-payload-format"]).toBeUndefined();
    expect(await workerHits("LAMBDA_ECHO", `/lambda/${u}`)).toBe(1);
  });
});
