/**
 * Respond: the outermost stage. On the way out it turns a thrown GatewayError into the API's gateway response
 * (an unexpected error into a 500 that says nothing about why), stamps every response with the request id, the
 * version that served it and the headers earlier stages asked for (CORS), and records the response in the
 * per-version metrics. The detail of an error goes to the log, never to the client.
 */
import { DEFAULT_REQUEST_ID_HEADER } from "../../config/compile.ts";
import { recordResponse } from "../../observability/metrics.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import { GatewayError, renderGatewayResponse } from "../../pipeline/gateway-responses.ts";
import type { StageFactory } from "../../pipeline/stage.ts";

export const respond: StageFactory = () =>
  async function respond(ctx, next) {
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
    if (ctx.deploymentId)
      recordResponse(ctx.env, ctx.exec, {
        api: ctx.api,
        stage: ctx.stage,
        version: ctx.deploymentId,
        status: res.status,
        latencyMs: Date.now() - ctx.receivedAt,
        integrationLatencyMs: ctx.integrationLatencyMs,
        degraded: ctx.degradedDecisions,
        failClosed: ctx.failedClosed,
        cache: ctx.cacheStatus,
      }, ctx.state.metrics);
    return res;
  };

function stamp(ctx: RequestContext, headers: Headers): void {
  const settings = ctx.bundle?.bundle.settings;
  headers.set(settings?.requestIdHeader ?? DEFAULT_REQUEST_ID_HEADER, ctx.requestId);
  // HTTP APIs name the request id `apigw-requestid` too (Amazon's HTTP API header).
  if (ctx.bundle?.bundle.api.flavor === "http") headers.set("apigw-requestid", ctx.requestId);
  // Amazon returns the caller's X-Ray trace header (recorded: rest-response-headers-lambda-proxy-trace-id-echo).
  const trace = ctx.request.headers.get("x-amzn-trace-id");
  if (trace && TRACE_ID.test(trace)) headers.set("x-amzn-trace-id", trace);
  if (settings?.versionHeader && ctx.deploymentId) headers.set(settings.versionHeader, ctx.deploymentId.slice(0, 12));
  for (const [name, value] of ctx.responseHeaders) {
    if (name === "vary") headers.append(name, value);
    else headers.set(name, value);
  }
}

/** An X-Ray trace header as Amazon writes them (`Root=1-…;Parent=…;Sampled=1`), bounded: echoed, never anything else. */
const TRACE_ID = /^[A-Za-z0-9=;:.,+_\/ -]{1,256}$/;

export function errorResponse(ctx: RequestContext, err: unknown): Response {
  const error = err instanceof GatewayError ? err : new GatewayError("DEFAULT_5XX", { detail: describeUnexpected(err) });
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
