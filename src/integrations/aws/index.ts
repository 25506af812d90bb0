/**
 * `aws` (Amazon's AWS integration): an AWS service action, signed with SigV4 (sign.ts) and sent to the endpoint
 * AWS's rules give (endpoint.ts).
 *
 * - REST, `uri` in Amazon's ARN form: the mapped request (request template, parameters — the transform step) is
 *   the service request. `path/{path}` sends it to that path with `httpMethod`; `action/{Action}` sends it to the
 *   service's root, as `?Action={Action}` for query-protocol services or with `X-Amz-Target: {prefix}.{Action}`
 *   for JSON-protocol ones. Like Amazon's, the request carries only what the mapping sets (no client headers), plus
 *   `User-Agent: AmazonAPIGateway_<api>`; the service's answer is the integration response (selection by status).
 * - HTTP APIs, a `subtype`: the named parameters make the JSON request (subtype.ts) and the service's answer passes
 *   through, its status and Content-Type with it (Amazon's AWS_PROXY).
 *
 * What a service would refuse for size (an SQS message over 256 KiB …) is refused here first: 413, nothing sent.
 */
import { JSON_PROTOCOL } from "../../config/aws-arn.ts";
import type { Bundle } from "../../config/bundle.ts";
import type { BundleAwsIntegration } from "../../config/bundle-integrations.ts";
import { propagateTrace } from "../../observability/request-trace.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import { NEVER_SENT } from "../mapping/request.ts";
import { compileTemplate, renderTemplate } from "../template.ts";
import { outboundRequest, sendToBackend } from "../transport.ts";
import type { Integration } from "../types.ts";
import { awsEndpoint } from "./endpoint.ts";
import { awsSigner, type Unsigned } from "./sign.ts";
import { compileSubtype, oversizeSqsMessage, subtypeRequest } from "./subtype.ts";

export function awsIntegration(spec: BundleAwsIntegration, bundle: Bundle): Integration {
  const endpoint = awsEndpoint(spec);
  const signer = awsSigner(spec.credentials);
  const userAgent = `AmazonAPIGateway_${bundle.api.name}`;
  const subtype = spec.subtype ? compileSubtype(spec) : null;
  const path = spec.form === "path" ? compileTemplate(spec.target) : null;
  const json = spec.form === "action" ? JSON_PROTOCOL[spec.service] : undefined;

  /**
   * Signs and sends; the service's response once its headers arrive. The trace is set before signing, so the
   * signature covers `traceparent` and `tracestate` and nothing changes a header after (X-Amzn-Trace-Id is one
   * SigV4 leaves unsigned, as AWS's own X-Ray propagation does).
   */
  async function send(ctx: RequestContext, unsigned: Unsigned, region: string): Promise<Response> {
    unsigned.headers.set("user-agent", userAgent);
    unsigned.headers.set("x-amzn-apigateway-api-id", bundle.api.name);
    propagateTrace(ctx, unsigned.headers);
    const signed = await signer.sign(ctx.env, unsigned, spec.service, region);
    const request = outboundRequest(ctx, { url: signed.url, method: unsigned.method, headers: signed.headers, body: unsigned.body });
    return sendToBackend(ctx, request, spec.timeoutMs, null, true);
  }

  if (subtype) {
    return {
      type: "aws",
      async invoke(ctx: RequestContext): Promise<Response> {
        const { body, region } = await subtypeRequest(ctx, subtype, spec);
        const headers = new Headers({ "content-type": subtype.spec.contentType, "x-amz-target": subtype.spec.target });
        const res = await send(ctx, { method: "POST", url: endpoint.base(ctx, region) + "/", headers, body }, region);
        // AWS_PROXY: the service's status and body, with its Content-Type (its request id is the gateway's to set).
        return new Response(ctx.request.method === "HEAD" ? null : res.body, { status: res.status, headers: { "content-type": res.headers.get("content-type") ?? "application/json" } });
      },
    };
  }

  return {
    type: "aws",
    async invoke(ctx: RequestContext): Promise<Response> {
      const mapped = ctx.integrationRequest!;
      let url = endpoint.base(ctx, spec.region);
      const query: [string, string][] = [];
      const headers = new Headers();
      if (path) {
        const prefix = spec.subdomain && endpoint.pathStyle ? `/${spec.subdomain}` : "";
        url += prefix + "/" + renderTemplate(path, ctx.stageVariables, mapped.pathParams).replace(/^\/+/, "");
      } else if (json) {
        url += "/";
        headers.set("x-amz-target", `${json.prefix}.${spec.target}`);
        headers.set("content-type", json.contentType);
      } else {
        url += "/";
        query.push(["Action", spec.target]);
      }
      query.push(...mapped.query);
      if (mapped.body !== null && mapped.contentType && !json) headers.set("content-type", mapped.contentType);
      for (const [name, value] of mapped.headers) if (!NEVER_SENT.has(name)) headers.set(name, value);
      if (spec.service === "sqs") {
        const size = oversizeSqsMessage(mapped.body, headers.get("content-type"), query);
        if (size !== null) throw new GatewayError("REQUEST_TOO_LARGE", { message: "an SQS message is at most 262144 bytes", detail: `SQS MessageBody of ${size} bytes` });
      }
      if (query.length) url += "?" + new URLSearchParams(query).toString();
      const body = spec.httpMethod === "GET" || spec.httpMethod === "HEAD" ? null : mapped.body;
      const res = await send(ctx, { method: spec.httpMethod, url, headers, body }, spec.region);
      return new Response(res.body, { status: res.status, headers: res.headers });
    },
  };
}
