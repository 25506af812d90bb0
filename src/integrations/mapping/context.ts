/**
 * `$context` for one request, as Amazon's REST APIs give it to mapping templates: the keys in Amazon's order (as
 * recorded: `$context.keySet()`), nested objects (`identity`, `requestOverride`, `responseOverride`, `authorizer`)
 * that print as nothing but read and write as maps, and the authorizer's context values stringified.
 *
 * One map serves the request template and the response template of a request, so overrides and any other key a
 * request template sets are still there for the response template (recorded on Amazon).
 */
import type { Identity } from "../../wire/identity.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import { ContextMap } from "../../pipeline/integration-request.ts";
import { OpaqueMap, javaString } from "../../templates/index.ts";
import { formatRequestTime } from "../../wire/lambda/event.ts";


/** `$context.accountId`: there is no AWS account; templates and access logs say so the same way. */
export const ACCOUNT_ID = "portico";

let lastSecond = -1;
let lastTime = "";
/** The CLF request time (`$context.requestTime`), formatted once per second of requests; access logs use it too. */
export function requestTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastTime = formatRequestTime(ms);
  }
  return lastTime;
}

/** Builds `$context` for a request (before the request template runs). */
export function buildContext(ctx: RequestContext): ContextMap {
  const apiKeyRequired = ctx.route?.spec.apiKeyRequired ?? false;
  const identity = new OpaqueMap([
    ["cognitoIdentityPoolId", null],
    ["accountId", null],
    ["cognitoIdentityId", null],
    ["caller", null],
    ["sourceIp", ctx.clientIp],
    ["principalOrgId", null],
    ["accessKey", null],
    ["cognitoAuthenticationType", null],
    ["cognitoAuthenticationProvider", null],
    ["userArn", null],
    ["userAgent", ctx.request.headers.get("user-agent")],
    ["user", null],
  ]);
  if (apiKeyRequired) {
    // Amazon gives the key itself to templates of routes that require one; Portico gives its id only (the key is a secret).
    identity.set("apiKey", ctx.apiKeyId ?? null);
    identity.set("apiKeyId", ctx.apiKeyId ?? null);
  }
  const host = ctx.url.hostname;
  const map = new ContextMap([
    ["resourceId", ctx.route?.spec.key ?? ""],
    ["resourcePath", ctx.route?.spec.path ?? ""],
    ["httpMethod", ctx.request.method],
    ["extendedRequestId", ctx.requestId],
    ["requestTime", requestTime(ctx.receivedAt)],
    ["path", ctx.url.pathname],
    ["accountId", ACCOUNT_ID],
    ["protocol", "HTTP/1.1"],
    ["requestOverride", new OpaqueMap([["path", new OpaqueMap()], ["header", new OpaqueMap()], ["querystring", new OpaqueMap()]])],
    ["stage", ctx.stage],
    ["domainPrefix", host.split(".")[0] ?? host],
    ["requestTimeEpoch", ctx.receivedAt],
    ["requestId", ctx.requestId],
    ["identity", identity],
    ["domainName", host],
    ["deploymentId", ctx.deploymentId.slice(0, 12)],
    ["responseOverride", new OpaqueMap([["header", new OpaqueMap()]])],
    ["apiId", ctx.api],
  ]);
  if (ctx.identity) map.set("authorizer", authorizerMap(ctx.identity));
  if (ctx.isCanary) map.set("isCanaryRequest", true);
  return map;
}

/** `$context.authorizer`: the principal, the context values as strings, and (JWT) the claims. */
function authorizerMap(identity: Identity): OpaqueMap {
  const map = new OpaqueMap([["principalId", identity.principalId]]);
  for (const [k, v] of Object.entries(identity.context)) map.set(k, javaString(v));
  if (identity.claims) {
    const claims = new OpaqueMap();
    for (const [k, v] of Object.entries(identity.claims)) claims.set(k, typeof v === "string" ? v : JSON.stringify(v));
    map.set("claims", claims);
  }
  return map;
}

/** `context.a.b` in a parameter mapping: the value as text, or null. */
export function contextValue(map: Map<string, unknown>, dotted: string): string | null {
  let node: unknown = map;
  for (const part of dotted.split(".")) {
    if (!(node instanceof Map)) return null;
    node = node.get(part);
  }
  return node === null || node === undefined || node instanceof Map ? null : javaString(node);
}
