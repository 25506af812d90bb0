/**
 * Amazon API Gateway's documented quotas ("Quotas for configuring and running a REST API / an HTTP API", and the
 * important notes), as `validate` errors in Amazon's words wherever Portico has the concept, so a definition that
 * works here also fits Amazon's limits. The quotas Amazon raises on request are raised the same way here, in the
 * definition (`settings.quotas`); the fixed ones are fixed. One exception, a warning: REST integration timeouts
 * over 29 seconds, which Amazon allows Regional and private REST APIs on request and Portico serves (to 300 s).
 */
import { type FieldError, isObject } from "./field-errors.ts";
import type { ApiDefinition, QuotaOverrides, RouteDefinition } from "./types.ts";
import { DEFAULT_ROUTE, parseRouteKey } from "../routing/route-key.ts";

/** Amazon's defaults for the quotas it raises on request. */
export const ADJUSTABLE_QUOTAS: Required<QuotaOverrides> = { resourcesPerApi: 300, routesPerApi: 300, stagesPerApi: 10, authorizersPerApi: 10, routingRulesPerDomain: 50 };
/** Fixed quotas. */
export const FIXED_QUOTAS = {
  stageVariablesPerStage: 100,
  stageVariableValueLength: 512,
  templateBytes: 300 * 1024,
  httpIntegrationTimeoutMs: 30_000,
  restIntegrationTimeoutMs: 29_000,
  audiencesPerAuthorizer: 50,
  scopesPerRoute: 10,
  methodThrottlesPerPlanStage: 20,
};

const raised = (name: keyof QuotaOverrides) => `(Amazon API Gateway quota; settings.quotas.${name} raises it, as Amazon does on request)`;
const FIXED = "(Amazon API Gateway quota, fixed)";

