/**
 * `x-amazon-apigateway-integration` → a Portico integration, with Amazon's field names kept wherever Portico has
 * them (requestTemplates, requestParameters, responses, passthroughBehavior, contentHandling): HTTP → `http`,
 * HTTP_PROXY → `http_proxy`, MOCK → `mock`, AWS_PROXY to Lambda → `service` with the Lambda proxy event (1.0 or
 * 2.0), AWS to Lambda → `service` with `payloadFormat: custom`, other AWS services, VPC links and response streaming
 * → issue15.ts (`aws`, `connectionType: VPC_LINK`, `responseTransferMode`). Lambda functions become service bindings
 * by the import's mapping (lambda.ts).
 */
import { isObject } from "../field-errors.ts";
import type { Flavor } from "../types.ts";
import type { IntegrationDefinition, IntegrationResponseDefinition } from "../integration-types.ts";
import { awsServiceIntegration, streaming, vpcLink } from "./issue15.ts";
import type { Issues, JsonPath } from "./issues.ts";
import { bindingFor, isAwsServiceUri, lambdaOf } from "./lambda.ts";
import type { ImportOptions } from "./options.ts";

export interface IntegrationContext {
  flavor: Flavor;
  options: ImportOptions;
  issues: Issues;
  /** Function name → template logical id (templates only). */
  functionIds: ReadonlyMap<string, string>;
  /** Lambda functions already reported as unmapped (each is reported once). */
  reported: Set<string>;
}

export interface ConvertedIntegration {
  integration: IntegrationDefinition;
  /** Cache-key parameters as route cache keys (`query.x`, `header.x`). */
  cacheKeys: string[];
}

/** Fields read here; any other is listed as not carried over. */
const KNOWN = new Set([
  "type", "uri", "httpMethod", "requestParameters", "requestTemplates", "responses", "passthroughBehavior", "contentHandling",
  "timeoutInMillis", "payloadFormatVersion", "connectionType", "connectionId", "credentials", "cacheKeyParameters", "cacheNamespace",
  "tlsConfig", "integrationSubtype", "responseParameters", "responseTransferMode", "$ref",
]);

const upper = (v: unknown) => (typeof v === "string" ? v.toUpperCase() : undefined);

