/**
 * `http_proxy` (Amazon's HTTP_PROXY): the client's method, path (through the URI template), query, headers and
 * body go to the backend, and the backend's status, headers and body come back — both bodies streamed, hop-by-hop
 * headers dropped both ways, what a client may not send a backend dropped (client-headers.ts), X-Forwarded-* added.
 * Amazon's header rules apply (mapping/headers.ts): the client headers it never carries on are dropped in the same
 * pass, `x-amzn-apigateway-api-id` is added, and the backend's reserved response headers come back as
 * `x-amzn-Remapped-*`. Mapped parameters (`requestParameters`, transform step) are applied over the client's:
 * REST `integration.request.*`, or the HTTP flavour's `overwrite:` / `append:` / `remove:`. With
 * `responseTransferMode: STREAM` the body is held to Amazon's streaming limits (streaming/guard.ts); with a VPC
 * link on an HTTP API the stage leads the path, as Amazon sends it.
 */
import type { Bundle } from "../../config/bundle.ts";
import type { BundleHttpIntegration } from "../../config/bundle-integrations.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import { droppedWith, forwardedRequestHeaders, proxiedResponse } from "../../wire/headers.ts";
import { compileTemplate, renderTemplate, type TemplatePart } from "../template.ts";
import { outboundRequest, sendToBackend } from "../transport.ts";
import type { Integration } from "../types.ts";
import { backendUrl, compileHeaderTemplates, setTemplatedHeaders } from "../http/url.ts";
import { PROXY_DROPPED, remapBackendHeaders } from "../mapping/headers.ts";
import type { IntegrationRequest } from "../../pipeline/integration-request.ts";
import { NEVER_SENT } from "../mapping/request.ts";
import { streamedResponse } from "../streaming/response.ts";

/** What the client's headers lose on the way: the platform's and the client-header rules, and Amazon's HTTP_PROXY list. */
const NOT_CARRIED = droppedWith(PROXY_DROPPED);

export function httpProxyIntegration(spec: BundleHttpIntegration, bundle: Bundle): Integration {
  const uri: TemplatePart[] = compileTemplate(spec.uri);
  // Amazon's HTTP APIs send a private integration the request's own path, the stage first (`/prod/pets`), unless
  // `overwrite:path` maps it; REST APIs send the URI's path, as for any HTTP integration.
  const stageFirst = spec.vpcLink && bundle.api.flavor === "http";
  const stream = spec.responseTransferMode === "STREAM";
  const headerTemplates = compileHeaderTemplates(spec.headers);
  const requestIdHeader = bundle.settings.requestIdHeader;
  return {
    type: "http_proxy",
    async invoke(ctx: RequestContext): Promise<Response> {
      const mapped = ctx.integrationRequest;
      const body = await ctx.bodyForForwarding();
      const pathParams = mapped ? mapped.pathParams : ctx.pathParams;
      let search = ctx.url.search;
      if (mapped) search = mappedSearch(search, mapped);
      let path: string | null = null;
      if (mapped) for (const op of mapped.operations) if (op.key.location === "path") path = op.value;
      let rendered = renderTemplate(uri, ctx.stageVariables, pathParams);
      if (path !== null) rendered = new URL(rendered).origin + (path.startsWith("/") ? path : "/" + path);
      else if (stageFirst) rendered = new URL(rendered).origin + "/" + ctx.stage + ctx.path;
      const url = backendUrl(rendered, search, spec.service ? null : ctx.env);
      const method = spec.method ?? ctx.request.method;
      // Built from the client's headers, then changed in place: one copy of them for the whole subrequest.
      const outbound = outboundRequest(ctx, { url, method, headers: ctx.request.headers, body });
      const headers = outbound.headers;
      forwardedRequestHeaders(ctx.request, ctx.url, ctx.clientIp, ctx.route?.headerPolicy, headers, NOT_CARRIED);
      // A request without a body has no content coding to describe (recorded: dropped); with one it is kept.
      if (body === null) headers.delete("content-encoding");
      headers.set("x-amzn-apigateway-api-id", bundle.api.name);
      if (mapped) applyMappedHeaders(headers, mapped);
      setTemplatedHeaders(headers, headerTemplates, ctx);
      const res = proxiedResponse(await sendToBackend(ctx, outbound, spec.timeoutMs, spec.service));
      remapBackendHeaders(res.headers, requestIdHeader);
      return stream ? streamedResponse(ctx, res, spec) : res;
    },
  };
}

function applyMappedHeaders(headers: Headers, mapped: IntegrationRequest): void {
  for (const [name, value] of mapped.headers) if (!NEVER_SENT.has(name)) headers.set(name, value);
  for (const { key, value } of mapped.operations) {
    if (key.location !== "header") continue;
    if (key.action === "remove") headers.delete(key.name);
    else if (key.action === "append") headers.append(key.name, value);
    else headers.set(key.name, value);
  }
}

/** The client's query string with the mapped parameters applied. */
function mappedSearch(search: string, mapped: IntegrationRequest): string {
  const queryOps = mapped.operations.filter((op) => op.key.location === "querystring");
  if (!mapped.query.length && !queryOps.length) return search;
  const params = new URLSearchParams(search);
  for (const [name, value] of mapped.query) params.set(name, value);
  for (const { key, value } of queryOps) {
    if (key.action === "remove") params.delete(key.name);
    else if (key.action === "append") params.append(key.name, value);
    else params.set(key.name, value);
  }
  const text = params.toString();
  return text ? "?" + text : "";
}