export function checkQuotas(def: ApiDefinition, errors: FieldError[], warnings: FieldError[] = []): void {
  const quotas = { ...ADJUSTABLE_QUOTAS, ...(isObject(def.settings) && isObject(def.settings.quotas) ? (def.settings.quotas as QuotaOverrides) : {}) };
  const routes = isObject(def.routes) ? (def.routes as Record<string, RouteDefinition>) : {};
  const flavor = def.flavor === "http" ? "http" : "rest";

  if (flavor === "rest") {
    const resources = resourceCount(Object.keys(routes));
    if (resources > quotas.resourcesPerApi)
      errors.push({ path: ["routes"], message: `${resources} resources (paths, each parent counted): Resources per API is ${quotas.resourcesPerApi} ${raised("resourcesPerApi")}` });
  } else if (Object.keys(routes).length > quotas.routesPerApi)
    errors.push({ path: ["routes"], message: `${Object.keys(routes).length} routes: Routes per API is ${quotas.routesPerApi} ${raised("routesPerApi")}` });

  if (isObject(def.stages)) {
    const stages = Object.entries(def.stages);
    if (stages.length > quotas.stagesPerApi) errors.push({ path: ["stages"], message: `${stages.length} stages: Stages per API is ${quotas.stagesPerApi} ${raised("stagesPerApi")}` });
    for (const [name, stage] of stages) {
      if (!isObject(stage) || !isObject(stage.variables)) continue;
      const vars = Object.entries(stage.variables);
      if (vars.length > FIXED_QUOTAS.stageVariablesPerStage)
        errors.push({ path: ["stages", name, "variables"], message: `${vars.length} variables: Stage variables per stage is ${FIXED_QUOTAS.stageVariablesPerStage} ${FIXED}` });
      for (const [key, value] of vars)
        if (typeof value === "string" && value.length > FIXED_QUOTAS.stageVariableValueLength)
          errors.push({ path: ["stages", name, "variables", key], message: `${value.length} characters: Length, in characters, of the value in a stage variable is ${FIXED_QUOTAS.stageVariableValueLength} ${FIXED}` });
    }
  }

  const authorizers = isObject(def.authorizers) ? Object.entries(def.authorizers) : [];
  if (authorizers.length > quotas.authorizersPerApi)
    errors.push({ path: ["authorizers"], message: `${authorizers.length} authorizers: Authorizers per API is ${quotas.authorizersPerApi} ${raised("authorizersPerApi")}` });
  for (const [name, a] of authorizers)
    if (isObject(a) && a.type === "jwt" && Array.isArray(a.audience) && a.audience.length > FIXED_QUOTAS.audiencesPerAuthorizer)
      errors.push({ path: ["authorizers", name, "audience"], message: `${a.audience.length} audiences: Audiences per authorizer is ${FIXED_QUOTAS.audiencesPerAuthorizer} ${FIXED}` });

  for (const [key, route] of Object.entries(routes)) {
    if (!isObject(route)) continue;
    const scopes = isObject(route.authorizer) && Array.isArray(route.authorizer.scopes) ? route.authorizer.scopes : [];
    if (scopes.length > FIXED_QUOTAS.scopesPerRoute)
      errors.push({ path: ["routes", key, "authorizer", "scopes"], message: `${scopes.length} scopes: Scopes per route is ${FIXED_QUOTAS.scopesPerRoute} ${FIXED}` });
    const integration = route.integration as unknown;
    if (!isObject(integration)) continue;
    const timeout = integration.timeoutMs;
    if (typeof timeout === "number" && flavor === "http" && timeout > FIXED_QUOTAS.httpIntegrationTimeoutMs)
      errors.push({ path: ["routes", key, "integration", "timeoutMs"], message: `Maximum integration timeout is 30 seconds for HTTP APIs ${FIXED}` });
    else if (typeof timeout === "number" && timeout > FIXED_QUOTAS.restIntegrationTimeoutMs)
      warnings.push({ path: ["routes", key, "integration", "timeoutMs"], message: "over 29 seconds: Amazon's integration timeout is 50 milliseconds - 29 seconds, raised on request for Regional and private REST APIs only" });
    templateSizes(integration, ["routes", key, "integration"], errors);
  }

  if (isObject(def.usagePlans))
    for (const [name, plan] of Object.entries(def.usagePlans))
      if (isObject(plan) && isObject(plan.routeThrottles) && Object.keys(plan.routeThrottles).length > FIXED_QUOTAS.methodThrottlesPerPlanStage)
        errors.push({ path: ["usagePlans", name, "routeThrottles"], message: `${Object.keys(plan.routeThrottles).length} route throttles: Method-level throttling settings for a stage in a usage plan is ${FIXED_QUOTAS.methodThrottlesPerPlanStage} ${FIXED}` });

  if (isObject(def.domainRouting))
    for (const [host, routing] of Object.entries(def.domainRouting))
      if (isObject(routing) && Array.isArray(routing.rules) && routing.rules.length > quotas.routingRulesPerDomain)
        errors.push({ path: ["domainRouting", host, "rules"], message: `${routing.rules.length} rules: Routing rules per domain is ${quotas.routingRulesPerDomain} ${raised("routingRulesPerDomain")}` });
}

/** Amazon counts resources as the API's distinct paths, every parent included (the root `/` too). */
export function resourceCount(routeKeys: readonly string[]): number {
  const resources = new Set<string>(["/"]);
  for (const key of routeKeys) {
    const parsed = parseRouteKey(key);
    if ("error" in parsed || parsed.path === DEFAULT_ROUTE) continue;
    let path = "";
    for (const s of parsed.segments) {
      path += "/" + (s.kind === "static" ? s.value : s.kind === "param" ? `{${s.name}}` : `{${s.name}+}`);
      resources.add(path);
    }
  }
  return resources.size;
}

const utf8Bytes = (text: string) => new TextEncoder().encode(text).byteLength;

/** "The maximum size of a mapping template is 300 KB": request templates and every response's. */
function templateSizes(integration: Record<string, unknown>, at: (string | number)[], errors: FieldError[]): void {
  const check = (templates: unknown, path: (string | number)[]) => {
    if (!isObject(templates)) return;
    for (const [type, text] of Object.entries(templates))
      if (typeof text === "string" && text.length > FIXED_QUOTAS.templateBytes / 4 && utf8Bytes(text) > FIXED_QUOTAS.templateBytes)
        errors.push({ path: [...path, type], message: `${utf8Bytes(text)} bytes: The maximum size of a mapping template is 300 KB ${FIXED}` });
  };
  check(integration.requestTemplates, [...at, "requestTemplates"]);
  if (isObject(integration.responses))
    for (const [pattern, r] of Object.entries(integration.responses)) if (isObject(r)) check(r.responseTemplates, [...at, "responses", pattern, "responseTemplates"]);
}
