/**
 * Validate (Amazon's request validator): required parameters first — headers, then path, then query string,
 * a blank value counting as missing — then the JSON body against its model. Failures answer 400 with Amazon's
 * messages and the backend is not called. Bodies are read (bounded) only when a model must see them.
 *
 * Beyond Amazon, which lets a body in another content type through unvalidated, a route that validates its
 * body refuses non-JSON content types with 415, so a validator cannot be stepped around.
 */
import { isJsonMediaType } from "../../integrations/media-types.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import type { StageFactory } from "../../pipeline/stage.ts";

/** Deeper JSON than this is refused before parsing: bounded work for attacker-controlled input. */
export const MAX_JSON_DEPTH = 128;

export const validate: StageFactory = () =>
  async function validate(ctx, next) {
    const spec = ctx.route?.spec.validate;
    if (!spec) return next();

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
      const value = parseJsonBody(await ctx.readBody());
      const result = ctx.route!.bodyValidator()!.validate(value);
      if (!result.valid) throw new GatewayError("BAD_REQUEST_BODY", { validationError: result.error, detail: result.error });
    }
    return next();
  };

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function parseJsonBody(bytes: Uint8Array | null): unknown {
  // Amazon validates an absent body against the model too: it is never valid.
  if (!bytes || bytes.byteLength === 0) throw new GatewayError("BAD_REQUEST_BODY", { validationError: "[no body]" });
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new GatewayError("BAD_REQUEST_BODY", { validationError: "[body is not UTF-8]" });
  }
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH))
    throw new GatewayError("BAD_REQUEST_BODY", { validationError: `[nested deeper than ${MAX_JSON_DEPTH}]` });
  try {
    return JSON.parse(text);
  } catch {
    throw new GatewayError("BAD_REQUEST_BODY", { validationError: "[body is not valid JSON]" });
  }
}

/** True when brackets nest deeper than `max` outside strings. Linear, no allocation. */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}