export function convertIntegration(raw: Record<string, unknown>, at: JsonPath, ctx: IntegrationContext): ConvertedIntegration | undefined {
  const { issues } = ctx;
  const type = upper(raw.type);
  for (const key of Object.keys(raw)) if (!KNOWN.has(key)) issues.warn([...at, key], "not carried over: a field of the integration Portico does not know");
  const cacheKeys = cacheKeysOf(raw, at, issues);
  if (raw.cacheNamespace !== undefined) issues.warn([...at, "cacheNamespace"], "not needed: Portico keys the cache by route and the declared parameters");
  if (isObject(raw.tlsConfig)) {
    if (raw.tlsConfig.insecureSkipVerification === true)
      issues.warn([...at, "tlsConfig", "insecureSkipVerification"], "not carried over: Workers always verify the backend's certificate (a self-signed one fails with 504)");
    if (raw.tlsConfig.serverNameToVerify !== undefined) issues.warn([...at, "tlsConfig", "serverNameToVerify"], "not carried over: the certificate is verified for the URI's host");
  }

  const timeout = raw.timeoutInMillis;
  const timeoutMs = typeof timeout === "number" ? timeout : typeof timeout === "string" && /^\d+$/.test(timeout) ? Number(timeout) : undefined;
  if (timeout !== undefined && timeoutMs === undefined) issues.error([...at, "timeoutInMillis"], "must be a number of milliseconds");
  const common = timeoutMs !== undefined ? { timeoutMs } : {};
  const mapping = mappingFields(raw, at, issues);

  switch (type) {
    case "HTTP":
    case "HTTP_PROXY": {
      const kind = type === "HTTP" ? "http" : "http_proxy";
      const vpc = upper(raw.connectionType) === "VPC_LINK" ? vpcLink(raw, ctx.options.vpcLinks ?? {}, at, issues) : null;
      if (vpc === undefined) return undefined;
      const uri = httpUri(raw, at, ctx, vpc?.connectionId);
      if (uri === undefined) return undefined;
      const stream = streaming(raw, kind, kind === "http_proxy", at, issues);
      if (!stream) return undefined;
      const extra = vpc ?? {};
      const method = upper(raw.httpMethod);
      const base = { type: kind, uri, ...(method && method !== "ANY" ? { method } : {}), ...common, ...extra, ...stream };
      if (kind === "http") return { integration: { ...base, ...mapping } as IntegrationDefinition, cacheKeys };
      // Amazon ignores templates and integration responses on proxy integrations; so does Portico (they are refused).
      if (mapping.requestTemplates) issues.warn([...at, "requestTemplates"], "ignored, as Amazon ignores them on a proxy integration");
      if (mapping.responses && !onlyDefaultStatus(raw.responses)) issues.warn([...at, "responses"], "ignored, as Amazon ignores integration responses on a proxy integration");
      const responseParameters = httpResponseParameters(raw, at, ctx);
      return {
        integration: { ...base, ...(mapping.requestParameters ? { requestParameters: mapping.requestParameters } : {}), ...(responseParameters ? { responseParameters } : {}) } as IntegrationDefinition,
        cacheKeys,
      };
    }
    case "MOCK": {
      const { contentHandling, requestParameters, ...mock } = mapping;
      if (contentHandling) issues.warn([...at, "contentHandling"], "not carried over: a mock integration has no payload to convert");
      if (requestParameters) issues.warn([...at, "requestParameters"], "not carried over: a mock integration sends no request");
      return { integration: { type: "mock", ...mock } as IntegrationDefinition, cacheKeys };
    }
    case "AWS":
    case "AWS_PROXY": {
      const uri = typeof raw.uri === "string" ? raw.uri : undefined;
      const fn = uri ? lambdaOf(uri) : null;
      if (!fn) {
        if (uri !== undefined && !isAwsServiceUri(uri) && raw.integrationSubtype === undefined) {
          issues.error([...at, "uri"], `"${uri}" is neither a Lambda function nor an AWS service action or path`);
          return undefined;
        }
        if (uri === undefined && raw.integrationSubtype === undefined) {
          issues.error([...at, "uri"], raw.uri === undefined ? "required" : "an intrinsic function the import could not resolve: the integration is not carried over");
          return undefined;
        }
        const integration = awsServiceIntegration(raw, { ...mapping, ...common }, at, ctx);
        return integration && { integration, cacheKeys };
      }
      if (fn.qualifier?.includes("${")) {
        issues.error([...at, "uri"], `the function's alias comes from a stage variable (${fn.qualifier}): a service binding is fixed, so map each stage's function yourself`);
        return undefined;
      }
      const logicalId = ctx.functionIds.get(fn.name);
      const { binding, mapped } = bindingFor(fn, ctx.options.lambda ?? {}, logicalId);
      if (!mapped && !ctx.reported.has(fn.arn)) {
        ctx.reported.add(fn.arn);
        issues.warn([...at, "uri"], `Lambda function ${fn.name}${fn.qualifier ? `:${fn.qualifier}` : ""} is served by the service binding ${binding} (--lambda ${logicalId ?? fn.name}=BINDING to choose another); declare it in wrangler.toml`);
      }
      if (typeof raw.credentials === "string") issues.warn([...at, "credentials"], "not needed: Portico calls the Worker through its service binding, with no IAM role");
      const stream = streaming(raw, "service", type === "AWS_PROXY", at, issues);
      if (!stream) return undefined;
      if (type === "AWS_PROXY") {
        const version = raw.payloadFormatVersion === undefined ? (ctx.flavor === "http" ? "2.0" : "1.0") : String(raw.payloadFormatVersion) === "1" ? "1.0" : String(raw.payloadFormatVersion);
        if (version !== "1.0" && version !== "2.0") {
          issues.error([...at, "payloadFormatVersion"], `unknown payload format ${JSON.stringify(raw.payloadFormatVersion)} (1.0 or 2.0)`);
          return undefined;
        }
        if (mapping.requestTemplates) issues.warn([...at, "requestTemplates"], "ignored, as Amazon ignores them on a Lambda proxy integration");
        if (mapping.responses && !onlyDefaultStatus(raw.responses)) issues.warn([...at, "responses"], "ignored, as Amazon ignores integration responses on a Lambda proxy integration");
        if (mapping.requestParameters && ctx.flavor === "http") issues.warn([...at, "requestParameters"], "not carried over: HTTP APIs map parameters on HTTP proxy integrations");
        return {
          integration: {
            type: "service",
            service: binding,
            payloadFormat: version,
            ...common,
            ...(mapping.requestParameters && ctx.flavor === "rest" ? { requestParameters: mapping.requestParameters } : {}),
            ...stream,
          } as IntegrationDefinition,
          cacheKeys,
        };
      }
      return { integration: { type: "service", service: binding, payloadFormat: "custom", ...common, ...mapping, ...stream } as IntegrationDefinition, cacheKeys };
    }
    default:
      issues.error([...at, "type"], raw.type === undefined ? "required" : `unknown integration type ${JSON.stringify(raw.type)} (http, http_proxy, mock, aws or aws_proxy)`);
      return undefined;
  }
}

