/**
 * Where each access-log variable's value comes from: the request context, the response, and — for the authorizer's
 * context and claims — the same `$context` map mapping templates read (integrations/mapping/context.ts), built only
 * when a format names one of those. A value the gateway does not have is `undefined` (logged `-`, or `null` in a
 * JSON value position).
 *
 * Nothing here reads a token, a key or a secret: `identity.apiKey` is the key's id (as in templates), and no variable
 * reads a request header other than User-Agent.
 */
import type { RequestContext } from "../../pipeline/context.ts";
import { responseDefault } from "../../pipeline/gateway-responses.ts";
import { buildContext, contextValue, requestTime, ACCOUNT_ID } from "../../integrations/mapping/context.ts";
import { traceOf } from "../request-trace.ts";
import { xrayRootOf } from "../trace.ts";
import type { LogValue } from "./format.ts";

/** What the response side knows when the line is written. */
export interface ResponseFacts {
  status: number;
  /** The body's length when declared (Content-Length); a streamed body of unknown length logs `-`. */
  responseLength: number | null;
  /** Milliseconds from receipt to the response headers. */
  latencyMs: number;
}

type Resolver = (ctx: RequestContext, r: ResponseFacts) => LogValue;

const none: Resolver = () => undefined;
const ms = (v: number | undefined) => (v === undefined ? undefined : Math.round(v));
const errorMessage = (ctx: RequestContext): string | null | undefined => {
  const error = ctx.error;
  if (!error) return undefined;
  return error.options.message === undefined ? responseDefault(error.type, ctx.bundle?.bundle.api.flavor ?? "rest").message : error.options.message;
};
const firstLine = (text: string) => text.split("\n", 1)[0]!.slice(0, 300);
const authorizerError = (ctx: RequestContext) => (ctx.error && AUTH_ERRORS.has(ctx.error.type) ? firstLine(ctx.error.message) : undefined);
const authorizerStatus = (ctx: RequestContext) => (!ctx.route?.spec.authorizer ? undefined : ctx.identity ? 200 : ctx.error && AUTH_ERRORS.has(ctx.error.type) ? (ctx.error.options.status ?? responseDefault(ctx.error.type, "rest").status) : undefined);
const integrationError = (ctx: RequestContext) => (ctx.error?.type.startsWith("INTEGRATION_") ? firstLine(ctx.error.message) : (ctx.integrationErrorMessage ?? undefined));
const cert = (field: string): Resolver => (ctx) => {
  const auth = (ctx.request as { cf?: { tlsClientAuth?: Record<string, string> } }).cf?.tlsClientAuth;
  return auth && auth.certPresented === "1" ? auth[field] || undefined : undefined;
};

/** Gateway error types an authorizer raises (authorize step). */
const AUTH_ERRORS = new Set(["UNAUTHORIZED", "ACCESS_DENIED", "AUTHORIZER_CONFIGURATION_ERROR", "AUTHORIZER_FAILURE", "INVALID_SIGNATURE", "EXPIRED_TOKEN"]);

