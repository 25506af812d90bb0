/**
 * A proxy's response with `responseTransferMode: STREAM`: status and headers as the backend sent them, the body held
 * to the idle timeout and the 15-minute maximum (guard.ts). A response cut off is logged (never shown: the client
 * already has its status).
 */
import type { RequestContext } from "../../pipeline/context.ts";
import { guardStream, MAX_STREAM_MS } from "./guard.ts";

export function streamedResponse(ctx: RequestContext, res: Response, idleMs: number): Response {
  if (!res.body) return res;
  return new Response(streamedBody(ctx, res.body, idleMs), res);
}

export function streamedBody(ctx: RequestContext, body: ReadableStream<Uint8Array>, idleMs: number): ReadableStream<Uint8Array> {
  return guardStream(body, {
    idleMs,
    deadline: ctx.receivedAt + MAX_STREAM_MS,
    onCut: (why) => console.error(JSON.stringify({ level: "error", requestId: ctx.requestId, api: ctx.api, stage: ctx.stage, type: "STREAM_CUT", detail: why })),
  });
}
