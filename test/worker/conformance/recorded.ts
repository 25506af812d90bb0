/**
 * Replaying recorded Amazon API Gateway cases (shared/conformance/README.md): building the recorded request and
 * comparing what Portico answered with what AWS answered. Placeholders (`<uuid:1>`, `<host:1>` …) match any
 * present value, the same placeholder the same value. What only AWS's infrastructure adds is named here, once,
 * with the reason it is skipped; everything else must match.
 */

export interface RecordedCase {
  id: string;
  area: string;
  api_type: "REST" | "HTTP" | "WEBSOCKET";
  config: string;
  request: { method: string; path: string; headers?: Record<string, string | string[]>; body?: string };
  expected: {
    status: number | null;
    headers?: Record<string, string>;
    body?: unknown;
    body_text?: string;
    body_subset?: Record<string, unknown>;
    body_match: string;
  };
  notes?: string;
}

/** Response headers written by AWS's CloudFront front door or by the connection, not by the gateway's logic. */
const AWS_RESPONSE_ONLY = new Set(["via", "x-amz-cf-id", "x-amz-cf-pop", "x-cache", "x-amzn-trace-id", "x-amz-apigw-id", "connection", "date"]);

/**
 * Request headers AWS's front door (CloudFront, its load balancers) adds to the event, and headers the recording's
 * HTTP client added on its own (python-requests' Accept-Encoding, Host): the replayed request does not carry them.
 */
const FRONT_DOOR_HEADER = /^(cloudfront-.+|via|x-amz-cf-id|x-amzn-trace-id|x-forwarded-(for|port|proto)|host|accept-encoding)$/;

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
const AWS_VALUED_EVENT_FIELDS = new Set(["requestContext.accountId"]);

const PLACEHOLDER = /^<[^<>]+>$/;
const HEADER_MAPS = new Set(["headers", "multiValueHeaders", "body.headers", "body.multiValueHeaders"]);

/** The recorded request, sent to `origin` (the stage is part of a REST case's path). */
export function recordedRequest(c: RecordedCase, origin: string): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(c.request.headers ?? {})) for (const v of [value].flat()) headers.append(name, v);
  const hasBody = c.request.body !== undefined && c.request.method !== "GET" && c.request.method !== "HEAD";
  return new Request(origin + c.request.path, { method: c.request.method, headers, ...(hasBody ? { body: c.request.body } : {}) });
}

/** Compares Portico's response with the recording; returns every difference, empty when they agree. */
export async function compareResponse(c: RecordedCase, res: Response, overrides: Record<string, unknown> = {}): Promise<string[]> {
  const problems: string[] = [];
  const bindings = new Map<string, unknown>();
  const { expected } = c;
  const text = await res.text();
  if (expected.status !== null && res.status !== expected.status) problems.push(`status: ${res.status}, recorded ${expected.status}`);

  for (const [name, value] of Object.entries(expected.headers ?? {})) {
    const key = name.toLowerCase();
    if (AWS_RESPONSE_ONLY.has(key)) continue;
    if (key === "content-length") {
      const length = String(new TextEncoder().encode(text).byteLength);
      if (length !== value) problems.push(`content-length: body has ${length} bytes, recorded ${value}`);
      continue;
    }
    matchValue(res.headers.get(name) ?? undefined, value, `header ${name}`, bindings, problems, "exact");
  }

  const mode = expected.body_match;
  if (expected.body_text !== undefined) {
    if (text !== expected.body_text) problems.push(`body: ${JSON.stringify(text)}, recorded ${JSON.stringify(expected.body_text)}`);
  } else if (mode.startsWith("exact_text")) {
    if (text !== expected.body) problems.push(`body: ${JSON.stringify(text)}, recorded ${JSON.stringify(expected.body)}`);
  } else if (mode.startsWith("json")) {
    let actual: unknown;
    try {
      actual = JSON.parse(text);
    } catch {
      return [...problems, `body is not JSON: ${text.slice(0, 200)}`];
    }
    if (expected.body_subset) {
      for (const [dotted, want] of Object.entries(expected.body_subset)) {
        const value = dotted in overrides ? overrides[dotted] : want;
        matchValue(lookup(actual, dotted), value, dotted, bindings, problems, "subset");
      }
    } else {
      matchValue(actual, expected.body, "body", bindings, problems, "exact");
    }
  }
  return problems;
}

function lookup(value: unknown, dotted: string): unknown {
  let node = value;
  for (const part of dotted.split(".")) node = node && typeof node === "object" ? (node as Record<string, unknown>)[part] : undefined;
  return node;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const strip = (path: string) => path.replace(/^body\./, "");

function matchValue(actual: unknown, expected: unknown, path: string, bindings: Map<string, unknown>, problems: string[], mode: "exact" | "subset"): void {
  if (typeof expected === "string" && PLACEHOLDER.test(expected)) {
    if (actual === undefined) problems.push(`${path}: missing (recorded ${expected})`);
    else if (bindings.has(expected) && bindings.get(expected) !== actual)
      problems.push(`${path}: ${JSON.stringify(actual)}, but ${expected} was ${JSON.stringify(bindings.get(expected))}`);
    else bindings.set(expected, actual);
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
    expected.forEach((e, i) => matchValue(actual[i], e, `${path}[${i}]`, bindings, problems, mode));
    return;
  }
  if (isObject(expected)) {
    if (!isObject(actual)) {
      problems.push(`${path}: ${JSON.stringify(actual)}, recorded an object`);
      return;
    }
    const headerMap = HEADER_MAPS.has(path);
    // Fetch lower-cases header names, so header maps compare case-insensitively.
    const norm = (o: Record<string, unknown>) => (headerMap ? Object.fromEntries(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v])) : o);
    const [a, e] = [norm(actual), norm(expected)];
    for (const [key, want] of Object.entries(e)) {
      const field = strip(`${path}.${key}`);
      if (headerMap && FRONT_DOOR_HEADER.test(key)) continue;
      if (AWS_ONLY_EVENT_FIELDS.has(field)) continue;
      if (AWS_VALUED_EVENT_FIELDS.has(field)) {
        if (a[key] === undefined) problems.push(`${path}.${key}: missing`);
        continue;
      }
      matchValue(a[key], want, `${path}.${key}`, bindings, problems, mode);
    }
    if (mode === "exact") for (const key of Object.keys(a)) if (!(key in e)) problems.push(`${path}.${key}: not in the recording (${JSON.stringify(a[key])})`);
    return;
  }
  if (actual !== expected) problems.push(`${path}: ${JSON.stringify(actual)}, recorded ${JSON.stringify(expected)}`);
}
