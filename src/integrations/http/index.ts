/**
 * `http` (Amazon's HTTP integration, non-proxy): the gateway builds the backend request from the mapped request
 * (transform step) rather than passing the client's through. As recorded on Amazon, the backend receives the
 * mapped body with the method request's Content-Type, `Accept: application/json`, `User-Agent:
 * AmazonAPIGateway_<api>`, `x-amzn-apigateway-api-id`, X-Forwarded-For/-Proto, the configured and mapped headers —
 * none of the client's other headers, and only the mapped query string. Its answer goes back to the transform
 * stage as the integration response; with no integration responses configured the client gets its status,
 * Content-Type and body.
 */
import type { Bundle } from "../../config/bundle.ts";
import type { BundleHttpIntegration } from "../../config/bundle-integrations.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import { compileTemplate, renderTemplate } from "../template.ts";
import { sendToBackend } from "../transport.ts";
import type { Integration } from "../types.ts";
import { NEVER_SENT } from "../mapping/request.ts";
import { applyBackendHeaders } from "../../wire/headers.ts";
import { backendUrl, compileHeaderTemplates, setTemplatedHeaders } from "./url.ts";

export function httpIntegration(spec: BundleHttpIntegration, bundle: Bundle): Integration {
  const uri = compileTemplate(spec.uri);
  const headerTemplates = compileHeaderTemplates(spec.headers);
  const userAgent = `AmazonAPIGateway_${bundle.api.name}`;
  return {
    type: "http",
    async invoke(ctx: RequestContext): Promise<Response> {
      const mapped = ctx.integrationRequest!;
      const headers = new Headers({ accept: "application/json", "user-agent": userAgent, "x-amzn-apigateway-api-id": bundle.api.name });
      if (mapped.body !== null && mapped.contentType) headers.set("content-type", mapped.contentType);
      if (ctx.clientIp) headers.set("x-forwarded-for", ctx.clientIp);
      headers.set("x-forwarded-proto", ctx.url.protocol.replace(":", ""));
      setTemplatedHeaders(headers, headerTemplates, ctx);
      for (const [name, value] of mapped.headers) if (!NEVER_SENT.has(name)) headers.set(name, value);
      // Identity headers (claimsToHeaders) win over anything mapped.
      applyBackendHeaders(headers, ctx.backendHeaders);
      const query = mapped.query.length ? "?" + new URLSearchParams(mapped.query).toString() : "";
      const res = await sendToBackend(
        ctx,
        {
          url: backendUrl(renderTemplate(uri, ctx.stageVariables, mapped.pathParams), query, spec.service ? null : ctx.env),
          method: spec.method ?? ctx.request.method,
          headers,
          body: mapped.body,
        },
        spec.timeoutMs,
        spec.service,
      );
      return new Response(res.body, { status: res.status, headers: res.headers });
    },
  };
}
