/**
 * The authorizer interface: one per authorizer in a bundle, built once per bundle, asked once per request by the
 * authorize step. An authorizer returns the caller's identity or throws a GatewayError — 401 when the caller
 * did not prove who they are, 403 when they are not allowed, 500 when the authorizer itself failed. It never
 * allows on failure. Every authorizer passes the contract suite in test/worker/authorizers/contract.test.ts.
 */
import type { RequestContext } from "../pipeline/context.ts";
import type { Identity } from "../wire/identity.ts";
import { readCookie } from "../util/cookies.ts";

export interface RouteRequirement {
  /** JWT scopes, any of which the token must carry (empty: none required). */
  scopes: string[];
}

export interface Authorizer {
  readonly type: Identity["type"];
  authorize(ctx: RequestContext, requirement: RouteRequirement): Promise<Identity>;
  /**
   * The verdict without side effects, for shadow evaluation: only authorizers whose `authorize` has some (a custom
   * authorizer calls someone else's code) define it, answering from what they already know — undefined when they
   * would have to ask. Authorizers without it decide locally and are run as they are.
   */
  peek?(ctx: RequestContext, requirement: RouteRequirement): Promise<Identity | undefined>;
}

/** Reads one identity source (`$request.header.X`, `$request.querystring.X`, `$request.cookie.X`, `$stageVariables.X`, `$context.X`). */
export function readIdentitySource(ctx: RequestContext, source: string): string | undefined {
  const dot = source.indexOf(".", source.startsWith("$request.") ? 9 : 1);
  const kind = source.slice(0, dot);
  const name = source.slice(dot + 1);
  let value: string | null | undefined;
  switch (kind) {
    case "$request.header":
      value = ctx.request.headers.get(name);
      break;
    case "$request.querystring":
      value = ctx.url.searchParams.get(name);
      break;
    case "$request.cookie":
      value = readCookie(ctx.request.headers.get("cookie"), name);
      break;
    case "$stageVariables":
      value = ctx.stageVariables[name];
      break;
    case "$context":
      value = contextValue(ctx, name);
      break;
  }
  return value === null || value === undefined || value.trim() === "" ? undefined : value;
}


function contextValue(ctx: RequestContext, name: string): string | undefined {
  switch (name) {
    case "stage":
      return ctx.stage;
    case "requestId":
      return ctx.requestId;
    case "httpMethod":
      return ctx.request.method;
    case "resourcePath":
      return ctx.route?.spec.path;
    case "identity.sourceIp":
      return ctx.clientIp || undefined;
    default:
      return undefined;
  }
}

/** Amazon's method ARN for a request, with Portico's partition and account: `arn:portico:execute-api:edge:portico:<api>/<stage>/<METHOD>/<path>`. */
export function methodArn(ctx: RequestContext): string {
  return `arn:portico:execute-api:edge:portico:${ctx.api}/${ctx.stage}/${ctx.request.method}${ctx.path}`;
}
