/**
 * `mock` (Amazon's MOCK): the gateway answers itself. With a request template, the template's output is JSON whose
 * `statusCode` is the integration's status — what the integration responses' selection patterns see (recorded:
 * rest-mock-scope-selection-docs); without one, the configured `status` (default 200). The configured headers and
 * body are the integration response (the `status` / `body` shorthand needs no integration responses).
 */
import type { Bundle } from "../../config/bundle.ts";
import type { BundleMockIntegration } from "../../config/bundle-integrations.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import type { Integration } from "../types.ts";

const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);

export function mockIntegration(spec: BundleMockIntegration, _bundle: Bundle): Integration {
  // Built once: the runtime copies a Headers object natively, where a list of pairs is converted item by item.
  const headers = new Headers(spec.headers);
  const body = NULL_BODY_STATUS.has(spec.status) ? null : spec.body;
  // Encoded once: integration responses read the bytes from here instead of from a stream.
  const payload = new TextEncoder().encode(spec.body);
  return {
    type: "mock",
    async invoke(ctx: RequestContext): Promise<Response> {
      const mapped = ctx.integrationRequest;
      if (mapped) ctx.integrationPayload = payload;
      if (mapped?.templated) {
        const status = statusFrom(mapped.body);
        return new Response(ctx.request.method === "HEAD" || NULL_BODY_STATUS.has(status) ? null : spec.body, { status, headers });
      }
      return new Response(ctx.request.method === "HEAD" ? null : body, { status: spec.status, headers });
    },
  };
}

/** The `statusCode` of a mock's rendered request template; anything else is a configuration error (500). */
function statusFrom(body: string | Uint8Array | null): number {
  const text = typeof body === "string" ? body : body ? new TextDecoder().decode(body) : "";
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new GatewayError("API_CONFIGURATION_ERROR", { detail: "the mock's request template did not render JSON" });
  }
  const code = Number((value as { statusCode?: unknown } | null)?.statusCode);
  if (!Number.isInteger(code) || code < 200 || code > 599)
    throw new GatewayError("API_CONFIGURATION_ERROR", { detail: "the mock's request template did not render a statusCode from 200 to 599" });
  return code;
}
