/**
 * `http` (Amazon's HTTP integration, non-proxy): the gateway builds the backend request rather than passing the
 * client's through. Following Amazon, the backend receives the body with its Content-Type, `Accept:
 * application/json`, X-Forwarded-* and the configured headers — not the client's other headers or query string —
 * and the client receives the backend's status, Content-Type and body.
 *
 * `mapRequest` and `mapResponse` are the mapping hooks: mapping templates and integration responses plug in here.
 */
import type { Bundle, BundleHttpIntegration } from "../../config/bundle.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import { compileTemplate, renderTemplate } from "../template.ts";
import { sendToBackend, type Outbound } from "../transport.ts";
import type { Integration } from "../types.ts";
import { backendUrl, compileHeaderTemplates, setTemplatedHeaders } from "./url.ts";

export type RequestMapping = (ctx: RequestContext, out: Outbound) => Outbound | Promise<Outbound>;
export type ResponseMapping = (ctx: RequestContext, backend: Response) => Response | Promise<Response>;

/** Amazon's default with no templates: the body passes through as is (WHEN_NO_MATCH passthrough). */
const passRequest: RequestMapping = (_ctx, out) => out;

/** Amazon's default with no integration responses: status and body pass through with their Content-Type. */
const passResponse: ResponseMapping = (_ctx, backend) => {
  const headers = new Headers({ "content-type": backend.headers.get("content-type") ?? "application/json" });
  return new Response(backend.body, { status: backend.status, headers });
};

export function httpIntegration(
  spec: BundleHttpIntegration,
  _bundle: Bundle,
  hooks: { mapRequest?: RequestMapping; mapResponse?: ResponseMapping } = {},
): Integration {
  const uri = compileTemplate(spec.uri);
  const headerTemplates = compileHeaderTemplates(spec.headers);
  const mapRequest = hooks.mapRequest ?? passRequest;
  const mapResponse = hooks.mapResponse ?? passResponse;
  return {
    type: "http",
    async invoke(ctx: RequestContext): Promise<Response> {
      const headers = new Headers({ accept: "application/json" });
      const contentType = ctx.request.headers.get("content-type");
      if (contentType) headers.set("content-type", contentType);
      if (ctx.clientIp) headers.set("x-forwarded-for", ctx.clientIp);
      headers.set("x-forwarded-proto", ctx.url.protocol.replace(":", ""));
      setTemplatedHeaders(headers, headerTemplates, ctx);
      const out = await mapRequest(ctx, {
        url: backendUrl(renderTemplate(uri, ctx.stageVariables, ctx.pathParams), "", spec.service ? null : ctx.env),
        method: spec.method ?? ctx.request.method,
        headers,
        body: await ctx.bodyForForwarding(),
      });
      return mapResponse(ctx, await sendToBackend(ctx, out, spec.timeoutMs, spec.service));
    },
  };
}
