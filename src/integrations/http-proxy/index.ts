/**
 * `http_proxy` (Amazon's HTTP_PROXY): the client's method, path (through the URI template), query, headers and
 * body go to the backend, and the backend's status, headers and body come back — both bodies streamed, hop-by-hop
 * headers dropped both ways, X-Forwarded-* added.
 */
import type { Bundle, BundleHttpIntegration } from "../../config/bundle.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import { endToEndHeaders, forwardedRequestHeaders } from "../headers.ts";
import { compileTemplate, renderTemplate, type TemplatePart } from "../template.ts";
import { sendToBackend } from "../transport.ts";
import type { Integration } from "../types.ts";
import { backendUrl, compileHeaderTemplates, setTemplatedHeaders } from "../http/url.ts";

export function httpProxyIntegration(spec: BundleHttpIntegration, _bundle: Bundle): Integration {
  const uri: TemplatePart[] = compileTemplate(spec.uri);
  const headerTemplates = compileHeaderTemplates(spec.headers);
  return {
    type: "http_proxy",
    async invoke(ctx: RequestContext): Promise<Response> {
      const url = backendUrl(renderTemplate(uri, ctx.stageVariables, ctx.pathParams), ctx.url.search);
      const headers = forwardedRequestHeaders(ctx.request, ctx.url, ctx.clientIp);
      setTemplatedHeaders(headers, headerTemplates, ctx);
      const method = spec.method ?? ctx.request.method;
      const res = await sendToBackend(ctx, { url, method, headers, body: await ctx.bodyForForwarding() }, spec.timeoutMs, spec.service);
      return new Response(res.body, { status: res.status, statusText: res.statusText, headers: endToEndHeaders(res.headers) });
    },
  };
}
