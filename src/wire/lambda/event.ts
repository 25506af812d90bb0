/**
 * Builds the event a Lambda proxy integration receives, in Amazon API Gateway's two payload formats:
 * 1.0 (the REST API "AWS_PROXY" event) and 2.0 (the HTTP API event). Pure: every input arrives in
 * {@link LambdaRequestFacts}, computed by the caller from the matched route.
 */

/** What the gateway knows about one client request, as the caller saw it. */
export interface LambdaRequestFacts {
  /** Client's method, e.g. "GET". */
  method: string;
  /** Path after the stage as the client sent it (not percent-decoded), e.g. "/pets/1". */
  path: string;
  /** Full request path including the stage as received, e.g. "/prod//pets/1". */
  requestPath: string;
  /** Route path template, e.g. "/pets/{id}" or "/{proxy+}"; "$default" for the HTTP catch-all. */
  resource: string;
  /** E.g. "GET /pets/{id}" or "$default". */
  routeKey: string;
  /** Raw query string without "?", e.g. "a=1&a=2&b=x+y". */
  rawQuery: string;
  /** Client headers (names arrive lower-cased). */
  headers: Headers;
  /** Raw, not decoded. */
  pathParameters: Record<string, string>;
  stageVariables: Record<string, string>;
  stage: string;
  requestId: string;
  apiId: string;
  /** Host. */
  domainName: string;
  sourceIp: string;
  requestTimeEpochMs: number;
  /** null = no body. */
  body: Uint8Array | null;
  /** Decided by the caller; when true the body goes base64 and isBase64Encoded = true. */
  isBinaryBody: boolean;
  /** `requestContext.authorizer`, already in the format's shape (see authorizerContext in integrations/service/proxy-event.ts). */
  authorizer?: Record<string, unknown>;
}

/** Payload format 1.0 (REST API proxy event). */
export interface LambdaEventV1 {
  resource: string;
  path: string;
  httpMethod: string;
  headers: Record<string, string> | null;
  multiValueHeaders: Record<string, string[]> | null;
  queryStringParameters: Record<string, string> | null;
  multiValueQueryStringParameters: Record<string, string[]> | null;
  pathParameters: Record<string, string> | null;
  stageVariables: Record<string, string> | null;
  requestContext: {
    resourcePath: string; httpMethod: string; path: string; stage: string; requestId: string;
    requestTime: string; requestTimeEpoch: number;
    identity: { sourceIp: string; userAgent: string | null };
    domainName: string; apiId: string; protocol: string; accountId: string; resourceId: string;
    authorizer?: Record<string, unknown>;
  };
  body: string | null;
  isBase64Encoded: boolean;
}

/** Payload format 2.0 (HTTP API event). Optional keys are omitted, not null, when empty, as AWS does. */
export interface LambdaEventV2 {
  version: "2.0";
  routeKey: string;
  rawPath: string;
  rawQueryString: string;
  cookies?: string[];
  headers: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  pathParameters?: Record<string, string>;
  stageVariables?: Record<string, string>;
  requestContext: {
    accountId: string; apiId: string; domainName: string; domainPrefix: string;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    requestId: string; routeKey: string; stage: string; time: string; timeEpoch: number;
  };
  body?: string;
  isBase64Encoded: boolean;
}

/** Builds the payload format 1.0 (REST API "AWS_PROXY") event. */
export function buildEventV1(facts: LambdaRequestFacts): LambdaEventV1 {
  // Maps, then Object.fromEntries: client-chosen names such as "__proto__" must stay plain own keys.
  const headers = new Map<string, string>();
  const multiValueHeaders = new Map<string, string[]>();
  // Fetch iterates set-cookie once per value and everything else already joined, so "last wins" for the
  // single map and "append" for the multi map reproduce AWS for every header Fetch can distinguish.
  for (const [name, value] of facts.headers) {
    headers.set(name, value);
    multiValueHeaders.set(name, [...(multiValueHeaders.get(name) ?? []), value]);
  }
  const single = new Map<string, string>();
  const multi = new Map<string, string[]>();
  for (const [key, value] of parseQuery(facts.rawQuery)) {
    single.set(key, value); // REST keeps the last value of a repeated key
    multi.set(key, [...(multi.get(key) ?? []), value]);
  }
  return {
    resource: facts.resource,
    path: facts.path,
    httpMethod: facts.method,
    headers: headers.size > 0 ? Object.fromEntries(headers) : null,
    multiValueHeaders: headers.size > 0 ? Object.fromEntries(multiValueHeaders) : null,
    queryStringParameters: single.size > 0 ? Object.fromEntries(single) : null,
    multiValueQueryStringParameters: single.size > 0 ? Object.fromEntries(multi) : null,
    pathParameters: nonEmpty(facts.pathParameters) ?? null,
    stageVariables: nonEmpty(facts.stageVariables) ?? null,
    requestContext: {
      resourcePath: facts.resource,
      httpMethod: facts.method,
      path: facts.requestPath,
      stage: facts.stage,
      requestId: facts.requestId,
      requestTime: formatRequestTime(facts.requestTimeEpochMs),
      requestTimeEpoch: facts.requestTimeEpochMs,
      identity: { sourceIp: facts.sourceIp, userAgent: facts.headers.get("user-agent") },
      domainName: facts.domainName,
      apiId: facts.apiId,
      protocol: "HTTP/1.1",
      accountId: "portico",
      // AWS's resourceId is an opaque per-resource id; the route key is stable and means something.
      resourceId: facts.routeKey,
      ...(facts.authorizer ? { authorizer: facts.authorizer } : {}),
    },
    body: encodeBody(facts) ?? null,
    isBase64Encoded: facts.isBinaryBody && hasBody(facts),
  };
}

