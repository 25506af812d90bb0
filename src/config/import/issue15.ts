/**
 * The parts of an export that map onto issue 15's integrations (docs/integrations.md), in issue 15's field names:
 *
 * - AWS service integrations → `type: aws`: a REST API's `uri` (Amazon's ARN, unchanged), `httpMethod` and mapping;
 *   an HTTP API's `integrationSubtype` → `subtype`, its parameters by Amazon's names in `requestParameters`, and its
 *   `region`. Amazon's IAM role (`credentials`) becomes the Worker secrets Portico signs with (`credentials`: the
 *   import's `aws.credentials`, else AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), listed; `aws.endpoint` replaces
 *   AWS's endpoint (an emulator).
 * - Private integrations → `connectionType: VPC_LINK` with `connectionId` naming the binding that stands in for the
 *   VPC link (the import's `vpcLinks`, else one named after the link, listed).
 * - `responseTransferMode: STREAM` on proxy integrations.
 */
import { parseAwsUri, REGION } from "../aws-arn.ts";
import type { Flavor } from "../types.ts";
import { AWS_SUBTYPES, type IntegrationDefinition } from "../integration-types.ts";
import type { Issues, JsonPath } from "./issues.ts";
import type { AwsSecrets, ImportOptions } from "./options.ts";

/** What AWS's documentation and Portico's use for the access key's secrets. */
export const DEFAULT_AWS_SECRETS: AwsSecrets = { accessKeyId: "AWS_ACCESS_KEY_ID", secretAccessKey: "AWS_SECRET_ACCESS_KEY" };
/** The region assumed when neither the export nor the import says one (an export does not name its API's region). */
const DEFAULT_REGION = "us-east-1";
/** Amazon's credentials value meaning "call the service as the caller": an identity Portico does not have. */
const CALLER_CREDENTIALS = /^arn:aws[a-z-]*:iam::\*:user\/\*$/;

export interface AwsContext {
  flavor: Flavor;
  options: ImportOptions;
  issues: Issues;
}

/**
 * Amazon's AWS service integration (`aws` to S3, SQS, Step Functions … by ARN, or an HTTP API's AWS_PROXY with an
 * `integrationSubtype`) as `type: aws`. `mapped`: the mapping fields already read (and `timeoutMs`).
 * Undefined (and an error) when the route cannot be served as Amazon serves it.
 */
