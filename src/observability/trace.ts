/**
 * Trace context: W3C Trace Context (`traceparent`, `tracestate`) and Amazon's X-Ray header (`X-Amzn-Trace-Id`),
 * accepted from the client when valid, started when absent, and sent on to every backend with the gateway as the
 * parent span. Validation is strict: a malformed `traceparent` is replaced by a new trace (and its `tracestate`
 * dropped, as the W3C spec requires), never passed on; a malformed `tracestate` alone is dropped; a malformed
 * X-Amzn-Trace-Id is neither echoed nor propagated.
 *
 * One trace id serves both headers, as AWS's own W3C interop maps them: an X-Ray root `1-5759e988-bd862e3fe1be46a9`
 * `94272793` is the W3C trace id `5759e988bd862e3fe1be46a994272793` (its first 8 hex digits are the epoch seconds the
 * trace began, which X-Ray requires of a trace it starts, so traces Portico starts follow the same rule).
 *
 * Pure apart from the random ids: no I/O, nothing kept between requests. Built lazily (`traceOf` in respond's
 * helpers): a request that reaches no backend and logs no trace id pays nothing.
 */

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);
/** W3C: at most 32 list members; a receiver may drop a longer header (and 512 characters is the advised bound). */
const MAX_TRACESTATE_MEMBERS = 32;
const MAX_TRACESTATE_CHARS = 512;
const TRACESTATE_KEY = /^(?:[a-z][_0-9a-z\-*/]{0,255}|[a-z0-9][_0-9a-z\-*/]{0,240}@[a-z][_0-9a-z\-*/]{0,13})$/;
/** Printable ASCII except `,` and `=`, at most 256, not ending in a space. */
const TRACESTATE_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
const XRAY_ROOT = /^1-([0-9a-f]{8})-([0-9a-f]{24})$/;
const XRAY_PARENT = /^[0-9a-f]{16}$/;
const MAX_XRAY_CHARS = 256;

/** A parsed, valid `traceparent` (version 00 semantics). */
export interface TraceParent {
  traceId: string;
  parentId: string;
  /** The trace flags byte; bit 0 is "sampled". */
  flags: number;
}

/**
 * A `traceparent` value, or null when it is not one. Version `ff` and all-zero ids are invalid; a later version is
 * read by its first four fields (the spec's forward compatibility), and only when what follows is `-…`.
 */
