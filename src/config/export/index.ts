/**
 * `portico export`: a Portico definition as an OpenAPI 3.0 document with Amazon's extensions — what Amazon API
 * Gateway (or any tool that reads its exports) understands — and, beside them, `x-portico` objects holding exactly
 * what those extensions cannot say (import/residue.ts). The residues are computed by importing the Amazon-only
 * document and comparing, so import → export → import gives back the same API by construction, and the
 * round-trip test checks it over every fixture and the example API.
 */
import { isObject } from "../field-errors.ts";
import { importApi } from "../import/index.ts";
import { PORTICO_DEFAULT_DRAFT } from "../import/models.ts";
import { computeResidue, RESIDUE_KEY } from "../import/residue.ts";
import type { ApiDefinition, Flavor, RouteDefinition } from "../types.ts";
import { DEFAULT_ROUTE, parseRouteKey, type ParsedRouteKey } from "../../routing/route-key.ts";
import { amazonIntegration, cacheKeyParameters } from "./integration.ts";
import { API_KEY_SCHEME, apiKeyScheme, securityScheme } from "./security.ts";

const VALIDATORS = {
  all: { validateRequestBody: true, validateRequestParameters: true },
  "params-only": { validateRequestBody: false, validateRequestParameters: true },
  "body-only": { validateRequestBody: true, validateRequestParameters: false },
} as const;

/**
 * The definition (already valid) as an OpenAPI 3.0.1 document. A WebSocket API throws: Amazon's OpenAPI exports and
 * extensions describe REST and HTTP APIs only, so there is nothing lossless to write (the CLI says so, exit 2).
 */
export function exportApi(def: ApiDefinition): Record<string, unknown> {
  if (def.flavor === "websocket") throw new Error("a WebSocket API (flavor: websocket) cannot be exported as OpenAPI");
  const { doc, operations, schemes } = amazonDocument(def);
  const derived = importApi(structuredClone(doc)).definition;
  // The API's own fields (routes and authorizers carry theirs).
  const { routes: _r, authorizers: _a, ...top } = def;
  const { routes: _dr, authorizers: _da, ...derivedTop } = derived ?? ({} as Partial<ApiDefinition>);
  const residue = computeResidue({ flavor: def.flavor ?? "rest", ...top } as Record<string, unknown>, derivedTop as Record<string, unknown>);
  if (residue) doc[RESIDUE_KEY] = residue;
  for (const [name, scheme] of schemes) {
    const r = computeResidue(def.authorizers![name] as unknown as Record<string, unknown>, derived?.authorizers?.[name] as Record<string, unknown> | undefined);
    if (r) scheme[RESIDUE_KEY] = r;
  }
  for (const [key, op] of operations) {
    const r = computeResidue(def.routes[key] as unknown as Record<string, unknown>, derived?.routes[normalKey(key)] as Record<string, unknown> | undefined);
    if (r) op[RESIDUE_KEY] = r;
  }
  return doc;
}

function normalKey(key: string): string {
  const p = parseRouteKey(key) as ParsedRouteKey;
  return p.path === DEFAULT_ROUTE ? DEFAULT_ROUTE : `${p.method} ${p.path}`;
}

