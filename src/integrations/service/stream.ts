/**
 * A Lambda proxy integration with `responseTransferMode: STREAM` (Amazon's InvokeWithResponseStream): the proxy
 * event goes over the same RPC channel, as `invokeLambdaStream(event)`; the handler answers in Lambda's streaming
 * format (wire/lambda/stream.ts), and the client's response starts as soon as the prelude — status, headers, cookies —
 * has arrived, within `timeoutMs`. The body then streams as the handler writes it, held to the idle timeout and the
 * 15-minute maximum; a client that goes away cancels the stream, which the handler sees as a failed write. A
 * prelude that is missing, not JSON or not Amazon's shape is a malformed reply: 502 (500 on HTTP APIs).
 */
import type { Bundle } from "../../config/bundle.ts";
import type { BundleServiceIntegration } from "../../config/bundle-integrations.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import { invokeLambdaStream } from "../../wire/lambda/invoke.ts";
import { parseReply } from "../../wire/lambda/reply.ts";
import { streamedBody } from "../streaming/response.ts";
import type { Integration } from "../types.ts";
import { proxyEvent } from "./proxy-event.ts";

/** The prelude's fields (a body belongs after the delimiter, not in the prelude). */
const PRELUDE_KEYS = new Set(["statusCode", "headers", "multiValueHeaders", "cookies"]);
const NULL_BODY = new Set([204, 205, 304]);

export function streamingService(spec: BundleServiceIntegration, bundle: Bundle): Integration {
  const format = spec.payloadFormat as "1.0" | "2.0";
  const malformed = (detail: string) => new GatewayError("DEFAULT_5XX", { status: bundle.api.flavor === "http" ? 500 : 502, detail });
  return {
    type: "service",
    async invoke(ctx: RequestContext): Promise<Response> {
      const event = await proxyEvent(ctx, format, bundle.settings.binaryMediaTypes);
      if (ctx.explain) ctx.explain.integration = { type: "service", target: `service ${spec.service} (Lambda proxy ${format} event, streamed)` };
      const started = performance.now();
      const outcome = await invokeLambdaStream(ctx.env, spec.service, event, spec.timeoutMs);
      // Until the prelude: the body streams after the response has started.
      ctx.integrationLatencyMs = performance.now() - started;
      if (ctx.explain?.integration) ctx.explain.integration.latencyMs = ctx.integrationLatencyMs;
      if (!outcome.ok) {
        if (outcome.why === "timeout") throw new GatewayError("INTEGRATION_TIMEOUT", { detail: outcome.detail });
        if (outcome.why === "no-binding") throw new GatewayError("API_CONFIGURATION_ERROR", { detail: outcome.detail });
        throw malformed(outcome.detail);
      }
      const meta = outcome.metadata;
      const shaped = typeof meta === "object" && meta !== null && !Array.isArray(meta) && Object.keys(meta).every((k) => PRELUDE_KEYS.has(k));
      const reply = shaped ? parseReply({ statusCode: 200, ...(meta as object) }, "2.0") : null;
      if (!reply) {
        await outcome.body.cancel("malformed prelude").catch(() => {});
        throw malformed(`service ${spec.service}: the stream's prelude is not {statusCode, headers, multiValueHeaders, cookies}`);
      }
      if (ctx.request.method === "HEAD" || NULL_BODY.has(reply.status)) {
        await outcome.body.cancel("no body").catch(() => {});
        return new Response(null, { status: reply.status, headers: reply.headers });
      }
      return new Response(streamedBody(ctx, outcome.body, spec), { status: reply.status, headers: reply.headers });
    },
  };
}
