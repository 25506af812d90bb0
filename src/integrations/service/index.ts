/**
 * `service`: another Worker through a service binding — Amazon's Lambda integration on Workers.
 *
 * - `raw`: the HTTP request is forwarded to the bound Worker (path from the template or the route's own path,
 *   query, headers and streamed body), and its response comes back.
 * - `1.0` / `2.0`: the bound Worker receives Amazon's Lambda proxy event as an RPC call on its binding — never an
 *   HTTP request, so no client can forge one — and replies with the handler's result (`lambdaWorker()` in
 *   `wire/lambda/adapter.ts` wraps an unchanged Lambda handler). A reply that breaks Amazon's contract, a handler that
 *   threw, or a Worker that is not a `lambdaWorker` answers as Amazon does: 502 `{"message": "Internal server
 *   error"}` on REST APIs, 500 `{"message":"Internal Server Error"}` on HTTP APIs.
 * - `custom`: Amazon's Lambda custom (non-proxy) integration — the mapped request is the event, over the same RPC
 *   call (wire/lambda/invoke.ts), synchronously or as an asynchronous 'Event' invocation (customService below).
 * - `responseTransferMode: STREAM`: `raw` streams as `http_proxy` does; `1.0` / `2.0` invoke the handler's streamed
 *   response (service/stream.ts).
 */
import type { Bundle } from "../../config/bundle.ts";
import type { BundleServiceIntegration } from "../../config/bundle-integrations.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import { applyBackendHeaders, forwardedRequestHeaders, proxiedResponse } from "../../wire/headers.ts";
import { parseReply } from "../../wire/lambda/reply.ts";
import { acceptsBinary } from "../../wire/media-types.ts";
import { compileTemplate, renderTemplate } from "../template.ts";
import { invokeLambda, MAX_LAMBDA_REPLY_BYTES, type Invocation } from "../../wire/lambda/invoke.ts";
import { sendToBackend } from "../transport.ts";
import type { Integration } from "../types.ts";
import { streamedResponse } from "../streaming/response.ts";
import { proxyEvent } from "./proxy-event.ts";
import { streamingService } from "./stream.ts";

export function serviceIntegration(spec: BundleServiceIntegration, bundle: Bundle): Integration {
  if (spec.payloadFormat === "raw") return rawService(spec);
  if (spec.payloadFormat === "custom") return customService(spec);
  if (spec.responseTransferMode === "STREAM") return streamingService(spec, bundle);
  const format = spec.payloadFormat;
  const binaryTypes = bundle.settings.binaryMediaTypes;
  const malformed = (detail: string) =>
    new GatewayError("DEFAULT_5XX", { status: bundle.api.flavor === "http" ? 500 : 502, detail });

  return {
    type: "service",
    async invoke(ctx: RequestContext): Promise<Response> {
      const event = await proxyEvent(ctx, format, binaryTypes);
      if (ctx.explain) ctx.explain.integration = { type: "service", target: `service ${spec.service} (Lambda proxy ${format} event)` };
      const started = performance.now();
      // Over RPC, never over HTTP: the one channel a client cannot address (wire/lambda/adapter.ts).
      const outcome = await invokeLambda(ctx.env, spec.service, event, spec.timeoutMs, MAX_LAMBDA_REPLY_BYTES);
      ctx.integrationLatencyMs = performance.now() - started;
      if (ctx.explain?.integration) ctx.explain.integration.latencyMs = ctx.integrationLatencyMs;
      if (!outcome.ok) {
        if (outcome.why === "timeout") throw new GatewayError("INTEGRATION_TIMEOUT", { detail: outcome.detail });
        if (outcome.why === "no-binding") throw new GatewayError("API_CONFIGURATION_ERROR", { detail: outcome.detail });
        throw malformed(outcome.why === "threw" ? `service ${spec.service} threw ${outcome.errorType}` : outcome.detail);
      }
      let value: unknown;
      try {
        value = JSON.parse(outcome.payload);
      } catch {
        throw malformed(`service ${spec.service} replied with something other than JSON`);
      }
      const reply = parseReply(value, format, { decodeBase64: acceptsBinary(ctx.request.headers.get("accept"), binaryTypes) });
      if (!reply) throw malformed(`service ${spec.service} replied outside the Lambda proxy contract`);
      // 204, 205 and 304 carry no body whatever the reply says (a Response with one would throw).
      const noBody = ctx.request.method === "HEAD" || reply.status === 204 || reply.status === 205 || reply.status === 304;
      return new Response(noBody ? null : reply.body, { status: reply.status, headers: reply.headers });
    },
  };
}

