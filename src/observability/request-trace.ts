/**
 * The request's trace, made on first use: by the integration sending the backend request, a Lambda-style event, the
 * access log or the response echo. A stage with `tracing.enabled: false` gets null: the gateway then takes no part
 * (the client's own trace headers pass through like any other header).
 */
import type { RequestContext } from "../pipeline/context.ts";
import { applyTraceHeaders, traceFrom, traceHeaderEntries, type TraceContext } from "./trace.ts";

export function traceOf(ctx: RequestContext): TraceContext | null {
  if (ctx.trace !== undefined) return ctx.trace;
  const enabled = ctx.bundle?.bundle.stages[ctx.stage]?.tracing.enabled ?? false;
  return (ctx.trace = enabled ? traceFrom(ctx.request.headers) : null);
}

/** Sets the trace headers on a backend request when the stage traces. */
export function propagateTrace(ctx: RequestContext, headers: Headers): void {
  const trace = traceOf(ctx);
  if (trace) applyTraceHeaders(headers, trace);
}

/** The trace headers for a Lambda-style event's headers (empty when the stage does not trace). */
export function traceHeadersFor(ctx: RequestContext): [string, string][] {
  const trace = traceOf(ctx);
  return trace ? traceHeaderEntries(trace) : [];
}
