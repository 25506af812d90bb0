/**
 * Amazon's Lambda proxy event (payload format 1.0 or 2.0) for a request, as the `service` integration sends it —
 * buffered or streamed: the request's facts, the headers a Lambda behind API Gateway sees, and the authorizer's
 * context in the format's shape.
 */
import type { Identity } from "../../wire/identity.ts";
import { propagateTrace } from "../../observability/request-trace.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import { applyBackendHeaders, droppedWith, forwardedRequestHeaders } from "../../wire/headers.ts";
import { buildEventV1, buildEventV2 } from "../../wire/lambda/event.ts";
import { requestFacts } from "../../pipeline/lambda-facts.ts";
import { HIDDEN_FROM_MAPPING } from "../mapping/params.ts";
import { matchesMediaType } from "../../wire/media-types.ts";

/** Content types a 2.0 event carries as text; anything else goes base64, as HTTP APIs do. */
const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|application\/[a-z0-9.+-]+\+(json|xml))/i;

/** Amazon's Lambda proxy event (1.0 or 2.0) for the request. */
export async function proxyEvent(ctx: RequestContext, format: "1.0" | "2.0", binaryTypes: string[]): Promise<unknown> {
  const body = await ctx.readBody();
  const contentType = ctx.request.headers.get("content-type");
  const isBinaryBody = !!body && (format === "2.0" ? !TEXT_TYPES.test(contentType ?? "text/plain") : matchesMediaType(contentType, binaryTypes));
  const facts = requestFacts(ctx, {
    // What a Lambda behind API Gateway sees: end-to-end headers plus X-Forwarded-For/-Proto/-Port (Amazon
    // sends no X-Forwarded-Host), not Cloudflare's own.
    headers: lambdaHeaders(ctx),
    body,
    isBinaryBody,
    ...(ctx.identity ? { authorizer: authorizerContext(ctx.identity, format) } : {}),
  });
  return format === "1.0" ? buildEventV1(facts) : buildEventV2(facts);
}

/**
 * What a Lambda behind an authorizer finds in `requestContext.authorizer`, in each format's shape: 1.0 — JWT
 * `claims` (and `scopes`), or the principal and context of other authorizers; 2.0 — `{jwt: {claims, scopes}}`
 * or `{lambda: context}`.
 */
export function authorizerContext(identity: Identity, format: "1.0" | "2.0"): Record<string, unknown> {
  if (identity.type === "jwt") {
    const jwt = { claims: identity.claims ?? {}, scopes: identity.scopes.length ? identity.scopes : null };
    return format === "2.0" ? { jwt } : jwt;
  }
  const context = { principalId: identity.principalId, ...identity.context };
  return format === "2.0" ? { lambda: context } : context;
}

/** Headers Amazon leaves out of the event (recorded: rest-headers-aws-proxy-full-mapping-and-remapped-response). */
const NOT_IN_EVENT = droppedWith(HIDDEN_FROM_MAPPING);

/**
 * The headers a Lambda-style event carries: the client's as the route forwards them (its header policy, less what
 * Amazon leaves out of events), with X-Forwarded-For/-Proto/-Port, the identity headers the pipeline decided on and
 * the request's trace (when the stage traces). Also the WebSocket CONNECT event's.
 */
export function lambdaHeaders(ctx: RequestContext): Headers {
  const headers = forwardedRequestHeaders(ctx.request, ctx.url, ctx.clientIp, ctx.route?.headerPolicy, undefined, NOT_IN_EVENT);
  headers.delete("x-forwarded-host");
  // Identity headers (claimsToHeaders) overwrite or remove what the client sent, as for HTTP backends.
  applyBackendHeaders(headers, ctx.backendHeaders);
  // The trace, in the event's headers, as Amazon puts X-Amzn-Trace-Id there (and traceparent beside it).
  propagateTrace(ctx, headers);
  return headers;
}