/**
 * Amazon's Lambda custom (non-proxy) integration: the mapped request (transform step) is the event — `{}` for an
 * empty one, as recorded — and the handler's result is the integration response's body; a handler that threw gives
 * Lambda's error payload as the body and its errorMessage to the selection patterns. With `X-Amz-Invocation-Type:
 * 'Event'` mapped, the handler runs after the response: the integration answers at once with an empty body.
 */
function customService(spec: BundleServiceIntegration): Integration {
  const failed = (detail: string) => new GatewayError("API_CONFIGURATION_ERROR", { detail });
  return {
    type: "service",
    async invoke(ctx: RequestContext): Promise<Response> {
      const request = ctx.integrationRequest!;
      const body = request.body;
      const text = body === null ? "{}" : typeof body === "string" ? body : new TextDecoder().decode(body);
      let event: unknown;
      try {
        event = JSON.parse(text);
      } catch {
        // Lambda refuses an event that is not JSON (InvalidRequestContentException): Amazon answers 500.
        throw failed(`the event for service ${spec.service} is not JSON`);
      }
      const json = { "content-type": "application/json" };
      if (request.asynchronous) {
        // Over the same RPC channel, after the response: Amazon's 'Event' invocation answers before the handler runs.
        ctx.exec.waitUntil(
          invokeLambda(ctx.env, spec.service, event, spec.timeoutMs, MAX_LAMBDA_REPLY_BYTES).then((outcome) => {
            if (!outcome.ok) console.error(JSON.stringify({ level: "error", requestId: ctx.requestId, type: "ASYNC_INVOCATION", detail: failure(spec.service, outcome) }));
          }),
        );
        return new Response("", { status: 200, headers: json });
      }
      if (ctx.explain) ctx.explain.integration = { type: "service", target: `service ${spec.service} (Lambda custom event)` };
      const started = performance.now();
      const outcome = await invokeLambda(ctx.env, spec.service, event, spec.timeoutMs, MAX_LAMBDA_REPLY_BYTES);
      ctx.integrationLatencyMs = performance.now() - started;
      if (ctx.explain?.integration) ctx.explain.integration.latencyMs = ctx.integrationLatencyMs;
      if (outcome.ok) {
        ctx.integrationErrorMessage = null;
        return new Response(outcome.payload, { status: 200, headers: json });
      }
      if (outcome.why === "threw") {
        // The error document is the integration response; its errorMessage is what the selection patterns match.
        ctx.integrationErrorMessage = outcome.errorMessage;
        return new Response(outcome.payload, { status: 200, headers: json });
      }
      if (outcome.why === "timeout") throw new GatewayError("INTEGRATION_TIMEOUT", { detail: outcome.detail });
      throw failed(outcome.detail);
    },
  };
}

/** What a failed invocation is logged as (never shown to a client). */
function failure(service: string, outcome: Exclude<Invocation, { ok: true }>): string {
  return outcome.why === "threw" ? `service ${service}: the handler threw ${outcome.errorType}` : outcome.detail;
}

function rawService(spec: BundleServiceIntegration): Integration {
  const stream = spec.responseTransferMode === "STREAM";
  const path = spec.path ? compileTemplate(spec.path) : null;
  return {
    type: "service",
    async invoke(ctx: RequestContext): Promise<Response> {
      const target = path ? renderTemplate(path, ctx.stageVariables, ctx.pathParams) : ctx.path;
      const url = `${ctx.url.protocol}//${ctx.url.host}${target}${ctx.url.search}`;
      const headers = forwardedRequestHeaders(ctx.request, ctx.url, ctx.clientIp, ctx.route?.headerPolicy);
      applyBackendHeaders(headers, ctx.backendHeaders);
      const res = await sendToBackend(
        ctx,
        { url, method: ctx.request.method, headers, body: await ctx.bodyForForwarding() },
        spec.timeoutMs,
        spec.service,
      );
      return stream ? streamedResponse(ctx, proxiedResponse(res), spec) : proxiedResponse(res);
    },
  };
}