export function awsServiceIntegration(raw: Record<string, unknown>, mapped: Record<string, unknown>, at: JsonPath, ctx: AwsContext): IntegrationDefinition | undefined {
  const { issues, options } = ctx;
  const credentials = awsCredentials(raw, at, ctx);
  if (!credentials) return undefined;
  const endpoint = options.aws?.endpoint !== undefined ? { endpoint: options.aws.endpoint } : {};
  const subtype = raw.integrationSubtype;
  if (subtype !== undefined) {
    if (typeof subtype !== "string" || !(AWS_SUBTYPES as readonly string[]).includes(subtype)) {
      issues.error([...at, "integrationSubtype"], `the ${String(subtype)} integration subtype: not carried over (Portico has ${AWS_SUBTYPES.join(", ")})`);
      return undefined;
    }
    const { requestParameters, timeoutMs, ...rest } = mapped;
    // Amazon's AWS_PROXY subtypes take parameters only: anything else in the export is listed (the compiler refuses it).
    for (const key of Object.keys(rest)) issues.warn([...at, key], "not carried over: a subtype maps its parameters only (Amazon's AWS_PROXY passes the service's answer through)");
    const params = (requestParameters ?? {}) as Record<string, string>;
    return {
      type: "aws",
      subtype,
      ...(params.Region === undefined ? { region: subtypeRegion(params, at, ctx) } : {}),
      credentials,
      ...endpoint,
      ...(Object.keys(params).length ? { requestParameters: params } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    } as IntegrationDefinition;
  }
  const uri = raw.uri as string;
  const parsed = parseAwsUri(uri);
  if ("error" in parsed) {
    issues.error([...at, "uri"], `${parsed.error}: the integration is not carried over`);
    return undefined;
  }
  const method = typeof raw.httpMethod === "string" ? raw.httpMethod.toUpperCase() : undefined;
  if (method === "ANY") issues.warn([...at, "httpMethod"], "ANY names no method to call the service with: POST (Portico's default) is sent");
  return {
    type: "aws",
    uri,
    ...(method && method !== "ANY" ? { httpMethod: method } : {}),
    credentials,
    ...endpoint,
    ...mapped,
  } as IntegrationDefinition;
}

/**
 * The Worker secrets to sign with. Amazon's IAM role is not carried (a Worker assumes no role): listed with the
 * secrets used instead. The caller's own credentials (`arn:aws:iam::*:user/*`) cannot be reproduced — a fixed key
 * would call the service for callers Amazon would refuse — so that route is not carried.
 */
function awsCredentials(raw: Record<string, unknown>, at: JsonPath, ctx: AwsContext): AwsSecrets | undefined {
  const chosen = ctx.options.aws?.credentials;
  const secrets = chosen ?? DEFAULT_AWS_SECRETS;
  const names = `${secrets.accessKeyId} and ${secrets.secretAccessKey}${secrets.sessionToken ? ` (session token ${secrets.sessionToken})` : ""}`;
  const role = raw.credentials;
  if (typeof role === "string" && CALLER_CREDENTIALS.test(role)) {
    ctx.issues.error([...at, "credentials"], `${role}: Amazon calls the service with each caller's own credentials; Portico has no caller identity to sign with, and a fixed key would accept callers Amazon refuses: the route is not carried over`);
    return undefined;
  }
  if (typeof role === "string")
    ctx.issues.warn([...at, "credentials"], `the IAM role ${role} is not carried over: Portico signs with the access key in the Worker secrets ${names}${chosen ? "" : " (--aws-secrets names others)"}; give that key only what the role allowed`);
  else if (!chosen) ctx.issues.warn(at, `signed with the access key in the Worker secrets ${names} (--aws-secrets names others)`);
  return { ...secrets };
}

/** A subtype's region: the import's, else the one its queue URL or state machine ARN names, else us-east-1 (listed). */
function subtypeRegion(params: Record<string, string>, at: JsonPath, ctx: AwsContext): string {
  if (ctx.options.region) return ctx.options.region;
  const named = [params.QueueUrl, params.StateMachineArn]
    .map((v) => (v ? (/^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(v) ?? /^arn:aws[a-z-]*:states:([a-z0-9-]+):/.exec(v))?.[1] : undefined))
    .find((r) => r !== undefined && REGION.test(r));
  if (named) return named;
  ctx.issues.warn([...at, "integrationSubtype"], `the API's region is not in the export: ${DEFAULT_REGION} assumed (region in the mapping file, or a Region parameter, says otherwise)`);
  return DEFAULT_REGION;
}

/** A binding name for a VPC link id with no mapping (`vpc-0ab1` → `VPC_0AB1`). */
export function vpcLinkBinding(id: string): string {
  const name = id.toUpperCase().replace(/[^A-Z0-9_]/g, "_");
  return /^[A-Z_]/.test(name) ? name : `_${name}`;
}

/**
 * A private integration through a VPC link → `connectionType: VPC_LINK` and `connectionId`, the binding standing
 * in for the link (mapped with `--vpc-link`, else named after it, listed). Undefined when it cannot be carried.
 */
export function vpcLink(raw: Record<string, unknown>, vpcLinks: Readonly<Record<string, string>>, at: JsonPath, issues: Issues): { connectionType: "VPC_LINK"; connectionId: string } | undefined {
  const id = raw.connectionId;
  if (typeof id !== "string" || !id) {
    issues.error([...at, "connectionId"], "required with connectionType VPC_LINK: the route is not carried over");
    return undefined;
  }
  if (Object.hasOwn(vpcLinks, id)) return { connectionType: "VPC_LINK", connectionId: vpcLinks[id]! };
  if (id.includes("${")) {
    issues.error([...at, "connectionId"], `the VPC link comes from a stage variable (${id}): a binding is fixed, so map each link yourself (--vpc-link ID=BINDING)`);
    return undefined;
  }
  const binding = vpcLinkBinding(id);
  issues.warn([...at, "connectionId"], `VPC link ${id} is reached through the binding ${binding} (--vpc-link ${id}=BINDING to choose another): declare it in wrangler.toml ([[services]] or [[vpc_services]])`);
  return { connectionType: "VPC_LINK", connectionId: binding };
}

/**
 * `responseTransferMode`: STREAM on a proxy integration (`http_proxy`, Lambda proxy), as issue 15 serves it; fields to
 * add, or undefined (and an error) when the route cannot be carried: Amazon streams proxy integrations only.
 */
export function streaming(raw: Record<string, unknown>, kind: "http" | "http_proxy" | "service", proxy: boolean, at: JsonPath, issues: Issues): { responseTransferMode?: "STREAM" } | undefined {
  const mode = typeof raw.responseTransferMode === "string" ? raw.responseTransferMode.toUpperCase() : raw.responseTransferMode;
  if (mode === undefined || mode === "BUFFERED") return {};
  if (mode !== "STREAM") {
    issues.error([...at, "responseTransferMode"], `unknown transfer mode ${JSON.stringify(raw.responseTransferMode)} (BUFFERED or STREAM)`);
    return undefined;
  }
  if (!proxy) {
    issues.error([...at, "responseTransferMode"], `STREAM on a non-proxy ${kind === "http" ? "HTTP" : "Lambda"} integration: Amazon streams proxy integrations only (their templates need the whole response); the route is not carried over`);
    return undefined;
  }
  return { responseTransferMode: "STREAM" };
}
