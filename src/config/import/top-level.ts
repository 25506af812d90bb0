/**
 * An export's API-wide extensions: binary media types, the API key source, CORS, gateway responses, the resource
 * policy, the endpoint configuration, compression and documentation (the last two listed, not carried).
 */
import { isObject } from "../field-errors.ts";
import type { ApiDefinition } from "../types.ts";
import { convertGatewayResponses } from "./gateway-responses.ts";
import type { Issues, JsonPath, SourceMap } from "./issues.ts";
import { convertPolicy } from "./policy.ts";

/** Amazon's extensions this converter reads at the top of a document (the rest are listed as unknown). */
const TOP_EXTENSIONS = new Set([
  "x-amazon-apigateway-binary-media-types", "x-amazon-apigateway-api-key-source", "x-amazon-apigateway-cors", "x-amazon-apigateway-gateway-responses",
  "x-amazon-apigateway-policy", "x-amazon-apigateway-endpoint-configuration", "x-amazon-apigateway-minimum-compression-size",
  "x-amazon-apigateway-documentation", "x-amazon-apigateway-importexport-version", "x-amazon-apigateway-request-validators",
  "x-amazon-apigateway-request-validator", "x-amazon-apigateway-tag-value",
]);

export interface TopLevelContext {
  doc: Record<string, unknown>;
  issues: Issues;
  origin: SourceMap;
}

/** The API-wide extensions. */
export function topLevel(definition: ApiDefinition, ctx: TopLevelContext): void {
  const { doc, issues, origin } = ctx;
  const abs = (...p: JsonPath) => [...issues.base, ...p];
  for (const key of Object.keys(doc))
    if (key.startsWith("x-amazon-apigateway-") && !TOP_EXTENSIONS.has(key)) issues.warn([key], "unknown extension: not carried over");
  if (isObject(doc.components))
    for (const key of Object.keys(doc.components))
      if (key.startsWith("x-amazon-apigateway-") && key !== "x-amazon-apigateway-integrations") issues.warn(["components", key], "unknown extension: not carried over");

  const settings: NonNullable<ApiDefinition["settings"]> = {};
  const binary = doc["x-amazon-apigateway-binary-media-types"];
  if (Array.isArray(binary)) {
    settings.binaryMediaTypes = binary.filter((t): t is string => typeof t === "string").map((t) => t.replace(/~1/g, "/"));
    origin.set(["settings", "binaryMediaTypes"], abs("x-amazon-apigateway-binary-media-types"));
  }
  const keySource = doc["x-amazon-apigateway-api-key-source"];
  if (keySource !== undefined) {
    if (keySource === "HEADER" || keySource === "AUTHORIZER") settings.apiKeySource = keySource;
    else issues.error(["x-amazon-apigateway-api-key-source"], "must be HEADER or AUTHORIZER");
    origin.set(["settings", "apiKeySource"], abs("x-amazon-apigateway-api-key-source"));
  }
  if (Object.keys(settings).length) definition.settings = settings;

  const cors = doc["x-amazon-apigateway-cors"];
  if (isObject(cors)) {
    const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : undefined);
    definition.cors = { allowOrigins: list(cors.allowOrigins) ?? [] };
    for (const key of ["allowMethods", "allowHeaders", "exposeHeaders"] as const) {
      const l = list(cors[key]);
      if (l?.length) definition.cors[key] = l;
    }
    if (typeof cors.maxAge === "number") definition.cors.maxAge = cors.maxAge;
    if (typeof cors.allowCredentials === "boolean") definition.cors.allowCredentials = cors.allowCredentials;
    for (const key of Object.keys(cors))
      if (!["allowOrigins", "allowMethods", "allowHeaders", "exposeHeaders", "maxAge", "allowCredentials"].includes(key)) issues.warn(["x-amazon-apigateway-cors", key], "not carried over: a CORS field Portico does not know");
    origin.set(["cors"], abs("x-amazon-apigateway-cors"));
  }

  const responses = convertGatewayResponses(doc["x-amazon-apigateway-gateway-responses"], ["x-amazon-apigateway-gateway-responses"], issues);
  if (responses) {
    definition.gatewayResponses = responses;
    origin.set(["gatewayResponses"], abs("x-amazon-apigateway-gateway-responses"));
  }

  if (doc["x-amazon-apigateway-policy"] !== undefined) {
    const policy = convertPolicy(doc["x-amazon-apigateway-policy"], definition.routes, ["x-amazon-apigateway-policy"], issues);
    if (policy) definition.resourcePolicy = policy;
    origin.set(["resourcePolicy"], abs("x-amazon-apigateway-policy"));
  }

  const endpoints: [unknown, JsonPath][] = [[doc["x-amazon-apigateway-endpoint-configuration"], ["x-amazon-apigateway-endpoint-configuration"]]];
  if (Array.isArray(doc.servers)) doc.servers.forEach((s, i) => isObject(s) && endpoints.push([s["x-amazon-apigateway-endpoint-configuration"], ["servers", i, "x-amazon-apigateway-endpoint-configuration"]]));
  for (const [config, at] of endpoints) {
    if (!isObject(config)) continue;
    if (Array.isArray(config.vpcEndpointIds) && config.vpcEndpointIds.length)
      issues.error([...at, "vpcEndpointIds"], "a private API (reachable only from VPC endpoints): Portico serves the public internet, so it would be open to anyone");
    if (config.disableExecuteApiEndpoint === true)
      issues.warn([...at, "disableExecuteApiEndpoint"], "Amazon serves this API only on its custom domains; Portico also serves /<stage>/… on the Worker's own host names");
  }
  if (doc["x-amazon-apigateway-minimum-compression-size"] !== undefined)
    issues.warn(["x-amazon-apigateway-minimum-compression-size"], "not carried over: Cloudflare compresses responses for clients that accept it");
  if (doc["x-amazon-apigateway-documentation"] !== undefined)
    issues.warn(["x-amazon-apigateway-documentation"], "not carried over: documentation parts (Portico serves the API, it does not publish its documentation)");
}
