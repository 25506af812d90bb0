/**
 * Transform: Amazon's request and response mapping, around the integration. On the way in, a route with a mapping
 * gets its integration request — request template (or passthrough, or 415), content conversion, parameter mapping,
 * `$context.requestOverride` — which the integration sends. On the way out, the integration's answer goes through
 * the integration responses: selection pattern, response template, response parameters, `responseOverride`.
 * Routes that map nothing pass straight through (no work, no allocation).
 */
import { mapProxyResponse } from "../../integrations/mapping/proxy-response.ts";
import { mapRequest } from "../../integrations/mapping/request.ts";
import { mapResponse } from "../../integrations/mapping/response.ts";
import type { StepFactory } from "../../pipeline/step.ts";

export const transform: StepFactory = () =>
  async function transform(ctx, next) {
    const mapping = ctx.route?.mapping;
    if (!mapping) return next();
    const bundle = ctx.bundle!.bundle;
    const request = await mapRequest(ctx, mapping, bundle);
    ctx.integrationRequest = request;
    if (ctx.explain && request.templated) ctx.explain.templates = { requestBytes: byteLength(request.body) };
    const response = await next();
    if (mapping.kind === "params") return mapProxyResponse(ctx, mapping, request, response);
    const result = { response, errorMessage: ctx.integrationErrorMessage, lambda: mapping.integration === "service", payload: ctx.integrationPayload };
    const mapped = await mapResponse(ctx, mapping, request, result, bundle);
    if (ctx.explain) {
      const length = mapped.headers.get("content-length");
      if (length !== null) ctx.explain.templates = { ...ctx.explain.templates, responseBytes: Number(length) };
    }
    return mapped;
  };

/** A mapped body's size in bytes (the explain record shows sizes, never content). */
export function byteLength(body: string | Uint8Array | null): number {
  if (body === null) return 0;
  return typeof body === "string" ? new TextEncoder().encode(body).byteLength : body.byteLength;
}
