/**
 * The access log: when the stage has `accessLog`, one line per request, in the stage's format, to the Workers log
 * stream (`console.log`: what `wrangler tail`, Workers Logs and Logpush read). Formats compile once per bundle.
 */
import type { RequestContext } from "../../pipeline/context.ts";
import { compileFormat, renderFormat, type CompiledFormat } from "./format.ts";
import { resolveVariable, type ResponseFacts } from "./variables.ts";

export type { ResponseFacts } from "./variables.ts";

/** Compiled formats by the bundle's own object: once per version per isolate, gone with the bundle. */
const compiled = new WeakMap<{ format: string }, CompiledFormat>();

/** The line for this request, or null when its stage keeps no access log. */
export function accessLogLine(ctx: RequestContext, facts: ResponseFacts): string | null {
  const config = ctx.bundle?.bundle.stages[ctx.stage]?.accessLog;
  if (!config) return null;
  let format = compiled.get(config);
  if (!format) compiled.set(config, (format = compileFormat(config.format)));
  const lazy: { map?: Map<string, unknown> } = {};
  return renderFormat(format, (name) => resolveVariable(name, ctx, facts, lazy));
}

/** Writes the request's line, when its stage keeps an access log. */
export function writeAccessLog(ctx: RequestContext, facts: ResponseFacts): void {
  const line = accessLogLine(ctx, facts);
  if (line !== null) console.log(line);
}