export function parseTraceparent(value: string | null): TraceParent | null {
  if (value === null || value.length > 512) return null;
  const m = TRACEPARENT.exec(value);
  if (!m) return null;
  const [, version, traceId, parentId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  if (version === "ff") return null;
  if (version === "00" && rest !== undefined) return null;
  if (traceId === ZERO_TRACE || parentId === ZERO_SPAN) return null;
  return { traceId, parentId, flags: parseInt(flags, 16) };
}

/** A `tracestate` value kept as received when every list member is valid and within the bounds, else null. */
export function validTracestate(value: string | null): string | null {
  if (value === null || value.length > MAX_TRACESTATE_CHARS) return null;
  const members = value.split(",");
  if (members.length > MAX_TRACESTATE_MEMBERS) return null;
  const keys = new Set<string>();
  let kept = 0;
  for (const raw of members) {
    const member = raw.trim();
    // Empty list members are allowed (and ignored); anything else must be key=value.
    if (member === "") continue;
    const eq = member.indexOf("=");
    if (eq < 1) return null;
    const key = member.slice(0, eq);
    if (!TRACESTATE_KEY.test(key) || !TRACESTATE_VALUE.test(member.slice(eq + 1)) || keys.has(key)) return null;
    keys.add(key);
    kept++;
  }
  return kept ? value : null;
}

/** An `X-Amzn-Trace-Id` header's fields, when it has a valid Root (and, if present, a valid Parent and Sampled). */
export interface XRayHeader {
  root: string;
  parent: string | null;
  sampled: "0" | "1" | "?" | null;
  /** The header exactly as received (echoed to the client as Amazon does). */
  raw: string;
}

export function parseXRay(value: string | null): XRayHeader | null {
  if (value === null || value.length > MAX_XRAY_CHARS || !/^[\x21-\x7e]+$/.test(value.replace(/ /g, ""))) return null;
  let root: string | null = null;
  let parent: string | null = null;
  let sampled: XRayHeader["sampled"] = null;
  for (const field of value.split(";")) {
    const eq = field.indexOf("=");
    if (eq < 1) return null;
    const key = field.slice(0, eq).trim();
    const v = field.slice(eq + 1).trim();
    if (key === "Root") {
      if (root !== null || !XRAY_ROOT.test(v)) return null;
      root = v;
    } else if (key === "Parent") {
      if (parent !== null || !XRAY_PARENT.test(v)) return null;
      parent = v;
    } else if (key === "Sampled") {
      if (sampled !== null || (v !== "0" && v !== "1" && v !== "?")) return null;
      sampled = v;
    }
    // Other fields (Self, Lineage, a caller's own) are neither trusted nor sent on.
  }
  return root === null ? null : { root, parent, sampled, raw: value };
}

/** The trace one request belongs to, and the span the gateway adds to it. */
export interface TraceContext {
  /** 32 lower-case hex digits. */
  traceId: string;
  /** The gateway's own span id (16 hex): the parent id every backend receives. */
  spanId: string;
  /** The caller's span, when it sent one. */
  parentId: string | null;
  sampled: boolean;
  /** Passed on unchanged when valid. */
  tracestate: string | null;
  /** The caller's X-Amzn-Trace-Id when valid (for the response echo). */
  xray: XRayHeader | null;
  /** Where the trace came from: `traceparent`, `x-amzn-trace-id`, or `started` (the gateway began it). */
  origin: "traceparent" | "x-amzn-trace-id" | "started";
}

/**
 * The request's trace: the caller's `traceparent` when valid, else its X-Amzn-Trace-Id root when valid, else a new
 * trace (flagged sampled, so a parent-based sampler behind the gateway records what the gateway's logs name).
 */
export function traceFrom(headers: Headers): TraceContext {
  const parent = parseTraceparent(headers.get("traceparent"));
  const xray = parseXRay(headers.get("x-amzn-trace-id"));
  const spanId = randomHex(8);
  if (parent)
    return {
      traceId: parent.traceId,
      spanId,
      parentId: parent.parentId,
      sampled: (parent.flags & 1) === 1,
      tracestate: validTracestate(headers.get("tracestate")),
      xray,
      origin: "traceparent",
    };
  if (xray) {
    const [, time, rest] = XRAY_ROOT.exec(xray.root)!;
    return { traceId: time! + rest!, spanId, parentId: xray.parent, sampled: xray.sampled !== "0", tracestate: null, xray, origin: "x-amzn-trace-id" };
  }
  const seconds = Math.floor(Date.now() / 1000).toString(16).padStart(8, "0").slice(-8);
  return { traceId: seconds + randomHex(12), spanId, parentId: null, sampled: true, tracestate: null, xray: null, origin: "started" };
}

/** The `traceparent` a backend receives: the trace, with the gateway's span as its parent. */
export function traceparentOf(trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.sampled ? "01" : "00"}`;
}

/** The X-Ray root of the trace (`1-<8 hex>-<24 hex>`): the caller's, or the W3C trace id written as one. */
export function xrayRootOf(trace: TraceContext): string {
  return trace.xray?.root ?? `1-${trace.traceId.slice(0, 8)}-${trace.traceId.slice(8)}`;
}

/** The X-Amzn-Trace-Id a backend receives, as Amazon sends it: `Root=…;Parent=<gateway span>;Sampled=0|1`. */
export function xrayHeaderOf(trace: TraceContext): string {
  return `Root=${xrayRootOf(trace)};Parent=${trace.spanId};Sampled=${trace.sampled ? "1" : "0"}`;
}

/**
 * The X-Amzn-Trace-Id echoed to a caller that sent a valid one: as received, with a Parent added when it had none
 * (Amazon answers a Root-only header with a generated Parent; recorded: rest-response-headers-lambda-proxy-trace-id-echo).
 */
export function xrayEcho(trace: TraceContext): string | null {
  const xray = trace.xray;
  if (!xray) return null;
  if (xray.parent !== null) return xray.raw;
  return `${xray.raw};Parent=${trace.spanId}${xray.sampled === null ? ";Sampled=0" : ""}`;
}

/** Sets the trace headers on a backend request, replacing whatever the client sent under those names. */
export function applyTraceHeaders(headers: Headers, trace: TraceContext): void {
  headers.set("traceparent", traceparentOf(trace));
  if (trace.tracestate) headers.set("tracestate", trace.tracestate);
  else headers.delete("tracestate");
  headers.set("x-amzn-trace-id", xrayHeaderOf(trace));
}

/** The trace headers as a plain record (Lambda-style events carry headers as objects). */
export function traceHeaderEntries(trace: TraceContext): [string, string][] {
  const out: [string, string][] = [["traceparent", traceparentOf(trace)], ["x-amzn-trace-id", xrayHeaderOf(trace)]];
  if (trace.tracestate) out.push(["tracestate", trace.tracestate]);
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** `bytes` random bytes as lower-case hex, never all zeros (an all-zero id is invalid in both formats). */
function randomHex(bytes: number): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  let out = "";
  let any = 0;
  for (const b of buf) {
    out += HEX[b]!;
    any |= b;
  }
  return any ? out : randomHex(bytes);
}