/** Builds the payload format 2.0 (HTTP API) event. */
export function buildEventV2(facts: LambdaRequestFacts): LambdaEventV2 {
  const headers = new Map<string, string>();
  let cookies: string[] = [];
  for (const [name, value] of facts.headers) {
    if (name === "cookie") {
      // HTTP APIs lift cookies out of the headers into their own array.
      cookies = cookies.concat(value.split(";").map((c) => c.trim()).filter((c) => c !== ""));
      continue;
    }
    // AWS joins a repeated header with "," but Fetch has already joined it with ", ": undo that, except
    // for headers whose single value legitimately holds ", " (the join can't be told apart there).
    const v = KEEP_COMMA_SPACE.has(name) ? value : value.replaceAll(", ", ",");
    const prev = headers.get(name);
    headers.set(name, prev === undefined ? v : `${prev},${v}`);
  }
  const query = new Map<string, string>();
  for (const [key, value] of parseQuery(facts.rawQuery)) {
    const prev = query.get(key);
    query.set(key, prev === undefined ? value : `${prev},${value}`); // HTTP APIs comma-join repeats
  }
  const host = facts.domainName.replace(/:\d+$/, "");
  const event: LambdaEventV2 = {
    version: "2.0",
    routeKey: facts.routeKey,
    rawPath: facts.path,
    rawQueryString: facts.rawQuery,
    headers: Object.fromEntries(headers),
    requestContext: {
      accountId: "portico",
      apiId: facts.apiId,
      domainName: facts.domainName,
      domainPrefix: host.split(".")[0] ?? host,
      http: {
        method: facts.method,
        path: facts.path,
        protocol: "HTTP/1.1",
        sourceIp: facts.sourceIp,
        userAgent: facts.headers.get("user-agent") ?? "",
      },
      requestId: facts.requestId,
      routeKey: facts.routeKey,
      stage: facts.stage,
      time: formatRequestTime(facts.requestTimeEpochMs),
      timeEpoch: facts.requestTimeEpochMs,
      ...(facts.authorizer ? { authorizer: facts.authorizer } : {}),
    },
    isBase64Encoded: facts.isBinaryBody && hasBody(facts),
  };
  if (cookies.length > 0) event.cookies = cookies;
  if (query.size > 0) event.queryStringParameters = Object.fromEntries(query);
  const pathParameters = nonEmpty(facts.pathParameters);
  if (pathParameters) event.pathParameters = pathParameters;
  const stageVariables = nonEmpty(facts.stageVariables);
  if (stageVariables) event.stageVariables = stageVariables;
  const body = encodeBody(facts);
  if (body !== undefined) event.body = body;
  return event;
}

/** Headers whose one value commonly contains ", " (product comments, HTTP dates, auth parameters). */
const KEEP_COMMA_SPACE = new Set([
  "user-agent", "authorization", "proxy-authorization", "date", "if-modified-since", "if-unmodified-since",
  "if-range",
]);

/**
 * Splits a raw query string into form-decoded pairs, in order. A pair without "=" has the value "";
 * empty segments ("a=1&&b=2") are skipped.
 */
export function parseQuery(rawQuery: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const segment of rawQuery.split("&")) {
    if (segment === "") continue;
    const eq = segment.indexOf("=");
    const key = eq < 0 ? segment : segment.slice(0, eq);
    const value = eq < 0 ? "" : segment.slice(eq + 1);
    pairs.push([formDecode(key), formDecode(value)]);
  }
  return pairs;
}

/** "+" is a space and %XX is decoded; a malformed escape (or invalid UTF-8 run) stays as written. */
function formDecode(s: string): string {
  return s.replaceAll("+", " ").replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** AWS's requestTime format, always UTC: "09/Apr/2015:12:34:56 +0000". */
export function formatRequestTime(epochMs: number): string {
  const d = new Date(epochMs);
  const p = (n: number) => String(n).padStart(2, "0");
  return (
    `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`
  );
}

function nonEmpty(record: Record<string, string>): Record<string, string> | undefined {
  return Object.keys(record).length > 0 ? { ...record } : undefined;
}

// A zero-length body counts as no body: API Gateway sends null (1.0) or omits the key (2.0) then.
function hasBody(facts: LambdaRequestFacts): boolean {
  return facts.body !== null && facts.body.length > 0;
}

function encodeBody(facts: LambdaRequestFacts): string | undefined {
  if (!hasBody(facts) || facts.body === null) return undefined;
  return facts.isBinaryBody ? toBase64(facts.body) : new TextDecoder().decode(facts.body);
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
