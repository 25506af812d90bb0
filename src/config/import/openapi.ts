/**
 * An OpenAPI document (Swagger 2.0 or OpenAPI 3.0, as Amazon exports and imports them) → a Portico definition:
 * paths and methods (`x-amazon-apigateway-any-method`, HTTP APIs' `$default`) → routes; each method's integration,
 * protection and request validation; the API-wide extensions (gateway responses, binary media types, API key
 * source, CORS, resource policy, endpoint configuration …). The pieces live beside this file, one job each.
 */
import { isObject } from "../field-errors.ts";
import type { ApiDefinition, DomainRoutingDefinition, Flavor, RouteDefinition, StageDefinition, ValidateDefinition } from "../types.ts";
import { DEFAULT_ROUTE, parseRouteKey } from "../../routing/route-key.ts";
import { convertGatewayResponses } from "./gateway-responses.ts";
import { convertIntegration, type IntegrationContext } from "./integration.ts";
import type { Issues, JsonPath, SourceMap } from "./issues.ts";
import { convertModels, routeSchema, type ModelSet } from "./models.ts";
import type { ImportOptions } from "./options.ts";
import { convertPolicy } from "./policy.ts";
import { applyResidue, RESIDUE_KEY } from "./residue.ts";
import { convertSchemes, routeSecurity, type SecuritySet } from "./security.ts";
import type { TemplateStage } from "./template.ts";