/**
 * The backend URI, with the import's `backends` replacements applied; undefined (and an error) when unusable. An HTTP
 * API's private integration names a load balancer listener or Cloud Map service by ARN: the binding (`vpcBinding`)
 * decides where requests go, so the URI becomes an origin naming it (HTTP APIs send the request's own path).
 */
function httpUri(raw: Record<string, unknown>, at: JsonPath, ctx: IntegrationContext, vpcBinding?: string): string | undefined {
  if (typeof raw.uri !== "string") {
    ctx.issues.error([...at, "uri"], raw.uri === undefined ? "required" : "an intrinsic function the import could not resolve: the integration is not carried over");
    return undefined;
  }
  if (vpcBinding && ctx.flavor === "http" && raw.uri.startsWith("arn:")) {
    const origin = `http://${vpcBinding.toLowerCase().replace(/_/g, "-").replace(/^-+/, "")}.internal`;
    ctx.issues.warn([...at, "uri"], `${raw.uri}: the load balancer or Cloud Map service is not carried over (the binding ${vpcBinding} decides where requests go); uri ${origin}`);
    return origin;
  }
  let uri = raw.uri;
  for (const [from, to] of Object.entries(ctx.options.backends ?? {}))
    if (uri.startsWith(from)) {
      uri = to + uri.slice(from.length);
      break;
    }
  if (!/^(https?:\/\/|\$\{stageVariables\.)/i.test(uri)) {
    const vpc = upper(raw.connectionType) === "VPC_LINK" ? " (a REST API's private integration names its backend by URL)" : "";
    ctx.issues.error([...at, "uri"], `"${raw.uri}" is not an http(s) URL${vpc}`);
    return undefined;
  }
  return uri;
}

/** Amazon's mapping fields, as Portico spells them (passthrough and content handling upper-cased). */
function mappingFields(raw: Record<string, unknown>, at: JsonPath, issues: Issues): Record<string, unknown> & {
  requestTemplates?: Record<string, string>;
  requestParameters?: Record<string, string>;
  responses?: Record<string, IntegrationResponseDefinition>;
  contentHandling?: string;
} {
  const out: Record<string, unknown> = {};
  const strings = (value: unknown, path: JsonPath): Record<string, string> | undefined => {
    if (value === undefined) return undefined;
    if (!isObject(value)) {
      issues.error(path, "must be a mapping");
      return undefined;
    }
    const map: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === "string") map[k] = v;
      else issues.error([...path, k], "must be a string (an intrinsic function the import could not resolve?)");
    }
    return Object.keys(map).length ? map : undefined;
  };
  const templates = strings(raw.requestTemplates, [...at, "requestTemplates"]);
  if (templates) out.requestTemplates = templates;
  const params = strings(raw.requestParameters, [...at, "requestParameters"]);
  if (params) out.requestParameters = params;
  const passthrough = upper(raw.passthroughBehavior);
  if (passthrough) out.passthroughBehavior = passthrough;
  const handling = upper(raw.contentHandling);
  if (handling) out.contentHandling = handling;
  if (isObject(raw.responses)) {
    const responses: Record<string, IntegrationResponseDefinition> = {};
    for (const [pattern, r] of Object.entries(raw.responses)) {
      if (!isObject(r)) continue;
      const here = [...at, "responses", pattern];
      const response: IntegrationResponseDefinition = { statusCode: typeof r.statusCode === "number" ? r.statusCode : String(r.statusCode ?? "") };
      const rt = strings(r.responseTemplates, [...here, "responseTemplates"]);
      if (rt) response.responseTemplates = rt;
      const rp = strings(r.responseParameters, [...here, "responseParameters"]);
      if (rp) response.responseParameters = rp;
      const ch = upper(r.contentHandling);
      if (ch) response.contentHandling = ch as IntegrationResponseDefinition["contentHandling"];
      for (const key of Object.keys(r))
        if (!["statusCode", "responseTemplates", "responseParameters", "contentHandling"].includes(key)) issues.warn([...here, key], "not carried over: a field of the integration response Portico does not know");
      responses[pattern] = response;
    }
    if (Object.keys(responses).length) out.responses = responses;
  }
  return out;
}

