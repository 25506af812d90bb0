/**
 * Replaying recorded Amazon API Gateway cases (shared/conformance/README.md): building the recorded request and
 * comparing what Portico answered with what AWS answered, for every form a case records. Nothing expected is
 * retyped here; the rules below say how a recorded form is read, once, with the reason:
 *
 * - Placeholders (`<uuid:1>`, `<host:1>` …) match any present value, the same placeholder the same value. A value
 *   that spells its own key in kebab case (`"content-length": "content-length"`, `"requestTimeEpoch":
 *   "request-time-epoch"`) is a snapshot transformer's placeholder too.
 * - What only AWS's infrastructure adds is skipped: CloudFront and connection headers on responses (AWS_RESPONSE_ONLY),
 *   front-door request headers in the headers a backend or a Lambda saw (FRONT_DOOR_HEADER), event fields that exist
 *   only on AWS (AWS_ONLY_EVENT_FIELDS), and the AWS account id (present, any value).
 * - Content-Length is compared with the length of the body Portico sent; inside header maps (what a backend saw,
 *   what a composite observation shows) it must be present — those bodies hold this environment's host names and
 *   ids and a stand-in backend's formatting, so their lengths cannot match the recording's.
 * - Placeholders inside text (`AmazonAPIGateway_<rest_api_id:1>`) bind like whole-value placeholders. A header value annotated with its evidence
 *   (`InternalServerErrorException (secondary)`) is compared without the annotation.
 * - Header maps compare case-insensitively (Workers lower-case header names). The headers a backend saw may carry
 *   what Portico adds by design and what the local HTTP client adds (BACKEND_ADDED), nothing else.
 * - A Lambda error's `stackTrace` is the runtime's (Python's in the recordings): any list of strings.
 */

export interface RecordedCase {
  id: string;
  area: string;
  api_type: "REST" | "HTTP" | "WEBSOCKET";
  config: string;
  request: { method?: string; path?: string; headers?: Record<string, string | string[]>; body?: string; payload?: string; repeat?: string; lambda_returns?: unknown };
  expected: {
    status?: number | null;
    headers?: Record<string, string>;
    headers_match?: string;
    headers_absent?: string[];
    body?: unknown;
    body_text?: string;
    body_subset?: Record<string, unknown>;
    body_match?: string;
    selected_route?: string;
    rendered_template?: unknown;
    rendered_template_observed_via_sqs?: Record<string, unknown>;
    rendered_match?: string;
    recorded?: string;
    [key: string]: unknown;
  };
  notes?: string;
}

/** Response headers written by AWS's CloudFront front door or by the connection, not by the gateway's logic. */
const AWS_RESPONSE_ONLY = new Set(["via", "x-amz-cf-id", "x-amz-cf-pop", "x-cache", "x-amzn-trace-id", "x-amz-apigw-id", "connection", "date"]);

/**
 * Request headers AWS's front door (CloudFront, its load balancers, a function URL's TLS terminator) adds, and
 * headers the recording's HTTP client added on its own (python-requests' Accept-Encoding, Host): the replayed request
 * does not carry them.
 */
const FRONT_DOOR_HEADER = /^(cloudfront-.+|via|x-amz-cf-id|x-amzn-trace-id|x-amzn-tls-.+|x-forwarded-(for|port|proto)|host|accept-encoding)$/;

/**
 * Headers a backend sees from Portico that the recordings do not show, each for a stated reason: X-Forwarded-*
 * (Portico adds them; the recorded backends hid Amazon's), what workerd's HTTP client adds (connection,
 * accept-encoding, host, cf-worker), and W3C Trace Context (`traceparent`, `tracestate`: Portico propagates the
 * trace beside X-Amzn-Trace-Id, docs/observability.md; Amazon sends only the latter).
 */
const BACKEND_ADDED = /^(x-forwarded-(for|port|proto|host)|connection|accept-encoding|host|content-length|cf-worker|traceparent|tracestate)$/;

/**
 * Event fields that only exist on AWS (deployment/extended ids, IAM and Cognito identity, all null without IAM
 * auth) — Portico's event does not carry them — and fields whose recorded value is AWS's own (the account id).
 */
