/**
 * Respond: the outermost stage. On the way out it turns a thrown GatewayError into the API's gateway response
 * (an unexpected error into a 500 that says nothing about why), stamps every response with the request id, the
 * version that served it and the headers earlier stages asked for (CORS), and hands the request to observability
 * (observe.ts: metrics, access log, Server-Timing, the explain record, shadow evaluation). The detail of an error
 * goes to the log, never to the client.
 *
 * A request carrying the debug token (`x-portico-debug`) is timed stage by stage and explained from the start.
 */
import { DEFAULT_REQUEST_ID_HEADER } from "../../config/compile-bundle.ts";
import { hasDebugToken } from "../../observability/debug.ts";
import { DecisionRecord } from "../../observability/explain.ts";
import { traceOf } from "../../observability/request-trace.ts";
import { StageTimings } from "../../observability/server-timing.ts";
import { xrayEcho } from "../../observability/trace.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import { GatewayError, renderGatewayResponse } from "../../pipeline/gateway-responses.ts";
import type { StepFactory } from "../../pipeline/step.ts";
import { PORTICO_PREFIX } from "../../security/client-headers.ts";
import { observe } from "./observe.ts";

export const respond: StepFactory = () =>
  async function respond(ctx, next) {
    const debug = hasDebugToken(ctx.request, ctx.env);
    if (debug) {
      ctx.timings = new StageTimings();
      ctx.explain = new DecisionRecord(ctx.requestId);
    }
    let res: Response;
    try {
      res = await next();
    } catch (err) {
      res = errorResponse(ctx, err);
    }
    try {
      stamp(ctx, res.headers);
    } catch {
      // A response with immutable headers (straight from fetch): copy it once.
      res = new Response(res.body, res);
      stamp(ctx, res.headers);
    }
    observe(ctx, res, debug);
    return res;
  };

function stamp(ctx: RequestContext, headers: Headers): void {
  // Portico's namespace is the gateway's alone: a backend's (or a cached) `x-portico-explain`, `x-portico-version` …
  // could pass for the gateway's own word, so none reaches the client; the gateway's are set below and in observe.ts.
  let reserved: string[] | undefined;
  for (const name of headers.keys()) if (name.startsWith(PORTICO_PREFIX)) (reserved ??= []).push(name);
  if (reserved) for (const name of reserved) headers.delete(name);
  const settings = ctx.bundle?.bundle.settings;
  headers.set(settings?.requestIdHeader ?? DEFAULT_REQUEST_ID_HEADER, ctx.requestId);
  // HTTP APIs name the request id `apigw-requestid` too (Amazon's HTTP API header).
  if (ctx.bundle?.bundle.api.flavor === "http") headers.set("apigw-requestid", ctx.requestId);
  echoTrace(ctx, headers);
  if (settings?.versionHeader && ctx.deploymentId) headers.set(settings.versionHeader, ctx.deploymentId.slice(0, 12));
  for (const [name, value] of ctx.responseHeaders) {
    if (name === "vary") headers.append(name, value);
    else headers.set(name, value);
  }
}

/**
 * Amazon returns the caller's X-Ray trace header, and only when it sent one (recorded:
 * rest-response-headers-lambda-proxy-trace-id-echo, rest-response-headers-mock-no-trace-id): as received, with a
 * Parent added to a header that had none. A malformed one is not echoed. On a stage that does not trace, the
 * header is still echoed when well formed, as it always was.
 */
function echoTrace(ctx: RequestContext, headers: Headers): void {
  if (!ctx.request.headers.has("x-amzn-trace-id")) return;
  const trace = traceOf(ctx);
  const echo = trace ? xrayEcho(trace) : legacyEcho(ctx.request.headers.get("x-amzn-trace-id")!);
  if (echo) headers.set("x-amzn-trace-id", echo);
}

/** An X-Ray trace header as Amazon writes them (`Root=1-…;Parent=…;Sampled=1`), bounded: echoed, never anything else. */
const TRACE_ID = /^[A-Za-z0-9=;:.,+_\/ -]{1,256}$/;
const legacyEcho = (value: string) => (TRACE_ID.test(value) ? value : null);

export function errorResponse(ctx: RequestContext, err: unknown): Response {
  const error = err instanceof GatewayError ? err : new GatewayError("DEFAULT_5XX", { detail: describeUnexpected(err) });
  ctx.error = error;
  if (!(err instanceof GatewayError) || error.type.endsWith("_ERROR") || error.type === "DEFAULT_5XX" || error.type.startsWith("INTEGRATION_"))
    console.error(JSON.stringify({ level: "error", requestId: ctx.requestId, api: ctx.api, stage: ctx.stage, type: error.type, detail: error.message }));
  const bundle = ctx.bundle?.bundle;
  return renderGatewayResponse(error, {
    flavor: bundle?.api.flavor ?? "rest",
    overrides: bundle?.gatewayResponses ?? {},
    errorTypeHeader: bundle ? bundle.settings.errorTypeHeader : "x-amzn-ErrorType",
    requestId: ctx.requestId,
    stage: ctx.stage,
    resourcePath: ctx.route?.spec.path ?? "",
    stageVariables: ctx.stageVariables,
  });
}

function describeUnexpected(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ""}` : String(err);
}