/** HTTP APIs' response parameter mapping (by backend status code), on http_proxy in the http flavour. */
function httpResponseParameters(raw: Record<string, unknown>, at: JsonPath, ctx: IntegrationContext): Record<string, Record<string, string>> | undefined {
  if (raw.responseParameters === undefined) return undefined;
  if (ctx.flavor !== "http" || !isObject(raw.responseParameters)) {
    ctx.issues.warn([...at, "responseParameters"], "not carried over: response parameter mapping by status code is the HTTP flavour's");
    return undefined;
  }
  const out: Record<string, Record<string, string>> = {};
  for (const [status, map] of Object.entries(raw.responseParameters))
    if (isObject(map)) out[status] = Object.fromEntries(Object.entries(map).filter(([, v]) => typeof v === "string")) as Record<string, string>;
  return out;
}

/** `responses: {default: {statusCode: "200"}}`: what Amazon's console writes on proxy integrations, meaning nothing. */
function onlyDefaultStatus(responses: unknown): boolean {
  if (!isObject(responses)) return true;
  const keys = Object.keys(responses);
  return keys.length === 0 || (keys.length === 1 && keys[0] === "default" && isObject(responses.default) && Object.keys(responses.default).every((k) => k === "statusCode"));
}

/** `cacheKeyParameters` as route cache keys: query strings and headers (the path is always in Portico's key). */
function cacheKeysOf(raw: Record<string, unknown>, at: JsonPath, issues: Issues): string[] {
  if (!Array.isArray(raw.cacheKeyParameters)) return [];
  const keys: string[] = [];
  raw.cacheKeyParameters.forEach((p, i) => {
    const m = typeof p === "string" ? /^method\.request\.(querystring|header|path)\.(.+)$/.exec(p) : null;
    if (!m) issues.warn([...at, "cacheKeyParameters", i], "not carried over: Portico's cache keys are query-string parameters and headers");
    else if (m[1] === "querystring") keys.push(`query.${m[2]}`);
    else if (m[1] === "header") keys.push(`header.${m[2]}`);
    // Path parameters: Portico always keys on the full path.
  });
  return keys;
}