/** Model references as OpenAPI's, and a marker on schemas with Portico's default draft (Amazon's is draft 4). */
function schemaOut(schema: unknown, top = true): unknown {
  if (Array.isArray(schema)) return schema.map((s) => schemaOut(s, false));
  if (!isObject(schema)) return schema;
  const out: Record<string, unknown> = {};
  if (top && schema.$schema === undefined) out[PORTICO_DEFAULT_DRAFT] = true;
  for (const [k, v] of Object.entries(schema))
    out[k] = k === "$ref" && typeof v === "string" ? v.replace(/^#\/models\//, "#/components/schemas/") : schemaOut(v, false);
  return out;
}

function amazonDocument(def: ApiDefinition) {
  const flavor: Flavor = def.flavor ?? "rest";
  const operations = new Map<string, Record<string, unknown>>();
  const schemes = new Map<string, Record<string, unknown>>();
  const paths: Record<string, Record<string, unknown>> = {};
  const validators = new Set<keyof typeof VALIDATORS>();
  let apiKeys = false;

  for (const [key, route] of Object.entries(def.routes)) {
    const parsed = parseRouteKey(key) as ParsedRouteKey;
    const path = parsed.path === DEFAULT_ROUTE ? DEFAULT_ROUTE : parsed.path;
    const method = parsed.path === DEFAULT_ROUTE || parsed.method === "ANY" ? "x-amazon-apigateway-any-method" : parsed.method.toLowerCase();
    const op = operation(route, parsed, flavor, validators);
    if (parsed.path === DEFAULT_ROUTE) op.isDefaultRoute = true;
    if (route.apiKeyRequired) apiKeys = true;
    (paths[path] ??= {})[method] = op;
    operations.set(key, op);
  }

  const doc: Record<string, unknown> = {
    openapi: "3.0.1",
    info: { title: def.name, version: "1.0", ...(def.description ? { description: def.description } : {}) },
    servers: [{ url: "/{basePath}", variables: { basePath: { default: Object.keys(def.stages)[0] ?? "prod" } } }],
    paths,
  };
  const components: Record<string, unknown> = {};
  if (def.models && Object.keys(def.models).length) components.schemas = Object.fromEntries(Object.entries(def.models).map(([n, s]) => [n, schemaOut(s)]));
  const securitySchemes: Record<string, unknown> = {};
  for (const [name, a] of Object.entries(def.authorizers ?? {})) {
    const scheme = securityScheme(a, flavor);
    securitySchemes[name] = scheme;
    schemes.set(name, scheme);
  }
  if (apiKeys) securitySchemes[API_KEY_SCHEME] = apiKeyScheme();
  if (Object.keys(securitySchemes).length) components.securitySchemes = securitySchemes;
  if (Object.keys(components).length) doc.components = components;

  if (validators.size) doc["x-amazon-apigateway-request-validators"] = Object.fromEntries([...validators].map((v) => [v, VALIDATORS[v]]));
  if (def.settings?.binaryMediaTypes) doc["x-amazon-apigateway-binary-media-types"] = def.settings.binaryMediaTypes;
  if (def.settings?.apiKeySource) doc["x-amazon-apigateway-api-key-source"] = def.settings.apiKeySource;
  if (def.cors) doc["x-amazon-apigateway-cors"] = def.cors;
  if (def.gatewayResponses) doc["x-amazon-apigateway-gateway-responses"] = gatewayResponses(def.gatewayResponses);
  if (def.resourcePolicy) doc["x-amazon-apigateway-policy"] = policy(def.resourcePolicy);
  return { doc, operations, schemes };
}

function operation(route: RouteDefinition, parsed: ParsedRouteKey, flavor: Flavor, validators: Set<keyof typeof VALIDATORS>): Record<string, unknown> {
  const op: Record<string, unknown> = {};
  if (route.description) op.summary = route.description;
  const parameters: Record<string, unknown>[] = parsed.segments.flatMap((s) => (s.kind === "static" ? [] : [{ name: s.name, in: "path", required: true, schema: { type: "string" } }]));
  const v = route.validate;
  for (const h of v?.headers ?? []) parameters.push({ name: h, in: "header", required: true, schema: { type: "string" } });
  for (const q of v?.query ?? []) parameters.push({ name: q, in: "query", required: true, schema: { type: "string" } });
  if (parameters.length) op.parameters = parameters;
  if (v?.body !== undefined) {
    const schema = typeof v.body === "string" ? { $ref: `#/components/schemas/${v.body}` } : schemaOut(v.body);
    op.requestBody = { required: true, content: { "application/json": { schema } } };
  }
  op.responses = {};
  const requirement: Record<string, string[]> = {};
  if (route.authorizer !== undefined) {
    const name = typeof route.authorizer === "string" ? route.authorizer : route.authorizer.name;
    requirement[name] = typeof route.authorizer === "string" ? [] : (route.authorizer.scopes ?? []);
  }
  if (route.apiKeyRequired) requirement[API_KEY_SCHEME] = [];
  op.security = Object.keys(requirement).length ? [requirement] : [];
  if (v && flavor === "rest") {
    const params = !!(v.headers?.length || v.query?.length);
    const body = v.body !== undefined;
    const name = params && body ? "all" : body ? "body-only" : "params-only";
    validators.add(name);
    op["x-amazon-apigateway-request-validator"] = name;
  }
  const integration = amazonIntegration(route.integration, flavor, cacheKeyParameters(route.cache?.keys));
  if (integration) op["x-amazon-apigateway-integration"] = integration;
  return op;
}

function gatewayResponses(responses: NonNullable<ApiDefinition["gatewayResponses"]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [type, r] of Object.entries(responses)) {
    if (!r) continue;
    const headers = Object.entries(r.headers ?? {});
    const contentType = headers.find(([h]) => h.toLowerCase() === "content-type")?.[1] ?? "application/json";
    const params = headers
      .filter(([h]) => h.toLowerCase() !== "content-type" || r.body === undefined)
      .map(([h, value]) => [`gatewayresponse.header.${h}`, /^\$(context|stageVariables)\.[A-Za-z0-9._-]+$/.test(value) ? value.slice(1) : `'${value}'`]);
    out[type] = {
      ...(r.status !== undefined ? { statusCode: String(r.status) } : {}),
      ...(params.length ? { responseParameters: Object.fromEntries(params) } : {}),
      ...(r.body !== undefined ? { responseTemplates: { [contentType]: r.body } } : {}),
    };
  }
  return out;
}

/** Portico's IP lists as an IAM resource policy (countries and ASNs have no IAM condition: x-portico carries them). */
function policy(p: NonNullable<ApiDefinition["resourcePolicy"]>): Record<string, unknown> {
  const statements: Record<string, unknown>[] = [];
  const invoke = { Principal: "*", Action: "execute-api:Invoke", Resource: ["execute-api:/*"] };
  if (p.allow?.ips?.length) statements.push({ Effect: "Allow", ...invoke, Condition: { IpAddress: { "aws:SourceIp": p.allow.ips } } });
  else statements.push({ Effect: "Allow", ...invoke });
  if (p.deny?.ips?.length) statements.push({ Effect: "Deny", ...invoke, Condition: { IpAddress: { "aws:SourceIp": p.deny.ips } } });
  return { Version: "2012-10-17", Statement: statements };
}
