/**
 * `http_proxy` (Amazon's HTTP_PROXY): the client's method, path (through the URI template), query, headers and
 * body go to the backend, and the backend's status, headers and body come back — both bodies streamed, hop-by-hop
 * headers dropped both ways, what a client may not send a backend dropped (client-headers.ts), X-Forwarded-* added.
 */
import type { Bundle, BundleHttpIntegration } from "../../config/bundle.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import { forwardedRequestHeaders, proxiedResponse } from "../headers.ts";
import { compileTemplate, renderTemplate, type TemplatePart } from "../template.ts";
import { outboundRequest, sendToBackend } from "../transport.ts";
import type { Integration } from "../types.ts";
import { backendUrl, compileHeaderTemplates, setTemplatedHeaders } from "../http/url.ts";

export function httpProxyIntegration(spec: BundleHttpIntegration, _bundle: Bundle): Integration {
  const uri: TemplatePart[] = compileTemplate(spec.uri);
  const headerTemplates = compileHeaderTemplates(spec.headers);
  return {
    type: "http_proxy",
    async invoke(ctx: RequestContext): Promise<Response> {
      const url = backendUrl(renderTemplate(uri, ctx.stageVariables, ctx.pathParams), ctx.url.search, spec.service ? null : ctx.env);
      const method = spec.method ?? ctx.request.method;
      // Built from the client's headers, then changed in place: one copy of them for the whole subrequest.
      const outbound = outboundRequest(ctx, { url, method, headers: ctx.request.headers, body: await ctx.bodyForForwarding() });
      forwardedRequestHeaders(ctx.request, ctx.url, ctx.clientIp, ctx.route?.headerPolicy, outbound.headers);
      setTemplatedHeaders(outbound.headers, headerTemplates, ctx);
      return proxiedResponse(await sendToBackend(ctx, outbound, spec.timeoutMs, spec.service));
    },
  };
}