const AWS_ONLY_EVENT_FIELDS = new Set(
  ["deploymentId", "domainPrefix", "extendedRequestId"].map((k) => `requestContext.${k}`).concat(
    ["accessKey", "accountId", "caller", "cognitoAuthenticationProvider", "cognitoAuthenticationType", "cognitoIdentityId", "cognitoIdentityPoolId", "principalOrgId", "user", "userArn"].map(
      (k) => `requestContext.identity.${k}`,
    ),
  ),
);
const AWS_VALUED_FIELDS = new Set(["requestContext.accountId", "context.accountId"]);

const PLACEHOLDER = /^<[^<>]+>$/;
/** Paths whose value is a map of headers (compared case-insensitively). */
const HEADER_MAP = /(^|\.)(headers|multiValueHeaders|response-headers)$/;
/** Paths whose value is the headers a backend or a Lambda received (front-door names skipped, BACKEND_ADDED allowed). */
const RECEIVED_HEADER_MAP = /(^|\.)(headers|multiValueHeaders)$/;

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Substitutes the setup's values for the recording's abstract request parts (`{stage}`, `<key value>` …). */
export function substitute(text: string, values: Record<string, string>): string {
  let out = text;
  for (const [from, to] of Object.entries(values)) out = out.split(from).join(to);
  return out;
}

/** The recorded request, sent to `origin`; `values` fill the recording's abstract parts. */
export function recordedRequest(c: RecordedCase, origin: string, values: Record<string, string> = {}, override: { method?: string; path?: string; body?: string } = {}): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(c.request.headers ?? {})) for (const v of [value].flat()) headers.append(name, substitute(v, values));
  const method = override.method ?? c.request.method ?? "GET";
  const body = override.body ?? c.request.body;
  const hasBody = body !== undefined && method !== "GET" && method !== "HEAD";
  // The length an HTTP client declares (a Request made in process declares none).
  if (hasBody && !headers.has("content-length")) headers.set("content-length", String(new TextEncoder().encode(body).byteLength));
  const path = substitute(override.path ?? c.request.path ?? "/", values);
  // As bytes: a string body would give the request a Content-Type (text/plain) the recorded client never sent.
  return new Request(origin + path, { method, headers, ...(hasBody ? { body: new TextEncoder().encode(body) } : {}) });
}

export interface Observed {
  status: number;
  headers: Headers;
  /** The body as bytes. */
  bytes: Uint8Array;
  /** What the comparison of `expected.body` (or `rendered_template`) looks at when it is not the response body. */
  value?: unknown;
  /** The route that answered, for `selected_route`. */
  route?: string;
  /** The X-Amzn-Trace-Id the request carried. */
  requestTraceId?: string;
}

