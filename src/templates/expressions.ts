/**
 * Amazon's parameter-mapping expressions, parsed once (when a definition is checked, and when a bundle is made ready
 * to serve): where a mapped value comes from and where it goes.
 *
 * REST APIs: `integration.request.header|querystring|path.<name>` ← `method.request.path|querystring|header.<name>`,
 * `method.request.multivaluequerystring|multivalueheader.<name>`, `method.request.body[.<JSONPath>]`, `'literal'`,
 * `stageVariables.<name>`, `context.<name>`; and `method.response.header.<name>` ← `integration.response.header|
 * multivalueheader.<name>`, `integration.response.body[.<JSONPath>]`, a literal, a stage or context variable.
 *
 * HTTP APIs: `overwrite:|append:|remove:` + `header.<name>` / `querystring.<name>`, `overwrite:path`, and on responses
 * `overwrite:statuscode`; values are text with `$request.…` / `$response.…` / `$context.…` / `$stageVariables.…`
 * references, `${…}` to join several.
 */
import { compileJsonPath, JsonPathError, type JsonPath } from "./jsonpath.ts";

export type Source =
  | { kind: "param"; location: "path" | "querystring" | "header"; name: string; multi: boolean }
  | { kind: "body"; path: JsonPath | null }
  | { kind: "literal"; value: string }
  | { kind: "stageVariable"; name: string }
  | { kind: "context"; name: string };

export interface RestTarget {
  location: "header" | "querystring" | "path";
  name: string;
}

const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

export type Parsed<T> = { ok: T } | { error: string };

/** `integration.request.header.x` / `.querystring.x` / `.path.x`. */
export function parseRestTarget(text: string): Parsed<RestTarget> {
  const m = /^integration\.request\.(header|querystring|path)\.(.+)$/.exec(text);
  if (!m) return { error: "must be integration.request.header.<name>, integration.request.querystring.<name> or integration.request.path.<name>" };
  const location = m[1] as RestTarget["location"];
  const name = m[2]!;
  if (location === "header" && !TOKEN.test(name)) return { error: `"${name}" is not a valid header name` };
  if (location === "path" && !/^[A-Za-z0-9._$-]+$/.test(name)) return { error: `"${name}" is not a valid path parameter name` };
  return { ok: { location, name } };
}

/** `method.response.header.x`. */
export function parseResponseTarget(text: string): Parsed<string> {
  const m = /^method\.response\.header\.(.+)$/.exec(text);
  if (!m || !TOKEN.test(m[1]!)) return { error: "must be method.response.header.<header name>" };
  return { ok: m[1]! };
}

/** A REST mapping source, on the request side (`method.request.…`) or the response side (`integration.response.…`). */
export function parseRestSource(text: string, side: "request" | "response"): Parsed<Source> {
  if (text.length >= 2 && text.startsWith("'") && text.endsWith("'")) return { ok: { kind: "literal", value: text.slice(1, -1) } };
  let m = /^stageVariables\.([A-Za-z0-9_]{1,64})$/.exec(text);
  if (m) return { ok: { kind: "stageVariable", name: m[1]! } };
  m = /^context\.([A-Za-z0-9_.]+)$/.exec(text);
  if (m) return { ok: { kind: "context", name: m[1]! } };
  const prefix = side === "request" ? "method.request." : "integration.response.";
  if (!text.startsWith(prefix)) {
    const where = side === "request" ? "method.request.path|querystring|header.<name>, method.request.body[.<JSONPath>]" : "integration.response.header.<name>, integration.response.body[.<JSONPath>]";
    return { error: `must be ${where}, a 'literal', stageVariables.<name> or context.<name>` };
  }
  const rest = text.slice(prefix.length);
  if (rest === "body") return { ok: { kind: "body", path: null } };
  if (rest.startsWith("body.")) {
    try {
      return { ok: { kind: "body", path: compileJsonPath("$." + rest.slice(5)) } };
    } catch (err) {
      if (err instanceof JsonPathError) return { error: err.message };
      throw err;
    }
  }
  const locations = side === "request" ? ["path", "querystring", "multivaluequerystring", "header", "multivalueheader"] : ["header", "multivalueheader"];
  m = /^([a-z]+)\.(.+)$/.exec(rest);
  if (!m || !locations.includes(m[1]!)) return { error: `unknown source ${JSON.stringify(text)}` };
  const raw = m[1]!;
  const multi = raw.startsWith("multivalue");
  const location = (multi ? raw.slice(10) : raw) as "path" | "querystring" | "header";
  return { ok: { kind: "param", location, name: m[2]!, multi } };
}

