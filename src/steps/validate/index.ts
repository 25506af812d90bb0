/**
 * Validate (Amazon's request validator): required parameters first — headers, then path, then query string,
 * a blank value counting as missing — then the JSON body against its model. Failures answer 400 with Amazon's
 * messages and the backend is not called. Bodies are read (bounded) only when a model must see them.
 *
 * Beyond Amazon, which lets a body in another content type through unvalidated, a route that validates its
 * body refuses non-JSON content types with 415, so a validator cannot be stepped around; and the body must be one
 * unambiguous document within the API's `jsonLimits` (json-body.ts): no byte-order mark, no duplicate keys, no
 * lone surrogates — else the validator could judge one document while the backend reads another.
 */
import { isJsonMediaType } from "../../wire/media-types.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import type { StepFactory } from "../../pipeline/step.ts";
import type { BundleJsonLimits } from "../../config/bundle.ts";
import type { CompiledRoute } from "../../deploy/compiled-route.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import { DecisionRecord } from "../../observability/explain.ts";
import { jsonBodyProblem } from "./json-body.ts";

export const validate: StepFactory = () =>
  async function validate(ctx, next) {
    const route = ctx.route;
    if (!route?.spec.validate) return next();
    if (!ctx.explain) {
      await checkRequest(ctx, route);
      return next();
    }
    try {
      await checkRequest(ctx, route);
    } catch (err) {
      const e = err instanceof GatewayError ? err : undefined;
      ctx.explain.validation = { verdict: "refused", ...(e ? { reason: DecisionRecord.reason(`${e.type}: ${e.options.validationError ?? e.options.message ?? e.message}`) } : {}) };
      throw err;
    }
    ctx.explain.validation = { verdict: "passed" };
    return next();
  };

/** The route's request validation: throws the GatewayError the client gets, or returns when the request passes. */
export async function checkRequest(ctx: RequestContext, route: CompiledRoute): Promise<void> {
  const spec = route.spec.validate;
  if (!spec) return;
  const missing: string[] = [];
  for (const name of spec.headers) if (!ctx.request.headers.get(name)?.trim()) missing.push(name);
  for (const name of spec.path) if (!ctx.pathParams[name]?.trim()) missing.push(name);
  if (spec.query.length) {
    const query = ctx.url.searchParams;
    for (const name of spec.query) if (!query.get(name)?.trim()) missing.push(name);
  }
  if (missing.length)
    throw new GatewayError("BAD_REQUEST_PARAMETERS", { message: `Missing required request parameters: [${missing.join(", ")}]` });

  if (spec.body) {
    const contentType = ctx.request.headers.get("content-type");
    if (contentType !== null && !isJsonMediaType(contentType))
      throw new GatewayError("UNSUPPORTED_MEDIA_TYPE", { detail: `body validation needs JSON, got ${contentType}` });
    const value = parseJsonBody(await ctx.readBody(), ctx.bundle!.bundle.settings.jsonLimits);
    const result = route.bodyValidator()!.validate(value);
    if (!result.valid) throw new GatewayError("BAD_REQUEST_BODY", { validationError: result.error, detail: result.error });
  }
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function parseJsonBody(bytes: Uint8Array | null, limits: BundleJsonLimits): unknown {
  // Amazon validates an absent body against the model too: it is never valid.
  if (!bytes || bytes.byteLength === 0) throw new GatewayError("BAD_REQUEST_BODY", { validationError: "[no body]" });
  // The decoder would drop a BOM silently; a backend parser may not, and then reads a different document.
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    throw new GatewayError("BAD_REQUEST_BODY", { validationError: "[body starts with a byte-order mark]" });
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new GatewayError("BAD_REQUEST_BODY", { validationError: "[body is not UTF-8]" });
  }
  const problem = jsonBodyProblem(text, limits);
  if (problem) throw new GatewayError("BAD_REQUEST_BODY", { validationError: problem, detail: `body refused: ${problem}` });
  try {
    return JSON.parse(text);
  } catch {
    throw new GatewayError("BAD_REQUEST_BODY", { validationError: "[body is not valid JSON]" });
  }
}
