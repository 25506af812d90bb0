import { describe, expect, it } from "vitest";
import { parseTraceparent, parseXRay, traceFrom, traceparentOf, validTracestate, xrayEcho, xrayHeaderOf } from "./trace.ts";

const TP = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

describe("traceparent", () => {
  it("accepts the spec's example and a later version read by its first fields", () => {
    expect(parseTraceparent(TP)).toEqual({ traceId: "0af7651916cd43dd8448eb211c80319c", parentId: "b7ad6b7169203331", flags: 1 });
    expect(parseTraceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00-extra")?.flags).toBe(0);
  });

  it.each([
    ["upper-case hex", TP.toUpperCase()],
    ["version ff", TP.replace(/^00/, "ff")],
    ["all-zero trace id", `00-${"0".repeat(32)}-b7ad6b7169203331-01`],
    ["all-zero parent id", `00-0af7651916cd43dd8448eb211c80319c-${"0".repeat(16)}-01`],
    ["version 00 with more after it", `${TP}-x`],
    ["short trace id", "00-0af7651916cd43dd8448eb211c8031-b7ad6b7169203331-01"],
    ["two joined headers", `${TP}, ${TP}`],
    ["empty", ""],
  ])("refuses %s", (_why, value) => {
    expect(parseTraceparent(value)).toBeNull();
  });
});

describe("tracestate", () => {
  it("keeps a valid list as it came, and drops one with any invalid member", () => {
    expect(validTracestate("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")).toBe("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
    expect(validTracestate("tenant@vendor=x, , b=2")).toBe("tenant@vendor=x, , b=2");
    expect(validTracestate("Upper=1")).toBeNull();
    expect(validTracestate("a=1,a=2")).toBeNull();
    expect(validTracestate("a=b=c")).toBeNull();
    expect(validTracestate(Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(","))).toBeNull();
  });
});

describe("a request's trace", () => {
  it("continues a valid traceparent with the gateway's own span as the backends' parent", () => {
    const trace = traceFrom(new Headers({ traceparent: TP, tracestate: "rojo=1" }));
    expect(trace.traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(trace.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(trace.spanId).not.toBe("b7ad6b7169203331");
    expect(traceparentOf(trace)).toBe(`00-0af7651916cd43dd8448eb211c80319c-${trace.spanId}-01`);
    expect(trace.tracestate).toBe("rojo=1");
    expect(xrayHeaderOf(trace)).toBe(`Root=1-0af76519-16cd43dd8448eb211c80319c;Parent=${trace.spanId};Sampled=1`);
  });

  it("replaces a malformed traceparent with a new trace and drops its tracestate", () => {
    const trace = traceFrom(new Headers({ traceparent: "00-zzzz-b7ad6b7169203331-01", tracestate: "rojo=1" }));
    expect(trace.origin).toBe("started");
    expect(trace.tracestate).toBeNull();
    // A started trace is a valid X-Ray trace too: its first 8 hex digits are the epoch seconds.
    expect(Math.abs(parseInt(trace.traceId.slice(0, 8), 16) - Date.now() / 1000)).toBeLessThan(5);
  });

  it("takes its id from a valid X-Amzn-Trace-Id when there is no traceparent", () => {
    const trace = traceFrom(new Headers({ "x-amzn-trace-id": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0" }));
    expect([trace.traceId, trace.parentId, trace.sampled, trace.origin]).toEqual(["5759e988bd862e3fe1be46a994272793", "53995c3f42cd8ad8", false, "x-amzn-trace-id"]);
    expect(xrayEcho(trace)).toBe("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0");
  });

  it("refuses X-Ray headers with a malformed Root, Parent or Sampled, and echoes a Root-only one with a Parent", () => {
    expect(parseXRay("Root=1-5759e98-bd862e3fe1be46a994272793")).toBeNull();
    expect(parseXRay("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=xyz")).toBeNull();
    expect(parseXRay("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=2")).toBeNull();
    expect(parseXRay("Parent=53995c3f42cd8ad8")).toBeNull();
    const trace = traceFrom(new Headers({ "x-amzn-trace-id": "Root=1-5759e988-bd862e3fe1be46a994272793" }));
    expect(xrayEcho(trace)).toBe(`Root=1-5759e988-bd862e3fe1be46a994272793;Parent=${trace.spanId};Sampled=0`);
  });
});