export interface DocumentInput {
  doc: Record<string, unknown>;
  options: ImportOptions;
  /** Issues are collected relative to the document (their base is its place in a template). */
  issues: Issues;
  origin: SourceMap;
  /** From a template: the resource's type, name and stages, and its functions' logical ids. */
  flavor?: Flavor;
  name?: string;
  stages?: TemplateStage[];
  functionIds?: ReadonlyMap<string, string>;
  /** From a template: its routing rules for this API. */
  domainRouting?: Record<string, DomainRoutingDefinition>;
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch"];
const ANY = "x-amazon-apigateway-any-method";
const PATH_ITEM_FIELDS = new Set(["parameters", "summary", "description", "servers", "$ref", ...METHODS, ANY, "trace"]);
/** Amazon's extensions this converter reads at the top of a document (the rest are listed as unknown). */
const TOP_EXTENSIONS = new Set([
  "x-amazon-apigateway-binary-media-types", "x-amazon-apigateway-api-key-source", "x-amazon-apigateway-cors", "x-amazon-apigateway-gateway-responses",
  "x-amazon-apigateway-policy", "x-amazon-apigateway-endpoint-configuration", "x-amazon-apigateway-minimum-compression-size",
  "x-amazon-apigateway-documentation", "x-amazon-apigateway-importexport-version", "x-amazon-apigateway-request-validators",
  "x-amazon-apigateway-request-validator", "x-amazon-apigateway-tag-value",
]);
const OPERATION_EXTENSIONS = new Set(["x-amazon-apigateway-integration", "x-amazon-apigateway-auth", "x-amazon-apigateway-request-validator", "isDefaultRoute"]);

interface Context {
  doc: Record<string, unknown>;
  flavor: Flavor;
  issues: Issues;
  origin: SourceMap;
  models: ModelSet;
  security: SecuritySet;
  integration: IntegrationContext;
}

export function convertDocument(input: DocumentInput): ApiDefinition {
  const { doc, options, issues, origin } = input;
  const portico = isObject(doc[RESIDUE_KEY]) ? (doc[RESIDUE_KEY] as Record<string, unknown>) : undefined;
  const flavor: Flavor = options.flavor ?? (portico?.flavor === "http" || portico?.flavor === "rest" ? portico.flavor : undefined) ?? input.flavor ?? detectFlavor(doc);
  const functionIds = input.functionIds ?? new Map<string, string>();
  const reported = new Set<string>();
  const at = (...p: JsonPath) => [...issues.base, ...p];

  const models = convertModels(doc, issues);
  const security = convertSchemes(doc, { flavor, options, issues, functionIds, reported });
  const ctx: Context = { doc, flavor, issues, origin, models, security, integration: { flavor, options, issues, functionIds, reported } };

  const routes: Record<string, RouteDefinition> = {};
  const paths = isObject(doc.paths) ? doc.paths : {};
  if (!isObject(doc.paths)) issues.error(["paths"], "required: the routes of the API");
  for (const [path, rawItem] of Object.entries(paths)) {
    if (path.startsWith("x-")) {
      if (path.startsWith("x-amazon-apigateway-")) issues.warn(["paths", path], "unknown extension: not carried over");
      continue;
    }
    const item = resolveLocal(rawItem, doc);
    if (!isObject(item)) continue;
    for (const [key, op] of Object.entries(item)) {
      if (!PATH_ITEM_FIELDS.has(key)) {
        if (key.startsWith("x-amazon-apigateway-")) issues.warn(["paths", path, key], "unknown extension: not carried over");
        continue;
      }
      if (key === "trace") issues.error(["paths", path, key], "TRACE is not a method Portico routes (nor one Amazon supports)");
      if ((!METHODS.includes(key) && key !== ANY) || !isObject(op)) continue;
      const isDefault = path === DEFAULT_ROUTE || path === `/${DEFAULT_ROUTE}` || (key === ANY && op.isDefaultRoute === true);
      const routeKey = isDefault ? DEFAULT_ROUTE : `${key === ANY ? "ANY" : key.toUpperCase()} ${path}`;
      const route = convertOperation(op, routeKey, item, ["paths", path, key], ctx);
      if (route) routes[routeKey] = route;
    }
  }

  if (documentationOnly(paths))
    issues.warn(["paths"], "method requests and responses as declarations (parameters no validator checks, responses with their headers and models), operationIds and tags are documentation to Portico, which needs no declaration to map or return them: not carried over");

  const definition: ApiDefinition = {
    name: options.name ?? input.name ?? apiName(doc),
    flavor,
    stages: stagesOf(doc, input, issues),
    routes,
  };
  origin.set(["name"], at("info", "title"));
  if (isObject(doc.info) && typeof doc.info.description === "string" && doc.info.description.trim()) {
    definition.description = doc.info.description.slice(0, 1024);
    if (doc.info.description.length > 1024) issues.warn(["info", "description"], "longer than Portico's 1024 characters: cut");
  }
  if (input.domainRouting) definition.domainRouting = input.domainRouting;
  if (Object.keys(models.models).length) {
    definition.models = models.models;
    origin.set(["models"], at(...models.at));
  }
  if (Object.keys(security.authorizers).length) {
    definition.authorizers = security.authorizers;
    for (const name of Object.keys(security.authorizers)) origin.set(["authorizers", name], at(...security.at, name, "x-amazon-apigateway-authorizer"));
  }
  topLevel(definition, ctx);
  // A Portico export's top-level x-portico is about the API's own fields; routes and authorizers carry their own.
  const { routes: converted, authorizers, ...top } = definition;
  const api = applyResidue(top, portico) as Omit<ApiDefinition, "routes">;
  return { ...api, ...(authorizers ? { authorizers } : {}), routes: converted };
}

/** Whether any operation declares method responses, an operationId or tags (Amazon's API model; Portico's docs). */
function documentationOnly(paths: Record<string, unknown>): boolean {
  return Object.values(paths).some(
    (item) => isObject(item) && Object.values(item).some((op) => isObject(op) && ((isObject(op.responses) && Object.keys(op.responses).length > 0) || op.operationId !== undefined || op.tags !== undefined)),
  );
}

/** rest, unless the document has what only HTTP APIs have. */
function detectFlavor(doc: Record<string, unknown>): Flavor {
  if (doc.swagger !== undefined) return "rest";
  const text = JSON.stringify(doc);
  if (doc["x-amazon-apigateway-cors"] !== undefined || (isObject(doc.components) && doc.components["x-amazon-apigateway-integrations"] !== undefined)) return "http";
  if (/"payloadFormatVersion"|"isDefaultRoute"|"authorizerPayloadFormatVersion"|"integrationSubtype"|"type":"jwt"/.test(text)) return "http";
  if (isObject(doc.paths) && Object.hasOwn(doc.paths, DEFAULT_ROUTE)) return "http";
  return "rest";
}

/** `info.title` as an API name: lower-case letters, digits and hyphens. */
function apiName(doc: Record<string, unknown>): string {
  const title = isObject(doc.info) && typeof doc.info.title === "string" ? doc.info.title : "";
  const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63).replace(/-+$/, "");
  return slug || "imported-api";
}

/** Follows a local `$ref` (`#/…`) once; anything else is returned as it is. */
function resolveLocal(node: unknown, doc: Record<string, unknown>): unknown {
  if (!isObject(node) || typeof node.$ref !== "string" || !node.$ref.startsWith("#/")) return node;
  let target: unknown = doc;
  for (const raw of node.$ref.slice(2).split("/")) {
    const part = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (!isObject(target) || !Object.hasOwn(target, part)) return undefined;
    target = target[part];
  }
  return target;
}

