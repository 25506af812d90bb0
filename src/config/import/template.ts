/**
 * A SAM or CloudFormation template → the OpenAPI document of one API in it, with its stages. Reads the `Body` of
 * `AWS::ApiGateway::RestApi` and `AWS::ApiGatewayV2::Api` and the `DefinitionBody` of `AWS::Serverless::Api` and
 * `AWS::Serverless::HttpApi`; adds the routes SAM would add for functions' `Api`/`HttpApi` events (and SAM's
 * implicit API when a template has events but no API resource); carries HTTP APIs' `CorsConfiguration`, JWT `Auth`
 * and stage settings; resolves intrinsic functions where the template says what they are (intrinsics.ts). Every
 * other property is listed, as an error where Amazon would protect or hide what Portico would not.
 */
import { isObject } from "../field-errors.ts";
import type { Flavor } from "../types.ts";
import { functionName, resolveIntrinsics, type TemplateContext } from "./intrinsics.ts";
import { templateRouting } from "./template-routing.ts";
import { addEventRoutes, functionEvents, IMPLICIT, lowerFirstKeys, samAuth } from "./sam.ts";
import type { DomainRoutingDefinition } from "../types.ts";
import type { Issues, JsonPath } from "./issues.ts";
import type { ImportOptions } from "./options.ts";

export interface TemplateStage {
  name: string;
  variables: Record<string, string>;
  path: JsonPath;
}

export interface TemplateApi {
  logicalId: string;
  /** The API's OpenAPI document, intrinsics resolved where they can be. */
  doc: Record<string, unknown>;
  /** Where the document is in the template (issues inside it are reported under this path). */
  docPath: JsonPath;
  flavor: Flavor;
  /** From the resource's `Name`, when it is a plain string. */
  name?: string;
  stages: TemplateStage[];
  /** Function name → logical id, so the Lambda mapping may name either. */
  functionIds: Map<string, string>;
  /** The template's routing rules for this API, by host. */
  domainRouting?: Record<string, DomainRoutingDefinition>;
}

const API_TYPES: Record<string, { body: string; flavor: Flavor | "protocol" }> = {
  "AWS::ApiGateway::RestApi": { body: "Body", flavor: "rest" },
  "AWS::ApiGatewayV2::Api": { body: "Body", flavor: "protocol" },
  "AWS::Serverless::Api": { body: "DefinitionBody", flavor: "rest" },
  "AWS::Serverless::HttpApi": { body: "DefinitionBody", flavor: "http" },
};

/** Properties read here, per API resource type; the rest are listed. */
const READ = new Set(["Body", "DefinitionBody", "Name", "Description", "ProtocolType", "StageName", "Variables", "StageVariables", "BinaryMediaTypes", "CorsConfiguration", "Auth", "FailOnWarnings", "OpenApiVersion"]);
/** Properties that, left behind, would make Portico serve what Amazon protects or hides: errors. */
const GUARDING = new Set(["Auth", "EndpointConfiguration", "Policy", "Domain", "MutualTlsAuthentication"]);

