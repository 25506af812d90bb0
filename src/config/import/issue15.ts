/**
 * The parts of an export that need the integrations of issue 15 — AWS service integrations (`type: aws`: S3, SQS,
 * Step Functions … with Amazon's `uri` unchanged), VPC links and response streaming — in one place. Each is
 * carried when the definition schema has it, and listed as "needs … (issue 15)" when it does not, so the import
 * switches them on by itself once that schema is merged.
 */
import { DEFINITION_SCHEMA, type SchemaNode } from "../schema.ts";
import type { IntegrationDefinition } from "../types.ts";
import type { Issues, JsonPath } from "./issues.ts";

const defs = DEFINITION_SCHEMA.$defs as Record<string, SchemaNode>;

/** The integration kinds (`type` values) the definition schema accepts. */
export function integrationTypes(): string[] {
  const branches = ((defs.integration?.oneOf as SchemaNode[]) ?? []).map((b) => defs[String(b.$ref).replace("#/$defs/", "")]);
  return branches.map((b) => (b?.properties as Record<string, SchemaNode> | undefined)?.type?.const).filter((t): t is string => typeof t === "string");
}

/** Whether the schema's integration of kind `type` has field `field`. */
export function integrationHasField(type: string, field: string): boolean {
  const branch = ((defs.integration?.oneOf as SchemaNode[]) ?? [])
    .map((b) => defs[String(b.$ref).replace("#/$defs/", "")])
    .find((b) => (b?.properties as Record<string, SchemaNode> | undefined)?.type?.const === type);
  return !!branch && Object.hasOwn((branch.properties as object) ?? {}, field);
}

const serviceOf = (uri: string) => /^arn:aws[a-z-]*:apigateway:[^:]*:([^:]+):/.exec(uri)?.[1] ?? "an AWS service";

/**
 * Amazon's AWS service integration (`type: aws` / `aws_proxy` to S3, SQS, Step Functions …, or an HTTP API's
 * `integrationSubtype`) as issue 15's `type: aws`: the URI, method, templates and responses as Amazon has them.
 */
export function awsServiceIntegration(raw: Record<string, unknown>, mapped: Record<string, unknown>, at: JsonPath, issues: Issues): IntegrationDefinition | undefined {
  const uri = typeof raw.uri === "string" ? raw.uri : undefined;
  const subtype = typeof raw.integrationSubtype === "string" ? raw.integrationSubtype : undefined;
  const what = subtype ? `the ${subtype} integration` : `an AWS service integration (${uri ? serviceOf(uri) : "no uri"})`;
  if (!integrationTypes().includes("aws")) {
    issues.error(at, `${what}: not carried over: needs the aws integration (issue 15)`);
    return undefined;
  }
  if (typeof raw.credentials === "string")
    issues.warn([...at, "credentials"], `an IAM role (${raw.credentials}): name the Worker secrets that hold the access key Portico signs with instead`);
  return {
    type: "aws",
    ...(uri ? { uri } : {}),
    ...(typeof raw.httpMethod === "string" ? { httpMethod: raw.httpMethod.toUpperCase() } : {}),
    ...(subtype ? { integrationSubtype: subtype } : {}),
    ...mapped,
  } as unknown as IntegrationDefinition;
}

/**
 * A private integration through a VPC link: the mapping's service binding for the link (Portico's private
 * integration: `service` on an http/http_proxy integration), else issue 15's `connectionType`, else not carried.
 * Returns the fields to add, or undefined when the route cannot be carried.
 */
export function vpcLink(raw: Record<string, unknown>, vpcLinks: Readonly<Record<string, string>>, type: string, at: JsonPath, issues: Issues): Record<string, unknown> | undefined {
  const id = raw.connectionId;
  if (typeof id === "string" && Object.hasOwn(vpcLinks, id)) return { service: vpcLinks[id] };
  if (integrationHasField(type, "connectionType")) return { connectionType: "VPC_LINK", ...(typeof id === "string" ? { connectionId: id } : {}) };
  issues.error(at, `a private integration through VPC link ${typeof id === "string" ? id : "(no connectionId)"}: not carried over: map the link to a service binding (--vpc-link ${typeof id === "string" ? id : "ID"}=BINDING) or use the VPC_LINK integration (issue 15)`);
  return undefined;
}

/**
 * `responseTransferMode: STREAM`. An http_proxy integration always streams in Portico; a Lambda-style one needs
 * issue 15's field. Returns the fields to add, or undefined when the route cannot be carried.
 */
export function streaming(raw: Record<string, unknown>, type: string, at: JsonPath, issues: Issues): Record<string, unknown> | undefined {
  const mode = raw.responseTransferMode;
  if (mode === undefined || mode === "BUFFERED") return {};
  if (mode !== "STREAM") {
    issues.error([...at, "responseTransferMode"], `unknown transfer mode ${JSON.stringify(mode)} (BUFFERED or STREAM)`);
    return undefined;
  }
  if (integrationHasField(type, "responseTransferMode")) return { responseTransferMode: "STREAM" };
  if (type === "http_proxy") return {};
  issues.error([...at, "responseTransferMode"], "a streamed Lambda response: not carried over: needs responseTransferMode (issue 15)");
  return undefined;
}