function convertOperation(op: Record<string, unknown>, routeKey: string, item: Record<string, unknown>, opAt: JsonPath, ctx: Context): RouteDefinition | undefined {
  const { issues, origin } = ctx;
  const abs = (p: JsonPath) => [...issues.base, ...p];
  const parsed = parseRouteKey(routeKey);
  if ("error" in parsed) {
    issues.error(opAt.slice(0, 2), `${parsed.error}: the route is not carried over`);
    return undefined;
  }
  if (routeKey === DEFAULT_ROUTE && ctx.flavor !== "http") {
    issues.error(opAt, "$default is an HTTP API route; in a REST API use ANY /{proxy+}");
    return undefined;
  }
  for (const key of Object.keys(op))
    if (key.startsWith("x-amazon-apigateway-") && !OPERATION_EXTENSIONS.has(key)) issues.warn([...opAt, key], "unknown extension: not carried over");

  const rawIntegration = op["x-amazon-apigateway-integration"];
  let integrationAt: JsonPath = [...opAt, "x-amazon-apigateway-integration"];
  let integration = rawIntegration;
  if (isObject(rawIntegration) && typeof rawIntegration.$ref === "string") {
    integration = resolveLocal(rawIntegration, ctx.doc);
    if (!isObject(integration)) {
      issues.error([...integrationAt, "$ref"], `${rawIntegration.$ref} points to nothing in this document: the route is not carried over`);
      return undefined;
    }
    integrationAt = rawIntegration.$ref.slice(2).split("/").map((p) => decodeURIComponent(p).replace(/~1/g, "/").replace(/~0/g, "~"));
  }
  if (!isObject(integration)) {
    if (!isObject(op[RESIDUE_KEY]))
      issues.warn(opAt, "no x-amazon-apigateway-integration: Amazon serves nothing for this method, and neither does Portico");
    return residueRoute(op);
  }
  const converted = convertIntegration(integration, integrationAt, ctx.integration);
  if (!converted) return residueRoute(op);
  const protection = routeSecurity(op, ctx.doc.security, ctx.security, opAt, { flavor: ctx.flavor, options: ctx.integration.options, issues, functionIds: ctx.integration.functionIds, reported: ctx.integration.reported });
  if (!protection) return residueRoute(op);
  const validation = ctx.flavor === "rest" ? validationOf(op, item, opAt, ctx) : {};
  if (!validation) return residueRoute(op);

  const route: RouteDefinition = { integration: converted.integration, ...protection };
  if (validation.validate) route.validate = validation.validate;
  const description = typeof op.summary === "string" ? op.summary : typeof op.description === "string" ? op.description : undefined;
  if (description?.trim()) route.description = description.slice(0, 1024);
  if (converted.cacheKeys.length) route.cache = { keys: converted.cacheKeys };
  origin.set(["routes", routeKey], abs(opAt));
  origin.set(["routes", routeKey, "integration"], abs(integrationAt));
  return applyResidue(route, op[RESIDUE_KEY]);
}

/** A route only a Portico export's `x-portico` describes (Amazon's extensions cannot): taken whole, else nothing. */
function residueRoute(op: Record<string, unknown>): RouteDefinition | undefined {
  const residue = op[RESIDUE_KEY];
  return isObject(residue) && residue.$replace === true ? applyResidue<RouteDefinition>(undefined, residue) : undefined;
}

/**
 * Request validation as Amazon does it: only with a request validator (the operation's
 * `x-amazon-apigateway-request-validator`, else the document's), whose `validateRequestParameters` checks the
 * required headers and query strings and `validateRequestBody` the JSON body's model. undefined: it cannot be
 * carried (the route is then left out, never served unvalidated).
 */
function validationOf(op: Record<string, unknown>, item: Record<string, unknown>, opAt: JsonPath, ctx: Context): { validate?: ValidateDefinition } | undefined {
  const { doc, issues } = ctx;
  const name = op["x-amazon-apigateway-request-validator"] ?? doc["x-amazon-apigateway-request-validator"];
  if (name === undefined) return {};
  const nameAt = op["x-amazon-apigateway-request-validator"] !== undefined ? [...opAt, "x-amazon-apigateway-request-validator"] : ["x-amazon-apigateway-request-validator"];
  const validators = isObject(doc["x-amazon-apigateway-request-validators"]) ? doc["x-amazon-apigateway-request-validators"] : {};
  const validator = typeof name === "string" ? validators[name] : undefined;
  if (!isObject(validator)) {
    issues.error(nameAt, `no request validator ${JSON.stringify(name)} in x-amazon-apigateway-request-validators: the route is not carried over`);
    return undefined;
  }
  const validate: ValidateDefinition = {};
  if (validator.validateRequestParameters === true) {
    const headers: string[] = [];
    const query: string[] = [];
    for (const p of parameters(op, item, opAt, ctx)) {
      if (p.required !== true || typeof p.name !== "string") continue;
      if (p.in === "header") headers.push(p.name);
      else if (p.in === "query") query.push(p.name);
    }
    if (headers.length) validate.headers = headers;
    if (query.length) validate.query = query;
  }
  if (validator.validateRequestBody === true) {
    const body = bodySchema(op, opAt, ctx);
    if (body === null) return undefined;
    if (body) validate.body = body;
  }
  return Object.keys(validate).length ? { validate } : {};
}