/** HTTP-flavour mapping: an action on a request or response part. */
export interface HttpKey {
  action: "overwrite" | "append" | "remove";
  location: "header" | "querystring" | "path" | "statuscode";
  name: string;
}

/** Headers an HTTP API cannot map (Amazon's reserved list). */
const HTTP_RESERVED = /^(access-control-.*|apigw-.*|authorization|connection|content-encoding|content-length|content-location|forwarded|keep-alive|origin|proxy-authenticate|proxy-authorization|te|trailers|transfer-encoding|upgrade|x-amz-.*|x-amzn-.*|x-forwarded-for|x-forwarded-host|x-forwarded-proto|via)$/i;

export function parseHttpKey(text: string, side: "request" | "response"): Parsed<HttpKey> {
  if (side === "request" && text === "overwrite:path") return { ok: { action: "overwrite", location: "path", name: "" } };
  if (side === "response" && text === "overwrite:statuscode") return { ok: { action: "overwrite", location: "statuscode", name: "" } };
  const m = /^(overwrite|append|remove):(header|querystring)\.(.+)$/.exec(text);
  if (!m || (side === "response" && m[2] === "querystring")) {
    const allowed = side === "request" ? "overwrite:|append:|remove: on header.<name> or querystring.<name>, or overwrite:path" : "overwrite:|append:|remove: on header.<name>, or overwrite:statuscode";
    return { error: `must be ${allowed}` };
  }
  const name = m[3]!;
  if (m[2] === "header") {
    if (!TOKEN.test(name)) return { error: `"${name}" is not a valid header name` };
    if (HTTP_RESERVED.test(name)) return { error: `${name} is a reserved header and cannot be mapped (Amazon's HTTP API rule)` };
  }
  return { ok: { action: m[1] as HttpKey["action"], location: m[2] as HttpKey["location"], name } };
}

export type HttpPart =
  | string
  | { kind: "header" | "querystring" | "pathParam" | "context" | "stageVariable"; name: string }
  | { kind: "path" }
  | { kind: "body"; path: JsonPath | null };

/** An HTTP-flavour value: text with `$request.…` (or `$response.…`), `$context.…`, `$stageVariables.…` references. */
export function parseHttpValue(text: string, side: "request" | "response"): Parsed<HttpPart[]> {
  const parts: HttpPart[] = [];
  const re = /\$\{([^}]*)\}|\$((?:request|response|context|stageVariables)(?:\.[A-Za-z0-9_.$\[\]'"*-]+)?)/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    const ref = (m[1] ?? m[2])!;
    const part = httpReference(ref, side);
    if ("error" in part) return part;
    parts.push(part.ok);
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return { ok: parts };
}

function httpReference(ref: string, side: "request" | "response"): Parsed<HttpPart> {
  let m = /^context\.([A-Za-z0-9_.]+)$/.exec(ref);
  if (m) return { ok: { kind: "context", name: m[1]! } };
  m = /^stageVariables\.([A-Za-z0-9_]{1,64})$/.exec(ref);
  if (m) return { ok: { kind: "stageVariable", name: m[1]! } };
  const prefix = side === "request" ? "request." : "response.";
  if (!ref.startsWith(prefix)) return { error: `$${ref} cannot be used here` };
  const rest = ref.slice(prefix.length);
  if (side === "request" && rest === "path") return { ok: { kind: "path" } };
  if (rest === "body") return { ok: { kind: "body", path: null } };
  if (rest.startsWith("body.")) {
    if (rest.includes("..") || rest.includes("?(")) return { error: "recursive descent and filters are not supported in $request.body / $response.body" };
    try {
      return { ok: { kind: "body", path: compileJsonPath("$." + rest.slice(5)) } };
    } catch (err) {
      if (err instanceof JsonPathError) return { error: err.message };
      throw err;
    }
  }
  m = /^(header|querystring|path)\.(.+)$/.exec(rest);
  if (!m || (side === "response" && m[1] !== "header")) return { error: `unknown reference $${ref}` };
  return { ok: { kind: m[1] === "path" ? "pathParam" : (m[1] as "header" | "querystring"), name: m[2]! } };
}
