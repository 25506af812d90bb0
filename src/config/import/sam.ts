/**
 * What SAM adds to an API at deploy time, done here: the routes of functions' `Api`/`HttpApi` events (a Lambda proxy
 * integration wherever the body has none) and an HttpApi's JWT `Auth` (authorizers and the default one).
 */
import { isObject } from "../field-errors.ts";
import type { Flavor } from "../types.ts";
import { functionName, resolveIntrinsics, type TemplateContext } from "./intrinsics.ts";
import { Issues, type JsonPath } from "./issues.ts";

export const IMPLICIT = { rest: "ServerlessRestApi", http: "ServerlessHttpApi" } as const;
const AUTH_NOT_CARRIED = "not carried over: SAM's Auth protects the routes on Amazon (authorizers, API keys, resource policies); describe them in the definition body";

/** `AllowOrigins` → `allowOrigins`: SAM/CloudFormation's names are Amazon's extension's, capitalised. */
export function lowerFirstKeys(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.charAt(0).toLowerCase() + k.slice(1), v]));
}

export interface FunctionEvent {
  api: string;
  functionId: string;
  kind: "Api" | "HttpApi";
  path?: string;
  method?: string;
  payloadFormatVersion?: string;
  timeoutInMillis?: unknown;
}

/** Every function's `Api`/`HttpApi` event, with the API it names (SAM's implicit API when it names none). */
export function functionEvents(resources: TemplateContext["resources"]): FunctionEvent[] {
  const out: FunctionEvent[] = [];
  for (const [id, r] of Object.entries(resources)) {
    if (r?.Type !== "AWS::Serverless::Function" || !isObject(r.Properties?.Events)) continue;
    for (const event of Object.values(r.Properties.Events as Record<string, unknown>)) {
      if (!isObject(event) || (event.Type !== "Api" && event.Type !== "HttpApi")) continue;
      const p = (isObject(event.Properties) ? event.Properties : {}) as Record<string, unknown>;
      const apiRef = event.Type === "Api" ? p.RestApiId : p.ApiId;
      const api = isObject(apiRef) && typeof apiRef.Ref === "string" ? apiRef.Ref : typeof apiRef === "string" ? apiRef : event.Type === "Api" ? IMPLICIT.rest : IMPLICIT.http;
      out.push({
        api,
        functionId: id,
        kind: event.Type,
        ...(typeof p.Path === "string" ? { path: p.Path } : {}),
        ...(typeof p.Method === "string" ? { method: p.Method.toLowerCase() } : {}),
        ...(p.PayloadFormatVersion !== undefined ? { payloadFormatVersion: String(p.PayloadFormatVersion) } : {}),
        ...(p.TimeoutInMillis !== undefined ? { timeoutInMillis: p.TimeoutInMillis } : {}),
      });
    }
  }
  return out;
}

/** The routes SAM adds for events: a Lambda proxy integration wherever the body has none for that path and method. */
export function addEventRoutes(doc: Record<string, unknown>, events: FunctionEvent[], flavor: Flavor, ctx: TemplateContext): void {
  const paths = doc.paths as Record<string, Record<string, unknown>>;
  for (const e of events) {
    const path = e.path ?? "$default";
    const method = !e.method || e.method === "any" ? "x-amazon-apigateway-any-method" : e.method;
    const item = (paths[path] ??= {});
    const op = (isObject(item[method]) ? item[method] : (item[method] = { responses: {} })) as Record<string, unknown>;
    if (path === "$default") op.isDefaultRoute = true;
    if (op["x-amazon-apigateway-integration"]) continue;
    op["x-amazon-apigateway-integration"] = {
      type: "aws_proxy",
      httpMethod: "POST",
      uri: `arn:aws:apigateway:${ctx.region}:lambda:path/2015-03-31/functions/arn:aws:lambda:${ctx.region}:${ctx.accountId}:function:${functionName(ctx, e.functionId)}/invocations`,
      payloadFormatVersion: e.payloadFormatVersion ?? (flavor === "http" ? "2.0" : "1.0"),
      ...timeoutOf(e.timeoutInMillis, ctx),
    };
  }
}

/** An event's TimeoutInMillis (often `!Ref` a parameter), when the template says what it is. */
function timeoutOf(value: unknown, ctx: TemplateContext): { timeoutInMillis?: number } {
  const resolved = resolveIntrinsics(value, ctx, new Issues(), []);
  return typeof resolved === "number" ? { timeoutInMillis: resolved } : {};
}

/** SAM's `Auth` on an HttpApi: JWT authorizers and the default one, written into the document as Amazon's extensions. */
export function samAuth(doc: Record<string, unknown>, auth: unknown, flavor: Flavor, type: string, path: JsonPath, issues: Issues): void {
  if (type !== "AWS::Serverless::HttpApi" || !isObject(auth)) {
    issues.error(path, AUTH_NOT_CARRIED);
    return;
  }
  const authorizers = isObject(auth.Authorizers) ? auth.Authorizers : {};
  const components = (doc.components ??= {}) as Record<string, unknown>;
  const schemes = (components.securitySchemes ??= {}) as Record<string, unknown>;
  for (const [name, a] of Object.entries(authorizers)) {
    if (!isObject(a) || !isObject(a.JwtConfiguration)) {
      issues.error([...path, "Authorizers", name], "not carried over: only SAM's JWT authorizers are read from Auth; write Lambda authorizers in the definition body");
      continue;
    }
    const jwt = lowerFirstKeys(a.JwtConfiguration);
    schemes[name] ??= {
      type: "oauth2",
      "x-amazon-apigateway-authorizer": {
        type: "jwt",
        jwtConfiguration: jwt,
        identitySource: typeof a.IdentitySource === "string" ? a.IdentitySource : "$request.header.Authorization",
      },
    };
  }
  const fallback = auth.DefaultAuthorizer;
  if (typeof fallback === "string" && Object.hasOwn(schemes, fallback) && flavor === "http") {
    const scopes = isObject(authorizers[fallback]) && Array.isArray((authorizers[fallback] as Record<string, unknown>).AuthorizationScopes) ? (authorizers[fallback] as Record<string, unknown>).AuthorizationScopes : [];
    for (const item of Object.values(doc.paths as Record<string, unknown>))
      if (isObject(item))
        for (const [method, op] of Object.entries(item))
          if (isObject(op) && method !== "parameters" && op.security === undefined) op.security = [{ [fallback]: scopes }];
  }
  for (const key of Object.keys(auth))
    if (key !== "Authorizers" && key !== "DefaultAuthorizer") issues.error([...path, key], AUTH_NOT_CARRIED);
}
