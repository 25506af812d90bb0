/**
 * An OpenAPI document (Swagger 2.0 or OpenAPI 3.0, as Amazon exports and imports them) → a Portico definition:
 * paths and methods (`x-amazon-apigateway-any-method`, HTTP APIs' `$default`) → routes; each method's integration,
 * protection and request validation; the API-wide extensions (gateway responses, binary media types, API key
 * source, CORS, resource policy, endpoint configuration …). The pieces live beside this file, one job each.
 */
import { isObject } from "../field-errors.ts";
import type { ApiDefinition, DomainRoutingDefinition, Flavor, RouteDefinition, StageDefinition } from "../types.ts";
import { DEFAULT_ROUTE, parseRouteKey } from "../../routing/route-key.ts";
import { convertIntegration, type IntegrationContext } from "./integration.ts";
import type { Issues, JsonPath, SourceMap } from "./issues.ts";
import { convertModels, type ModelSet } from "./models.ts";
import type { ImportOptions } from "./options.ts";
import { resolveLocal } from "./refs.ts";
import { applyResidue, RESIDUE_KEY } from "./residue.ts";
import { convertSchemes, routeSecurity, type SecuritySet } from "./security.ts";
import type { TemplateStage } from "./template.ts";
import { topLevel } from "./top-level.ts";
import { validationOf } from "./validation.ts";

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