export async function observeResponse(res: Response): Promise<Observed> {
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Compares what Portico answered with the recording; returns every difference, empty when they agree. */
export function compareObserved(c: RecordedCase, o: Observed): string[] {
  const problems: string[] = [];
  const bindings = new Map<string, unknown>();
  const { expected } = c;
  const body = text(o.bytes);
  if (typeof expected.status === "number" && o.status !== expected.status) problems.push(`status: ${o.status}, recorded ${expected.status}`);

  const match = expected.headers_match ?? "";
  for (const [name, value] of Object.entries(expected.headers ?? {})) {
    const key = name.toLowerCase();
    if (key === "x-amzn-trace-id" && match.includes("x-amzn-trace-id contains the request value")) {
      const sent = o.requestTraceId;
      if (!sent || !o.headers.get(name)?.includes(sent)) problems.push(`header ${name}: ${JSON.stringify(o.headers.get(name))}, should contain the request's ${JSON.stringify(sent)}`);
      continue;
    }
    if (AWS_RESPONSE_ONLY.has(key)) continue;
    if (key === "content-length") {
      matchValue(String(o.bytes.byteLength), value, `header ${name} (body length)`, bindings, problems, "exact", "content-length");
      continue;
    }
    if (match.startsWith("name set") || match.startsWith("exact set")) {
      if (!o.headers.has(name) && !["content-type"].includes("")) problems.push(`header ${name}: missing`);
      continue;
    }
    // "InternalServerErrorException (secondary)": the value, annotated with its evidence level.
    matchValue(o.headers.get(name) ?? undefined, value.replace(/ \((secondary|LocalStack)[^)]*\)$/, ""), `header ${name}`, bindings, problems, "exact", key);
  }
  if (match.startsWith("exact set")) {
    const names = new Set(Object.keys(expected.headers ?? {}).map((n) => n.toLowerCase()));
    for (const name of o.headers.keys()) if (!names.has(name) && !PORTICO_OWN.test(name)) problems.push(`header ${name}: not in the recorded set`);
  }
  for (const name of expected.headers_absent ?? []) if (o.headers.has(name)) problems.push(`header ${name}: present, recorded absent`);

  if (expected.selected_route !== undefined && o.route !== expected.selected_route) problems.push(`route: ${o.route}, recorded ${expected.selected_route}`);

  const rendered = expected.rendered_template ?? expected.rendered_template_observed_via_sqs;
  if (rendered !== undefined) {
    compareValue(rendered, o.value, (expected.body_match ?? expected.rendered_match ?? "json").startsWith("exact_text") ? "exact_text" : "json", "rendered", bindings, problems);
    if ((expected.rendered_match ?? "").includes("ORDER")) checkOrder(rendered, o.value, "rendered", problems);
  }

  const mode = expected.body_match ?? "";
  if (expected.body_text !== undefined && body !== expected.body_text) problems.push(`body: ${JSON.stringify(body)}, recorded ${JSON.stringify(expected.body_text)}`);
  if (mode.startsWith("bytes_base64")) {
    if (toBase64(o.bytes) !== expected.body) problems.push(`body (base64): ${toBase64(o.bytes).slice(0, 120)}, recorded ${String(expected.body).slice(0, 120)}`);
  } else if (mode.startsWith("exact_text") && rendered === undefined && expected.body_text === undefined) {
    if (body !== expected.body) problems.push(`body: ${JSON.stringify(body.slice(0, 400))}, recorded ${JSON.stringify(expected.body)}`);
  } else if (mode.startsWith("json") && rendered === undefined) {
    const actual = o.value !== undefined ? o.value : parse(body, problems);
    if (actual === PARSE_FAILED) return problems;
    if (expected.body_subset) for (const [dotted, want] of Object.entries(expected.body_subset)) matchValue(lookup(actual, dotted), want, dotted, bindings, problems, "subset");
    else if ("body" in expected) matchValue(actual, expected.body, "body", bindings, problems, "exact");
  }
  return problems;
}

/** Response headers Portico adds by design (its version, rate limits, CORS variance): allowed beside a recorded exact set. */
const PORTICO_OWN = /^(x-portico-version|vary|ratelimit|ratelimit-policy|content-length)$/;

const PARSE_FAILED = Symbol("not JSON");

function parse(body: string, problems: string[]): unknown {
  try {
    return JSON.parse(body);
  } catch {
    problems.push(`body is not JSON: ${body.slice(0, 300)}`);
    return PARSE_FAILED;
  }
}

function compareValue(expected: unknown, actual: unknown, mode: "json" | "exact_text", path: string, bindings: Map<string, unknown>, problems: string[]): void {
  if (mode === "exact_text") {
    if (actual !== expected) problems.push(`${path}: ${JSON.stringify(actual)}, recorded ${JSON.stringify(expected)}`);
    return;
  }
  let value = actual;
  if (typeof actual === "string") {
    value = parse(actual, problems);
    if (value === PARSE_FAILED) return;
  }
  matchValue(value, expected, path, bindings, problems, "exact");
}

