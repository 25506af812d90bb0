/**
 * One request as the metrics sinks see it: built once in the respond step from what the pipeline left in the
 * context, then handed to each sink (metrics-sink.ts) — the Analytics Engine data point and the batched per-isolate store.
 */
import type { RequestContext } from "../pipeline/context.ts";
import type { Observation } from "./metrics.ts";

export type ThrottleOutcome = "none" | "admitted" | "throttled" | "quota" | "degraded";
export type AuthOutcome = "none" | "allowed" | "denied" | "error" | "key-refused";

export interface RequestRecord extends Observation {
  role: "stable" | "canary";
  /** The route key (`GET /pets/{id}`), or "" when no route matched. */
  route: string;
  method: string;
  throttle: ThrottleOutcome;
  auth: AuthOutcome;
  /** The gateway response type that ended the request, or "". */
  errorType: string;
  /** The integration type, or "" when the request never reached one. */
  integration: string;
  /** The response body's declared length; -1 when unknown (streamed). */
  responseBytes: number;
  authorizerLatencyMs: number | undefined;
}

const DENIED = new Set(["UNAUTHORIZED", "ACCESS_DENIED", "INVALID_SIGNATURE", "EXPIRED_TOKEN"]);
const AUTH_ERROR = new Set(["AUTHORIZER_CONFIGURATION_ERROR", "AUTHORIZER_FAILURE"]);

export function requestRecord(ctx: RequestContext, status: number, latencyMs: number, responseBytes: number): RequestRecord {
  const type = ctx.error?.type ?? "";
  const throttled = type === "THROTTLED" || type === "QUOTA_EXCEEDED";
  return {
    api: ctx.api,
    stage: ctx.stage,
    version: ctx.deploymentId,
    status,
    latencyMs,
    integrationLatencyMs: ctx.integrationLatencyMs,
    degraded: ctx.degradedDecisions,
    failClosed: ctx.failedClosed,
    cache: ctx.cacheStatus,
    throttled,
    // Refused by the gateway itself for who or what the request is (routing, policy, identity, key, validation):
    // a 4xx gateway response other than throttling.
    refused: !!ctx.error && !throttled && status >= 400 && status < 500,
    role: ctx.isCanary ? "canary" : "stable",
    route: ctx.route?.spec.key ?? "",
    method: ctx.request.method,
    throttle: type === "THROTTLED" ? "throttled" : type === "QUOTA_EXCEEDED" ? "quota" : ctx.degradedDecisions > 0 ? "degraded" : ctx.throttleChecks > 0 ? "admitted" : "none",
    auth: DENIED.has(type) ? "denied" : AUTH_ERROR.has(type) ? "error" : type === "INVALID_API_KEY" ? "key-refused" : ctx.identity || ctx.apiKeyId ? "allowed" : "none",
    errorType: type,
    integration: ctx.integrationLatencyMs !== undefined || ctx.integrationStatus !== undefined ? (ctx.route?.integrationType ?? "") : "",
    responseBytes,
    authorizerLatencyMs: ctx.authorizerLatencyMs,
  };
}
