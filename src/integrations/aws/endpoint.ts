/**
 * Where an AWS integration's request goes, as AWS's rules give it: `https://{service}.{region}.amazonaws.com`
 * (`.amazonaws.com.cn` in China), S3 path style (`https://s3.{region}.amazonaws.com/{bucket}/{key}`) or, for an ARN
 * with a subdomain (`{bucket}.s3`), virtual-host style (`https://{bucket}.s3.{region}.amazonaws.com/{key}`). An
 * `endpoint` override (an emulator, the test suite's AWS-compatible server) replaces the origin; it names a host,
 * so it goes through the outbound rules each time it renders (loopback only with PORTICO_LOCAL_DEV), and a
 * subdomain becomes the path's first segment there (path style: an emulator on one host cannot serve every bucket
 * as a host name).
 */
import type { BundleAwsIntegration } from "../../config/bundle-integrations.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import { backendUrl } from "../http/url.ts";
import { compileTemplate, renderTemplate, type TemplatePart } from "../template.ts";

/** Services with one global endpoint (signed in us-east-1). */
const GLOBAL: Record<string, string> = { iam: "iam.amazonaws.com", route53: "route53.amazonaws.com", cloudfront: "cloudfront.amazonaws.com" };

/** AWS's endpoint for a service in a region (without the subdomain). */
export function awsOrigin(service: string, region: string, partition: string): string {
  const global = GLOBAL[service];
  if (global) return `https://${global}`;
  return `https://${service}.${region}.amazonaws.com${partition === "aws-cn" ? ".cn" : ""}`;
}

export interface Endpoint {
  /** The origin and any base path, no trailing slash, for this request. */
  base(ctx: RequestContext, region: string): string;
  /** Whether the subdomain goes into the path (an override) rather than the host. */
  pathStyle: boolean;
}

export function awsEndpoint(spec: BundleAwsIntegration): Endpoint {
  const partition = spec.uri?.split(":")[1] ?? "aws";
  if (spec.endpoint === null) {
    const sub = spec.subdomain ? `${spec.subdomain}.` : "";
    return {
      pathStyle: false,
      base: (_ctx, region) => awsOrigin(spec.service, region, partition).replace("https://", `https://${sub}`),
    };
  }
  const template: TemplatePart[] = compileTemplate(spec.endpoint);
  return {
    pathStyle: true,
    base(ctx) {
      // Checked (and parsed once per rendered value) as a backend URI is: a stage variable can name any host.
      const href = backendUrl(renderTemplate(template, ctx.stageVariables, {}), "", ctx.env);
      const url = new URL(href);
      if (url.search) throw new GatewayError("API_CONFIGURATION_ERROR", { detail: "the AWS endpoint override carries a query string" });
      return url.origin + url.pathname.replace(/\/+$/, "");
    },
  };
}
