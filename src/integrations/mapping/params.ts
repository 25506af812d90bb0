/**
 * The method request's parameters as Amazon's mapping sees them, read once per request: path parameters (raw,
 * never decoded), query-string values (form-decoded, repeated names kept in order) and headers (lower-cased names,
 * since Workers lower-case them). Headers Amazon hides from mapping (`Connection`, `Content-Length`, `Expect` …,
 * recorded: `$input.params()` answers '' for them) are left out, and so is what the client-header rules
 * (security/client-headers.ts) keep from every backend: Portico's `x-portico-*`, aliases of gateway-set headers,
 * other gateways' internal headers unless the route forwards them.
 */
import type { RequestContext } from "../../pipeline/context.ts";
import type { MethodParams } from "../../pipeline/integration-request.ts";
import { parseQuery } from "../../wire/lambda/event.ts";
import { NOT_FORWARDED } from "../../wire/headers.ts";
import { DEFAULT_HEADER_POLICY, dropsClientHeader } from "../../security/client-headers.ts";

/** Request headers Amazon does not show to templates and parameter mappings (recorded: rest-headers-http-full-mapping…). */
export const HIDDEN_FROM_MAPPING = new Set([
  "connection",
  "content-length",
  "content-md5",
  "expect",
  "max-forwards",
  "proxy-authenticate",
  "server",
  "te",
  "transfer-encoding",
  "trailer",
  "upgrade",
  "www-authenticate",
]);

/** Hidden from mapping, or never the client's to send (the platform's names). */
const HIDDEN: ReadonlySet<string> = new Set([...HIDDEN_FROM_MAPPING, ...NOT_FORWARDED]);


export function methodParams(ctx: RequestContext): MethodParams {
  const query = new Map<string, string[]>();
  for (const [k, v] of parseQuery(ctx.url.search.slice(1))) query.set(k, [...(query.get(k) ?? []), v]);
  const header = new Map<string, string>();
  const policy = ctx.route?.headerPolicy ?? DEFAULT_HEADER_POLICY;
  for (const [name, value] of ctx.request.headers) {
    // What no backend may get from a client (client-headers.ts) cannot be mapped onto the backend request either.
    if (HIDDEN.has(name) || name.startsWith("cf-") || dropsClientHeader(name, policy, HIDDEN)) continue;
    header.set(name, value);
  }
  return { path: ctx.pathParams, query, header };
}

/** The maps `$input.params()` shows: one value per name (the last of a repeated query-string name, as Amazon). */
export function inputParams(p: MethodParams): { path: Map<string, string>; querystring: Map<string, string>; header: Map<string, string> } {
  const querystring = new Map<string, string>();
  for (const [k, values] of p.query) querystring.set(k, values[values.length - 1]!);
  return { path: new Map(Object.entries(p.path)), querystring, header: p.header };
}
