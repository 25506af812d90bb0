/**
 * What the respond step does with a finished request for observability, in one place: the metrics record to every
 * sink (observability/metrics-sink.ts), the access-log line, Server-Timing, the explain header, and — for a request sampled
 * for shadow evaluation — the candidate version's evaluation, in the background (`waitUntil`) so it never delays
 * the response.
 */
import { writeAccessLog } from "../../observability/access-log/index.ts";
import { EXPLAIN_HEADER, explainHeader } from "../../observability/explain.ts";
import { requestRecord } from "../../observability/record.ts";
import { flushShadowIfDue } from "../../observability/shadow/buffer.ts";
import { scheduleShadow } from "../../observability/shadow/schedule.ts";
import { recordRequest } from "../../observability/metrics-sink.ts";
import type { GatewayContext } from "../../pipeline/step.ts";
import { responseDefault } from "../../pipeline/gateway-responses.ts";

export function observe(ctx: GatewayContext, res: Response, debug: boolean): void {
  const latencyMs = Date.now() - ctx.receivedAt;
  if (ctx.deploymentId) {
    const declared = res.headers.get("content-length");
    const responseLength = declared === null ? null : Number(declared);
    recordRequest(requestRecord(ctx, res.status, latencyMs, responseLength ?? -1), ctx.env, ctx.exec, ctx.state.metrics);
    writeAccessLog(ctx, { status: res.status, responseLength, latencyMs });
    flushShadowIfDue(ctx.env, ctx.exec, ctx.state.shadow.buffer);
  }
  // Appended: a backend's own Server-Timing entries stay, the gateway's follow them.
  if (ctx.timings) res.headers.append("server-timing", ctx.timings.header(ctx, latencyMs));
  const record = ctx.explain;
  if (record) {
    const error = ctx.error;
    record.response = {
      status: res.status,
      ...(error
        ? { error: { type: error.type, message: error.options.message === undefined ? responseDefault(error.type, ctx.bundle?.bundle.api.flavor ?? "rest").message : error.options.message } }
        : {}),
    };
    if (debug) res.headers.set(EXPLAIN_HEADER, explainHeader(record));
    if (ctx.shadowCandidate) scheduleShadow(ctx, record);
  }
}
