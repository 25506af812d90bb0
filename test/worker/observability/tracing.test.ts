/**
 * Trace propagation through the pipeline, seen from the backends: the real Node backend records the `traceparent`
 * it got (http_proxy, http, a custom authorizer's URL, a streamed route), a bound Worker echoes what it got over HTTP
 * (raw service), and a Lambda-style Worker echoes its event (headers inside it), streamed or not. AWS integrations
 * (signed) and queue envelopes are in test/worker/integrations/aws.test.ts and queue.test.ts. A caller's valid trace continues with the gateway
 * as the parent span; a malformed one is replaced, never passed on; a stage with tracing off takes no part.
 */
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";
import { lastRequest, uid } from "./support.ts";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";
const TP = `00-${TRACE}-${CALLER_SPAN}-01`;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;

function traced(api: string, tracing?: { enabled?: boolean }): ApiDefinition {
  return {
    name: api,
    stages: { prod: tracing ? { tracing } : {} },
    authorizers: { gate: { type: "custom", mode: "request", identitySource: "$request.header.x-token", url: `${backendUrl()}/authorizer/${api}`, resultTtlSeconds: 0 } },
    routes: {
      "GET /proxy": { integration: { type: "http_proxy", uri: `${backendUrl()}/echo/${api}/proxy` } },
      "GET /http": { integration: { type: "http", uri: `${backendUrl()}/echo/${api}/http` } },
      "GET /raw": { integration: { type: "service", service: "LAMBDA_ECHO", payloadFormat: "raw", path: "/echo/raw" } },
      "GET /v1": { integration: { type: "service", service: "LAMBDA_ECHO", payloadFormat: "1.0" } },
      "GET /v2": { integration: { type: "service", service: "LAMBDA_ECHO", payloadFormat: "2.0" } },
      "GET /guarded": { authorizer: "gate", integration: { type: "http_proxy", uri: `${backendUrl()}/echo/${api}/guarded` } },
    },
  };
}

const lower = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