export const RESOLVERS: Record<string, Resolver> = {
  accountId: () => ACCOUNT_ID,
  apiId: (ctx) => ctx.api || undefined,
  "authorize.error": authorizerError,
  "authorize.latency": (ctx) => ms(ctx.authorizerLatencyMs),
  "authorize.status": authorizerStatus,
  "authorizer.error": authorizerError,
  "authorizer.integrationLatency": (ctx) => ms(ctx.authorizerLatencyMs),
  "authorizer.integrationStatus": authorizerStatus,
  "authorizer.latency": (ctx) => ms(ctx.authorizerLatencyMs),
  "authorizer.principalId": (ctx) => ctx.identity?.principalId || undefined,
  "authorizer.requestId": none,
  "authorizer.status": authorizerStatus,
  "authenticate.error": authorizerError,
  "authenticate.latency": (ctx) => ms(ctx.authorizerLatencyMs),
  "authenticate.status": authorizerStatus,
  awsEndpointRequestId: none,
  awsEndpointRequestId2: none,
  "customDomain.basePathMatched": (ctx) => ctx.basePathMatched || undefined,
  dataProcessed: (_ctx, r) => r.responseLength ?? undefined,
  deploymentId: (ctx) => ctx.deploymentId.slice(0, 12) || undefined,
  domainName: (ctx) => ctx.url.hostname,
  domainPrefix: (ctx) => ctx.url.hostname.split(".")[0],
  endpointType: () => "EDGE",
  "error.message": (ctx) => errorMessage(ctx) ?? undefined,
  "error.messageString": (ctx) => (ctx.error ? JSON.stringify(errorMessage(ctx) ?? null) : undefined),
  "error.responseType": (ctx) => ctx.error?.type,
  "error.validationErrorString": (ctx) => ctx.error?.options.validationError,
  extendedRequestId: (ctx) => ctx.requestId,
  httpMethod: (ctx) => ctx.request.method,
  "identity.accountId": none,
  // Amazon logs the key itself; Portico never logs a key, only its id (as $context.identity.apiKey in templates).
  "identity.apiKey": (ctx) => ctx.apiKeyId,
  "identity.apiKeyId": (ctx) => ctx.apiKeyId,
  "identity.caller": none,
  "identity.clientCert.clientCertPem": none,
  "identity.clientCert.issuerDN": cert("certIssuerDN"),
  "identity.clientCert.serialNumber": cert("certSerial"),
  "identity.clientCert.subjectDN": cert("certSubjectDN"),
  "identity.clientCert.validity.notAfter": cert("certNotAfter"),
  "identity.clientCert.validity.notBefore": cert("certNotBefore"),
  "identity.cognitoAuthenticationProvider": none,
  "identity.cognitoAuthenticationType": none,
  "identity.cognitoIdentityId": none,
  "identity.cognitoIdentityPoolId": none,
  "identity.principalOrgId": none,
  "identity.sourceIp": (ctx) => ctx.clientIp || undefined,
  "identity.user": none,
  "identity.userAgent": (ctx) => ctx.request.headers.get("user-agent") ?? undefined,
  "identity.userArn": none,
  "identity.vpcId": none,
  "identity.vpceId": none,
  "integration.error": integrationError,
  "integration.integrationStatus": (ctx) => ctx.integrationStatus,
  "integration.latency": (ctx) => ms(ctx.integrationLatencyMs),
  "integration.requestId": none,
  "integration.status": (ctx) => ctx.integrationStatus,
  integrationErrorMessage: integrationError,
  integrationLatency: (ctx) => ms(ctx.integrationLatencyMs),
  integrationStatus: (ctx) => ctx.integrationStatus,
  isCanaryRequest: (ctx) => (ctx.deploymentId ? ctx.isCanary : undefined),
  path: (ctx) => ctx.url.pathname,
  protocol: (ctx) => (ctx.request as { cf?: { httpProtocol?: string } }).cf?.httpProtocol ?? "HTTP/1.1",
  requestId: (ctx) => ctx.requestId,
  requestTime: (ctx) => requestTime(ctx.receivedAt),
  requestTimeEpoch: (ctx) => ctx.receivedAt,
  resourceId: (ctx) => ctx.route?.spec.key,
  resourcePath: (ctx) => ctx.route?.spec.path,
  responseLatency: (_ctx, r) => Math.round(r.latencyMs),
  responseLength: (_ctx, r) => r.responseLength ?? undefined,
  routeKey: (ctx) => ctx.route?.spec.key,
  stage: (ctx) => ctx.stage || undefined,
  status: (_ctx, r) => r.status,
  "waf.error": none,
  "waf.latency": none,
  "waf.status": none,
  wafResponseCode: none,
  webaclArn: none,
  xrayTraceId: (ctx) => {
    const trace = traceOf(ctx);
    return trace ? xrayRootOf(trace) : undefined;
  },
  "portico.traceId": (ctx) => traceOf(ctx)?.traceId,
  "portico.version": (ctx) => ctx.deploymentId || undefined,
  "portico.cacheStatus": (ctx) => ctx.cacheStatus,
  "portico.usagePlan": (ctx) => ctx.usagePlan,
  "portico.throttle": (ctx) => (ctx.error?.type === "THROTTLED" ? "throttled" : ctx.error?.type === "QUOTA_EXCEEDED" ? "quota" : ctx.throttleChecks > 0 ? "admitted" : undefined),
};

/**
 * The value of one variable. Names outside the table (a custom authorizer's context key, a JWT claim) are read from
 * the templates' `$context` map, built once per line (`lazy`).
 */
export function resolveVariable(name: string, ctx: RequestContext, r: ResponseFacts, lazy: { map?: Map<string, unknown> }): LogValue {
  const resolver = RESOLVERS[name];
  if (resolver) return resolver(ctx, r);
  if (!ctx.identity) return undefined;
  lazy.map ??= buildContext(ctx);
  return contextValue(lazy.map, name) ?? undefined;
}