export function templateApi(template: Record<string, unknown>, options: ImportOptions, issues: Issues): TemplateApi | undefined {
  const resources = (isObject(template.Resources) ? template.Resources : {}) as TemplateContext["resources"];
  const ctx: TemplateContext = {
    resources,
    parameters: (isObject(template.Parameters) ? template.Parameters : {}) as TemplateContext["parameters"],
    mappings: (isObject(template.Mappings) ? template.Mappings : {}) as TemplateContext["mappings"],
    region: options.region ?? "us-east-1",
    accountId: options.accountId ?? "123456789012",
    mappedFunctions: new Set(Object.keys(options.lambda ?? {})),
  };
  const functionIds = new Map<string, string>();
  for (const [id, r] of Object.entries(resources))
    if (r && (r.Type === "AWS::Lambda::Function" || r.Type === "AWS::Serverless::Function")) functionIds.set(functionName(ctx, id), id);

  if (isObject(template.Globals))
    for (const kind of ["Api", "HttpApi"])
      if (isObject(template.Globals[kind]))
        for (const key of Object.keys(template.Globals[kind] as object))
          (GUARDING.has(key) ? issues.error.bind(issues) : issues.warn.bind(issues))(["Globals", kind, key], `not carried over: SAM's Globals are not merged by the import; set ${key} on the API resource`);

  const all = Object.entries(resources).filter(([, r]) => r && typeof r.Type === "string" && Object.hasOwn(API_TYPES, r.Type));
  // WebSocket APIs are not imported (Amazon exports none as OpenAPI either): each is listed, and never a candidate.
  const isWebSocket = ([, r]: (typeof all)[number]) => r.Type === "AWS::ApiGatewayV2::Api" && isObject(r.Properties) && r.Properties.ProtocolType === "WEBSOCKET";
  const webSockets = all.filter(isWebSocket);
  const apis = all.filter((a) => !isWebSocket(a));
  const notCarried = (id: string, severity: "error" | "warn") =>
    issues[severity](["Resources", id, "Properties", "ProtocolType"], `a WebSocket API: not carried over (import reads REST and HTTP APIs; write it as a flavor: websocket definition, docs/websockets.md)`);
  if (options.resource && webSockets.some(([id]) => id === options.resource)) {
    notCarried(options.resource, "error");
    return undefined;
  }
  const events = functionEvents(resources);
  let chosen: [string, { Type?: unknown; Properties?: Record<string, unknown> }] | undefined;
  if (options.resource) {
    chosen = apis.find(([id]) => id === options.resource);
    if (!chosen && !events.some((e) => e.api === options.resource)) {
      issues.error(["Resources"], `no API resource "${options.resource}" (the template has ${apis.map(([id]) => id).join(", ") || "none"})`);
      return undefined;
    }
  } else if (apis.length === 1) chosen = apis[0];
  else if (apis.length > 1) {
    issues.error(["Resources"], `the template has ${apis.length} APIs (${apis.map(([id]) => id).join(", ")}): choose one with --resource`);
    return undefined;
  }

  // SAM's implicit API: functions with Api/HttpApi events that name no API resource.
  const implicit = chosen ? undefined : events.find((e) => e.api === IMPLICIT.rest || e.api === IMPLICIT.http);
  // Nothing else to import: the WebSocket APIs are why (errors); beside an imported API, they are warnings.
  for (const [id] of webSockets) notCarried(id, chosen || implicit ? "warn" : "error");
  if (!chosen) {
    if (!implicit) {
      if (!webSockets.length)
        issues.error(["Resources"], "no AWS::ApiGateway::RestApi, AWS::ApiGatewayV2::Api, AWS::Serverless::Api or AWS::Serverless::HttpApi resource, and no function events that would create one");
      return undefined;
    }
    const flavor: Flavor = implicit.api === IMPLICIT.http ? "http" : "rest";
    const doc: Record<string, unknown> = flavor === "http" ? { openapi: "3.0.1", info: { title: implicit.api }, paths: {} } : { swagger: "2.0", info: { title: implicit.api }, paths: {} };
    addEventRoutes(doc, events.filter((e) => e.api === implicit.api), flavor, ctx);
    const stage = flavor === "http" ? "$default" : "Prod";
    return { logicalId: implicit.api, doc, docPath: ["Resources"], flavor, stages: [{ name: stageName(stage, [], issues), variables: {}, path: ["Resources"] }], functionIds };
  }

  const [logicalId, resource] = chosen;
  const type = resource.Type as string;
  const props = (isObject(resource.Properties) ? resource.Properties : {}) as Record<string, unknown>;
  const propsPath = ["Resources", logicalId, "Properties"];
  const spec = API_TYPES[type]!;
  let flavor: Flavor;
  flavor = spec.flavor === "protocol" ? "http" : spec.flavor;

  for (const key of Object.keys(props)) {
    if (READ.has(key)) continue;
    if (key === "BodyS3Location" || key === "DefinitionUri")
      issues.error([...propsPath, key], "the definition is not in the template (S3 or a file): import the definition file itself");
    else if (GUARDING.has(key)) issues.error([...propsPath, key], `not carried over: ${describeGuard(key)}`);
    else if (key === "DisableExecuteApiEndpoint") issues.warn([...propsPath, key], describeGuard(key));
    else issues.warn([...propsPath, key], "not carried over (a property of the AWS resource that Portico has no equivalent for)");
  }

  const raw = props[spec.body];
  const docPath = [...propsPath, spec.body];
  let doc: Record<string, unknown>;
  if (isObject(raw) && isObject(raw["Fn::Transform"])) {
    issues.error(docPath, "the definition is included from S3 (AWS::Include): import the included file itself");
    return undefined;
  }
  if (isObject(raw)) doc = resolveIntrinsics(raw, ctx, issues, docPath) as Record<string, unknown>;
  else if (raw === undefined && type.startsWith("AWS::Serverless::")) doc = flavor === "http" ? { openapi: "3.0.1", info: { title: logicalId }, paths: {} } : { swagger: "2.0", info: { title: logicalId }, paths: {} };
  else {
    issues.error(docPath, raw === undefined ? `no ${spec.body}: the API is not defined by an OpenAPI document in this template` : "must be an OpenAPI document");
    return undefined;
  }
  if (!isObject(doc.paths)) doc.paths = {};

  addEventRoutes(doc, events.filter((e) => e.api === logicalId), flavor, ctx);
  const resolved = (value: unknown, path: JsonPath) => resolveIntrinsics(value, ctx, issues, path);
  if (Array.isArray(props.BinaryMediaTypes)) {
    const types = resolved(props.BinaryMediaTypes, [...propsPath, "BinaryMediaTypes"]) as unknown[];
    doc["x-amazon-apigateway-binary-media-types"] = [...new Set([...((doc["x-amazon-apigateway-binary-media-types"] as unknown[]) ?? []), ...types])];
  }
  if (props.CorsConfiguration !== undefined) {
    const cors = resolved(props.CorsConfiguration, [...propsPath, "CorsConfiguration"]);
    if (cors === true) doc["x-amazon-apigateway-cors"] = { allowOrigins: ["*"], allowMethods: ["*"], allowHeaders: ["*"] };
    else if (isObject(cors)) doc["x-amazon-apigateway-cors"] = lowerFirstKeys(cors);
  }
  if (props.Auth !== undefined) samAuth(doc, resolved(props.Auth, [...propsPath, "Auth"]), flavor, type, [...propsPath, "Auth"], issues);

  const domainRouting = templateRouting(logicalId, ctx, issues);
  return {
    logicalId,
    doc,
    docPath,
    flavor,
    ...(typeof props.Name === "string" ? { name: props.Name } : {}),
    stages: stagesOf(logicalId, type, props, resources, ctx, issues),
    functionIds,
    ...(domainRouting ? { domainRouting } : {}),
  };
}

