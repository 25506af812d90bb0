/**
 * A proxy's response with `responseTransferMode: STREAM`: status and headers as the backend sent them, the body held
 * to the idle timeout and the 15-minute maximum (guard.ts). A response cut off is logged (never shown: the client
 * already has its status).
 */
import type { BundleStreaming } from "../../config/bundle-integrations.ts";
import { DEFAULT_STREAM_IDLE_MS } from "../../config/compile-integrations.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import { guardStream, MAX_STREAM_MS } from "./guard.ts";

export function streamedResponse(ctx: RequestContext, res: Response, streaming: BundleStreaming): Response {
  if (!res.body) return res;
  return new Response(streamedBody(ctx, res.body, streaming), res);
}

export function streamedBody(ctx: RequestContext, body: ReadableStream<Uint8Array>, streaming: BundleStreaming): ReadableStream<Uint8Array> {
  return guardStream(body, {
    idleMs: streaming.streamIdleTimeoutMs ?? DEFAULT_STREAM_IDLE_MS,
    deadline: ctx.receivedAt + MAX_STREAM_MS,
    onCut: (why) => console.error(JSON.stringify({ level: "error", requestId: ctx.requestId, api: ctx.api, stage: ctx.stage, type: "STREAM_CUT", detail: why })),
  });
}