function checkOrder(expected: unknown, actual: unknown, path: string, problems: string[]): void {
  const value = typeof actual === "string" ? safeParse(actual) : actual;
  if (!isObject(expected) || !isObject(value)) return;
  const want = Object.keys(expected).filter((k) => k in value);
  const got = Object.keys(value).filter((k) => k in expected);
  if (want.join(",") !== got.join(",")) problems.push(`${path}: keys in order ${got.join(", ")}, recorded ${want.join(", ")}`);
  for (const key of want) checkOrder(expected[key], value[key], `${path}.${key}`, problems);
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

function lookup(value: unknown, dotted: string): unknown {
  let node = value;
  for (const part of dotted.split(".")) node = node && typeof node === "object" ? (node as Record<string, unknown>)[part] : undefined;
  return node;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const strip = (path: string) => path.replace(/^(body|rendered)\./, "");

export function matchValue(actual: unknown, expected: unknown, path: string, bindings: Map<string, unknown>, problems: string[], mode: "exact" | "subset", key = path.split(".").pop() ?? ""): void {
  if (typeof expected === "string" && /(^|[^<])<[^<>\s]+>/.test(expected) && !PLACEHOLDER.test(expected) && typeof actual === "string") {
    // Placeholders inside text (`AmazonAPIGateway_<rest_api_id:1>`): the text around them must match.
    const names: string[] = [];
    const pattern = expected.replace(/<[^<>\s]+>|[^<]+|</g, (part) => {
      if (/^<[^<>\s]+>$/.test(part)) {
        names.push(part);
        return "(.+?)";
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    });
    const m = new RegExp(`^${pattern}$`).exec(actual);
    if (!m) problems.push(`${path}: ${JSON.stringify(actual)}, recorded ${JSON.stringify(expected)}`);
    else names.forEach((name, i) => matchValue(m[i + 1], name, path, bindings, problems, mode, key));
    return;
  }
  if (/^(x-amzn-remapped-)?content-length$/.test(key.toLowerCase()) && HEADER_MAP.test(path.slice(0, path.lastIndexOf(".")))) {
    // The length of a body holding this environment's host names, ids and a stand-in backend's formatting.
    if (actual === undefined) problems.push(`${path}: missing`);
    return;
  }
  if (typeof expected === "string" && (PLACEHOLDER.test(expected) || (expected.length > 3 && expected === kebab(key)))) {
    if (actual === undefined) problems.push(`${path}: missing (recorded ${expected})`);
    else if (bindings.has(expected) && bindings.get(expected) !== actual)
      problems.push(`${path}: ${JSON.stringify(actual)}, but ${expected} was ${JSON.stringify(bindings.get(expected))}`);
    else bindings.set(expected, actual);
    return;
  }
  if (key === "stackTrace" && Array.isArray(expected)) {
    // The runtime's own trace (Python's, in the recordings): any list of strings.
    if (!Array.isArray(actual) || !actual.every((line) => typeof line === "string")) problems.push(`${path}: not a list of strings`);
    return;
  }
  // The recording shows a JSON string body parsed; the wire carries the string.
  if (strip(path) === "body" && typeof actual === "string" && (isObject(expected) || Array.isArray(expected))) {
    try {
      actual = JSON.parse(actual);
    } catch {
      problems.push(`${path}: not JSON: ${actual}`);
      return;
    }
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      problems.push(`${path}: ${JSON.stringify(actual)}, recorded ${JSON.stringify(expected)}`);
      return;
    }
    expected.forEach((e, i) => matchValue(actual[i], e, `${path}[${i}]`, bindings, problems, mode, key));
    return;
  }
  if (isObject(expected)) {
    if (!isObject(actual)) {
      problems.push(`${path}: ${JSON.stringify(actual)}, recorded an object`);
      return;
    }
    const headerMap = HEADER_MAP.test(path);
    const received = RECEIVED_HEADER_MAP.test(path);
    // Fetch lower-cases header names, so header maps compare case-insensitively.
    const norm = (o: Record<string, unknown>) => (headerMap ? Object.fromEntries(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v])) : o);
    const [a, e] = [norm(actual), norm(expected)];
    for (const [k, want] of Object.entries(e)) {
      const field = strip(`${path}.${k}`);
      if (received && FRONT_DOOR_HEADER.test(k)) continue;
      if (headerMap && !received && AWS_RESPONSE_ONLY.has(k)) continue;
      if (AWS_ONLY_EVENT_FIELDS.has(field)) continue;
      if (AWS_VALUED_FIELDS.has(field)) {
        if (a[k] === undefined) problems.push(`${path}.${k}: missing`);
        continue;
      }
      matchValue(a[k], want, `${path}.${k}`, bindings, problems, mode, k);
    }
    if (mode === "exact")
      for (const k of Object.keys(a)) {
        if (k in e) continue;
        if (received && BACKEND_ADDED.test(k)) continue;
        if (headerMap && !received && PORTICO_OWN.test(k)) continue;
        if (headerMap && !received) continue;
        problems.push(`${path}.${k}: not in the recording (${JSON.stringify(a[k])})`);
      }
    return;
  }
  if (actual !== expected) problems.push(`${path}: ${JSON.stringify(actual)}, recorded ${JSON.stringify(expected)}`);
}
