/**
 * Validates and parses what a Lambda proxy handler returned, following Amazon API Gateway's rules for
 * payload formats 1.0 (REST API) and 2.0 (HTTP API). Anything API Gateway would call a "malformed Lambda
 * proxy response" yields null, and the caller answers 502.
 */

/** A parsed reply: headers in order, set-cookie possibly repeated, every other name once. */
export interface LambdaReply {
  status: number;
  headers: [string, string][];
  body: string | Uint8Array;
}

/** Options for {@link parseReply}. */
export interface ParseReplyOptions {
  /**
   * Format 1.0 only: decode a base64 body flagged isBase64Encoded. REST APIs only decode when the API's
   * binaryMediaTypes match, so the caller decides; otherwise the base64 text goes out as-is.
   */
  decodeBase64?: boolean;
}

const V1_KEYS = new Set(["statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"]);
const V2_KEYS = new Set([...V1_KEYS, "cookies"]);

/**
 * Parses a handler's reply (already JSON-decoded) in the given payload format.
 * Returns null when API Gateway would reject it as malformed.
 */
export function parseReply(
  value: unknown,
  format: "1.0" | "2.0",
  opts: ParseReplyOptions = {},
): LambdaReply | null {
  if (format === "1.0") {
    return isPlainObject(value) ? parseStructured(value, V1_KEYS, opts.decodeBase64 === true) : null;
  }
  // HTTP APIs infer the format: only an object with a statusCode key is a structured response.
  if (isPlainObject(value) && Object.hasOwn(value, "statusCode")) {
    return parseStructured(value, V2_KEYS, true);
  }
  const body = inferredBody(value);
  if (body === undefined) return null;
  return { status: 200, headers: [["content-type", "application/json"]], body };
}

/** The body of an inferred 2.0 response: a JSON string is sent as itself, anything else as its JSON. */
function inferredBody(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  try {
    // undefined, functions and symbols stringify to undefined; bigint and cycles throw.
    const json: unknown = JSON.stringify(value);
    return typeof json === "string" ? json : undefined;
  } catch {
    return undefined;
  }
}

function parseStructured(
  reply: Record<string, unknown>,
  allowedKeys: ReadonlySet<string>,
  decodeBase64: boolean,
): LambdaReply | null {
  for (const key of Object.keys(reply)) if (!allowedKeys.has(key)) return null;

  const status = parseStatus(reply.statusCode);
  if (status === null) return null;

  const { body, isBase64Encoded } = reply;
  if (body !== undefined && body !== null && typeof body !== "string") return null;
  if (isBase64Encoded !== undefined && isBase64Encoded !== null && typeof isBase64Encoded !== "boolean") {
    return null;
  }

  const headers = mergeHeaders(reply.multiValueHeaders, reply.headers);
  if (headers === null) return null;

  if (reply.cookies !== undefined && reply.cookies !== null) {
    const cookies: unknown = reply.cookies;
    if (!Array.isArray(cookies) || !cookies.every((c): c is string => typeof c === "string")) return null;
    for (const cookie of cookies) {
      if (!VALUE.test(cookie)) return null;
      headers.push(["set-cookie", cookie]);
    }
  }

  if (!headers.some(([name]) => name.toLowerCase() === "content-type")) {
    headers.push(["content-type", "application/json"]); // what AWS sends when the handler sets none
  }

  let out: string | Uint8Array = body ?? "";
  if (isBase64Encoded === true && decodeBase64) {
    const bytes = fromBase64(out);
    if (bytes === null) return null;
    out = bytes;
  }
  return { status, headers, body: out };
}

/**
 * Missing (or null) → 200; an integer or a string of digits within 200..599; anything else → null. (1xx statuses
 * are interim responses a reply cannot end with: Amazon treats them as malformed, and so do we.)
 */
function parseStatus(value: unknown): number | null {
  let status: number;
  if (value === undefined || value === null) status = 200;
  else if (typeof value === "number" && Number.isInteger(value)) status = value;
  else if (typeof value === "string" && /^[0-9]{1,3}$/.test(value)) status = Number(value);
  else return null;
  return status >= 200 && status <= 599 ? status : null;
}

/** RFC 9110 token (a header name) and a header value without CR, LF or NUL. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const VALUE = /^[^\r\n\0]*$/;

type HeaderScalar = string | number | boolean;

function isScalar(v: unknown): v is HeaderScalar {
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean";
}

/**
 * Merges multiValueHeaders and headers into one header per case-insensitive name: the multi values
 * first, then the single value, joined with ", " under the first casing seen (multiValueHeaders's).
 * Set-Cookie values stay separate entries since joining them would corrupt the cookies.
 * Returns null when either map has the wrong shape.
 */
function mergeHeaders(multi: unknown, single: unknown): [string, string][] | null {
  const merged = new Map<string, { name: string; values: string[] }>();
  // A name or value Fetch can't send is as malformed as a wrong type: better a 502 than a throw later.
  const add = (name: string, values: string[]): boolean => {
    if (!TOKEN.test(name) || !values.every((v) => VALUE.test(v))) return false;
    const key = name.toLowerCase();
    const entry = merged.get(key);
    if (entry) entry.values.push(...values);
    else merged.set(key, { name, values: [...values] });
    return true;
  };

  if (multi !== undefined && multi !== null) {
    if (!isPlainObject(multi)) return null;
    for (const [name, values] of Object.entries(multi)) {
      if (!Array.isArray(values) || !values.every(isScalar)) return null;
      if (!add(name, values.map(String))) return null;
    }
  }
  if (single !== undefined && single !== null) {
    if (!isPlainObject(single)) return null;
    for (const [name, value] of Object.entries(single)) {
      if (!isScalar(value)) return null;
      if (!add(name, [String(value)])) return null;
    }
  }

  const headers: [string, string][] = [];
  for (const [key, { name, values }] of merged) {
    // An empty multi-value list with no single value names a header with no value: send nothing.
    if (values.length === 0) continue;
    if (key === "set-cookie") for (const v of values) headers.push([name, v]);
    else headers.push([name, values.join(", ")]);
  }
  return headers;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** atob's forgiving base64 (padding optional, ASCII whitespace ignored); null when it isn't base64. */
function fromBase64(text: string): Uint8Array | null {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    return null;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