describe("trace propagation", () => {
  it("continues the caller's trace to an http_proxy backend, the gateway as the parent, tracestate and X-Amzn-Trace-Id beside it", async () => {
    const api = `tr-${uid()}`;
    const gw = await gatewayFor(traced(api));
    const res = await gw.fetch("/prod/proxy", { headers: { traceparent: TP, tracestate: "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE" } });
    expect(res.status).toBe(200);
    const got = (await lastRequest(`/echo/${api}/proxy`)).headers;
    const [, trace, parent, flags] = TRACEPARENT.exec(got.traceparent!)!;
    expect(trace).toBe(TRACE);
    expect(parent).not.toBe(CALLER_SPAN);
    expect(flags).toBe("01");
    expect(got.tracestate).toBe("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
    expect(got["x-amzn-trace-id"]).toBe(`Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=${parent};Sampled=1`);
  });

  it("replaces a malformed traceparent with a new trace and drops the tracestate that came with it", async () => {
    const api = `trm-${uid()}`;
    const gw = await gatewayFor(traced(api));
    for (const bad of [`00-${TRACE.toUpperCase()}-${CALLER_SPAN}-01`, `00-${"0".repeat(32)}-${CALLER_SPAN}-01`, `ff-${TRACE}-${CALLER_SPAN}-01`, `${TP}, ${TP}`, "garbage"]) {
      await (await gw.fetch("/prod/proxy", { headers: { traceparent: bad, tracestate: "rojo=1" } })).text();
      const got = (await lastRequest(`/echo/${api}/proxy`)).headers;
      expect(got.traceparent, bad).toMatch(TRACEPARENT);
      expect(got.traceparent).not.toContain(TRACE);
      expect(got.traceparent).not.toContain(TRACE.toUpperCase());
      expect(got.tracestate).toBeUndefined();
    }
  });

  it("starts a trace when the caller sends none, and reuses a valid X-Amzn-Trace-Id root", async () => {
    const api = `trs-${uid()}`;
    const gw = await gatewayFor(traced(api));
    await (await gw.fetch("/prod/proxy")).text();
    const started = (await lastRequest(`/echo/${api}/proxy`)).headers;
    expect(started.traceparent).toMatch(TRACEPARENT);
    expect(started["x-amzn-trace-id"]).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=1$/);
    await (await gw.fetch("/prod/proxy", { headers: { "x-amzn-trace-id": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1" } })).text();
    const fromXray = (await lastRequest(`/echo/${api}/proxy`)).headers;
    expect(fromXray.traceparent).toMatch(/^00-5759e988bd862e3fe1be46a994272793-[0-9a-f]{16}-01$/);
    expect(fromXray["x-amzn-trace-id"]).toMatch(/^Root=1-5759e988-bd862e3fe1be46a994272793;Parent=(?!53995c3f42cd8ad8)[0-9a-f]{16};Sampled=1$/);
  });

  it("reaches an http (non-proxy) backend, a bound Worker over HTTP, and Lambda-style events in their headers", async () => {
    const api = `tri-${uid()}`;
    const gw = await gatewayFor(traced(api));
    const trace = (value: string | undefined) => TRACEPARENT.exec(value ?? "")?.[1];

    await (await gw.fetch("/prod/http", { headers: { traceparent: TP } })).text();
    expect(trace((await lastRequest(`/echo/${api}/http`)).headers.traceparent)).toBe(TRACE);

    const raw = (await (await gw.fetch("/prod/raw", { headers: { traceparent: TP } })).json()) as { headers: Record<string, string> };
    expect(trace(lower(raw.headers).traceparent)).toBe(TRACE);

    for (const path of ["/prod/v1", "/prod/v2"]) {
      const event = JSON.parse(await (await gw.fetch(path, { headers: { traceparent: TP } })).text()) as { headers: Record<string, string> };
      const headers = lower(event.headers);
      expect(trace(headers.traceparent), path).toBe(TRACE);
      expect(headers["x-amzn-trace-id"], path).toMatch(/^Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=[0-9a-f]{16};Sampled=1$/);
    }
  });

  it("reaches a custom authorizer's URL and then the backend, in the same trace", async () => {
    const api = `tra-${uid()}`;
    const gw = await gatewayFor(traced(api));
    const res = await gw.fetch("/prod/guarded", { headers: { traceparent: TP, "x-token": "allow" } });
    expect(res.status).toBe(200);
    const atAuthorizer = (await lastRequest(`/authorizer/${api}`)).headers.traceparent;
    const atBackend = (await lastRequest(`/echo/${api}/guarded`)).headers.traceparent;
    expect(atAuthorizer).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
    expect(atBackend).toBe(atAuthorizer);
  });

  it("reaches streamed routes: an http_proxy stream's backend, and a streamed Lambda event's headers", async () => {
    const api = `trst-${uid()}`;
    const tag = uid();
    const gw = await gatewayFor({
      name: api,
      stages: { prod: {} },
      routes: {
        "GET /stream": { integration: { type: "http_proxy", uri: `${backendUrl()}/stall/${tag}?ms=1`, responseTransferMode: "STREAM" } },
        "GET /event": { integration: { type: "service", service: "LAMBDA_ECHO", payloadFormat: "2.0", responseTransferMode: "STREAM" } },
      },
    } as ApiDefinition);
    const trace = (value: string | undefined) => TRACEPARENT.exec(value ?? "")?.[1];
    expect(await (await gw.fetch("/prod/stream", { headers: { traceparent: TP } })).text()).toBe("first\nlate\n");
    expect(trace((await lastRequest(`/stall/${tag}`)).headers.traceparent)).toBe(TRACE);
    const event = (await (await gw.fetch("/prod/event", { headers: { traceparent: TP } })).json()) as { headers: Record<string, string> };
    expect(trace(lower(event.headers).traceparent)).toBe(TRACE);
    expect(lower(event.headers)["x-amzn-trace-id"]).toMatch(/^Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=[0-9a-f]{16};Sampled=1$/);
  });

  it("takes no part when the stage turns tracing off: the client's headers pass as they are", async () => {
    const api = `tro-${uid()}`;
    const gw = await gatewayFor(traced(api, { enabled: false }));
    await (await gw.fetch("/prod/proxy", { headers: { traceparent: "not-a-traceparent" } })).text();
    const got = (await lastRequest(`/echo/${api}/proxy`)).headers;
    expect(got.traceparent).toBe("not-a-traceparent");
    expect(got["x-amzn-trace-id"]).toBeUndefined();
  });
});
