/**
 * A Portico integration as Amazon's `x-amazon-apigateway-integration`: `http`/`http_proxy`/`mock` by their own
 * names, Lambda-style `service` integrations as AWS_PROXY (1.0/2.0) or AWS (custom) invoking a function named
 * after the binding — which the import binds back to the same binding — and `aws` as Amazon's AWS integration (a
 * REST API's ARN) or AWS_PROXY with its `integrationSubtype` (an HTTP API's); VPC links and response streaming by
 * Amazon's field names. What Amazon has no field for (headers, the secrets an `aws` integration signs with, its
 * endpoint, a service binding on an HTTP integration, a raw Worker forward) is left to the route's `x-portico`; so
 * are Cloudflare's own kinds (`queue`, `r2`, `workflow`), which have no Amazon integration at all (undefined).
 */
import type { Flavor } from "../types.ts";
import type { IntegrationDefinition, IntegrationResponseDefinition } from "../integration-types.ts";

/** The account and region in the function ARNs an export writes (Amazon's documentation placeholders). */
export const EXPORT_REGION = "us-east-1";
export const EXPORT_ACCOUNT = "123456789012";

/** The function's invocation URI; with response streaming, InvokeWithResponseStream's (Amazon's streaming form). */
export const lambdaUri = (binding: string, stream = false) =>
  stream
    ? `arn:aws:apigateway:${EXPORT_REGION}:lambda:path/2021-11-15/functions/arn:aws:lambda:${EXPORT_REGION}:${EXPORT_ACCOUNT}:function:${binding}/response-streaming-invocations`
    : `arn:aws:apigateway:${EXPORT_REGION}:lambda:path/2015-03-31/functions/arn:aws:lambda:${EXPORT_REGION}:${EXPORT_ACCOUNT}:function:${binding}/invocations`;

const lower = (v: string | undefined) => v?.toLowerCase();

export function amazonIntegration(integration: IntegrationDefinition, flavor: Flavor, cacheKeys: string[]): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined) out[key] = value;
  };
  const i = integration as IntegrationDefinition & Record<string, unknown>;
  switch (integration.type) {
    case "http":
    case "http_proxy":
      set("type", integration.type);
      set("httpMethod", integration.method ?? "ANY");
      set("uri", integration.uri);
      set("connectionType", integration.connectionType);
      set("connectionId", integration.connectionId);
      break;
    case "mock":
      set("type", "mock");
      // Portico's shorthand (status, headers, body) as Amazon's MOCK: a request template choosing the status, and
      // a default integration response answering the body with the headers.
      if (!integration.requestTemplates && !integration.responses) {
        const status = integration.status ?? 200;
        const json = integration.body !== undefined && typeof integration.body !== "string";
        const headers = { ...(json ? { "Content-Type": "application/json" } : {}), ...integration.headers };
        const type = (Object.entries(headers).find(([h]) => h.toLowerCase() === "content-type")?.[1] ?? "application/json").split(";")[0]!.trim();
        out.requestTemplates = { "application/json": `{"statusCode": ${status}}` };
        out.responses = {
          default: {
            statusCode: String(status),
            ...(integration.body !== undefined ? { responseTemplates: { [type]: json ? JSON.stringify(integration.body) : String(integration.body) } } : {}),
            ...(Object.keys(headers).length ? { responseParameters: Object.fromEntries(Object.entries(headers).map(([h, v]) => [`method.response.header.${h}`, `'${v}'`])) } : {}),
          },
        };
      }
      break;
    case "service":
      if (integration.payloadFormat === "1.0" || integration.payloadFormat === "2.0") {
        set("type", "aws_proxy");
        if (flavor === "http" || integration.payloadFormat === "2.0") set("payloadFormatVersion", integration.payloadFormat);
      } else if (integration.payloadFormat === "custom") set("type", "aws");
      else {
        // A raw forward to a Worker: the nearest Amazon has is an HTTP proxy; x-portico carries the real thing.
        set("type", "http_proxy");
        set("httpMethod", "ANY");
        set("uri", `https://${integration.service.toLowerCase().replace(/_/g, "-")}.service.invalid${integration.path ?? "/"}`);
        break;
      }
      set("httpMethod", "POST");
      set("uri", lambdaUri(integration.service, integration.responseTransferMode === "STREAM"));
      break;
    case "aws":
      if (integration.subtype) {
        set("type", "aws_proxy");
        set("integrationSubtype", integration.subtype);
        // Amazon's only value for a subtype (its required field).
        set("payloadFormatVersion", "1.0");
      } else {
        set("type", "aws");
        set("httpMethod", integration.httpMethod ?? "POST");
        set("uri", integration.uri);
      }
      break;
    default:
      // queue, r2, workflow: Cloudflare bindings, with no Amazon integration to write.
      return undefined;
  }
  set("timeoutInMillis", i.timeoutMs);
  set("requestTemplates", i.requestTemplates);
  set("requestParameters", i.requestParameters);
  set("passthroughBehavior", lower(i.passthroughBehavior as string | undefined));
  set("contentHandling", i.contentHandling);
  if (i.responses) out.responses = Object.fromEntries(Object.entries(i.responses as Record<string, IntegrationResponseDefinition>).map(([p, r]) => [p, { ...r }]));
  if (integration.type === "http_proxy") set("responseParameters", integration.responseParameters);
  set("responseTransferMode", i.responseTransferMode);
  if (cacheKeys.length) out.cacheKeyParameters = cacheKeys;
  return out;
}

/** Route cache keys as Amazon's cacheKeyParameters. */
export function cacheKeyParameters(keys: readonly string[] | undefined): string[] {
  return (keys ?? []).map((k) => (k.startsWith("query.") ? `method.request.querystring.${k.slice(6)}` : `method.request.header.${k.slice(7)}`));
}