/** The operation's parameters over its path item's (same name and place: the operation's wins), `$ref`s followed. */
function parameters(op: Record<string, unknown>, item: Record<string, unknown>, opAt: JsonPath, ctx: Context): Record<string, unknown>[] {
  const byKey = new Map<string, Record<string, unknown>>();
  const add = (list: unknown, at: JsonPath) => {
    if (!Array.isArray(list)) return;
    list.forEach((raw, i) => {
      const p = resolveLocal(raw, ctx.doc);
      if (!isObject(p)) {
        ctx.issues.error([...at, i], isObject(raw) && typeof raw.$ref === "string" ? `${raw.$ref} points to nothing in this document` : "not a parameter");
        return;
      }
      byKey.set(`${p.in}:${String(p.name).toLowerCase()}`, p);
    });
  };
  add(item.parameters, opAt.slice(0, 2).concat("parameters"));
  add(op.parameters, [...opAt, "parameters"]);
  return [...byKey.values()];
}

/** The JSON body's schema (a model name or an inline schema); undefined: none; null: one that cannot be carried. */
function bodySchema(op: Record<string, unknown>, opAt: JsonPath, ctx: Context): string | Record<string, unknown> | undefined | null {
  const { doc, issues } = ctx;
  if (doc.swagger !== undefined) {
    const list = Array.isArray(op.parameters) ? op.parameters : [];
    const index = list.findIndex((p) => isObject(resolveLocal(p, doc)) && (resolveLocal(p, doc) as Record<string, unknown>).in === "body");
    if (index < 0) return undefined;
    const schema = (resolveLocal(list[index], doc) as Record<string, unknown>).schema;
    if (schema === undefined) return undefined;
    return routeSchema(schema, doc, ctx.models, [...opAt, "parameters", index, "schema"], issues) ?? null;
  }
  const body = resolveLocal(op.requestBody, doc);
  if (!isObject(body) || !isObject(body.content)) return undefined;
  const content = body.content as Record<string, unknown>;
  const json = Object.keys(content).find((t) => /^application\/(?:[\w.+-]+\+)?json$/i.test(t));
  for (const other of Object.keys(content))
    if (other !== json && isObject(content[other]) && (content[other] as Record<string, unknown>).schema !== undefined)
      issues.warn([...opAt, "requestBody", "content", other], "not carried over: Portico validates JSON bodies (and answers 415 to other content types on a validated route)");
  if (!json || !isObject(content[json]) || (content[json] as Record<string, unknown>).schema === undefined) return undefined;
  return routeSchema((content[json] as Record<string, unknown>).schema, doc, ctx.models, [...opAt, "requestBody", "content", json, "schema"], issues) ?? null;
}

/** Stages: the import's (flags, mapping), else the template's, else the export's base path, else `prod`. */
function stagesOf(doc: Record<string, unknown>, input: DocumentInput, issues: Issues): Record<string, StageDefinition> {
  const variables = input.options.stageVariables;
  const stage = (own: Record<string, string> = {}): StageDefinition => {
    const merged = { ...own, ...variables };
    return Object.keys(merged).length ? { variables: merged } : {};
  };
  if (input.options.stages?.length) return Object.fromEntries(input.options.stages.map((s) => [s, stage()]));
  if (input.stages?.length) return Object.fromEntries(input.stages.map((s) => [s.name, stage(s.variables)]));
  const fromExport = exportStage(doc);
  if (fromExport) return { [fromExport]: stage() };
  if (!isObject(doc[RESIDUE_KEY])) issues.warn([], "the export names no stage: served as stage prod (--stage NAME chooses)");
  return { prod: stage() };
}

/** The stage an export was taken from: Swagger 2's `basePath`, or OpenAPI 3's `servers[0]` base path. */
function exportStage(doc: Record<string, unknown>): string | undefined {
  let base: unknown = doc.basePath;
  const server = Array.isArray(doc.servers) && isObject(doc.servers[0]) ? doc.servers[0] : undefined;
  if (server) {
    const variable = isObject(server.variables) && isObject(server.variables.basePath) ? server.variables.basePath.default : undefined;
    base = variable ?? (typeof server.url === "string" ? /^[a-z]+:\/\/[^/]+(\/.*)?$/.exec(server.url)?.[1] : undefined);
  }
  const name = typeof base === "string" ? base.replace(/^\/+|\/+$/g, "") : "";
  return /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(name) ? name : undefined;
}

/** The API-wide extensions. */
function topLevel(definition: ApiDefinition, ctx: Context): void {
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