function describeGuard(key: string): string {
  switch (key) {
    case "Auth":
      return "SAM's Auth protects the routes on Amazon (authorizers, API keys, resource policies); describe them in the definition body";
    case "EndpointConfiguration":
      return "the endpoint type (a PRIVATE API is reachable only from VPC endpoints; Portico serves the public internet)";
    case "DisableExecuteApiEndpoint":
      return "Amazon serves this API only on its custom domains; Portico also serves /<stage>/… on the Worker's own host names";
    default:
      return "it decides who may call the API";
  }
}


/** Portico stage names are `[A-Za-z0-9][A-Za-z0-9_-]*`: HTTP APIs' `$default` becomes `default`. */
function stageName(name: string, path: JsonPath, issues: Issues): string {
  if (name !== "$default") return name;
  issues.warn(path, "the $default stage, which Amazon serves at the root, is stage default in Portico (/default/…; map a custom domain to it to serve the root)");
  return "default";
}

function stagesOf(
  logicalId: string,
  type: string,
  props: Record<string, unknown>,
  resources: TemplateContext["resources"],
  ctx: TemplateContext,
  issues: Issues,
): TemplateStage[] {
  const stages: TemplateStage[] = [];
  const variables = (value: unknown, path: JsonPath): Record<string, string> => {
    const resolved = resolveIntrinsics(value, ctx, issues, path);
    if (!isObject(resolved)) return {};
    return Object.fromEntries(Object.entries(resolved).filter(([, v]) => typeof v === "string" || typeof v === "number").map(([k, v]) => [k, String(v)]));
  };
  const propsPath = ["Resources", logicalId, "Properties"];
  if (type.startsWith("AWS::Serverless::")) {
    const name = typeof props.StageName === "string" ? props.StageName : type === "AWS::Serverless::HttpApi" ? "$default" : undefined;
    const vars = props.Variables ?? props.StageVariables;
    if (name) stages.push({ name: stageName(name, [...propsPath, "StageName"], issues), variables: vars ? variables(vars, [...propsPath, props.Variables ? "Variables" : "StageVariables"]) : {}, path: [...propsPath, "StageName"] });
  }
  for (const [id, r] of Object.entries(resources)) {
    if (r?.Type !== "AWS::ApiGateway::Stage" && r?.Type !== "AWS::ApiGatewayV2::Stage") continue;
    const p = (isObject(r.Properties) ? r.Properties : {}) as Record<string, unknown>;
    const apiRef = r.Type === "AWS::ApiGateway::Stage" ? p.RestApiId : p.ApiId;
    if (!isObject(apiRef) || apiRef.Ref !== logicalId || typeof p.StageName !== "string") continue;
    const path = ["Resources", id, "Properties"];
    const varsKey = r.Type === "AWS::ApiGateway::Stage" ? "Variables" : "StageVariables";
    stages.push({ name: stageName(p.StageName, [...path, "StageName"], issues), variables: p[varsKey] ? variables(p[varsKey], [...path, varsKey]) : {}, path: [...path, "StageName"] });
    for (const key of Object.keys(p))
      if (!["RestApiId", "ApiId", "StageName", "Variables", "StageVariables", "DeploymentId", "Description", "AutoDeploy"].includes(key))
        issues.warn([...path, key], "not carried over (stage settings: set throttles and the cache in the definition's stages)");
  }
  return stages;
}
