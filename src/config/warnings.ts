/**
 * Warnings: definitions that compile and serve, but weaken a default the way an operator should choose knowingly.
 * `portico validate` and `POST /_portico/validate` show them with their field paths; they never fail a check or a
 * publish. Pure, like the checks: run on a definition that has no errors.
 */
import { checkQuotas } from "./compile-quotas.ts";
import { type FieldError, isObject } from "./field-errors.ts";
import type { ApiDefinition } from "./types.ts";

export function definitionWarnings(value: unknown): FieldError[] {
  if (!isObject(value)) return [];
  const def = value as unknown as ApiDefinition;
  const warnings: FieldError[] = [];
  for (const [name, a] of Object.entries(isObject(def.authorizers) ? def.authorizers : {})) {
    if (!isObject(a) || a.type !== "custom" || a.resultCacheScope !== "shared") continue;
    const path = ["authorizers", name, "resultCacheScope"];
    if ((a.responseFormat ?? "policy") !== "simple")
      warnings.push({ path, message: "has no effect: policy replies are cached across routes and checked against each request's ARN" });
    else if (a.resultTtlSeconds !== 0)
      warnings.push({
        path,
        message: "shared: one cached yes opens every route that uses this authorizer, for resultTtlSeconds (Amazon's behaviour); keep the default, route, unless every route gets the same answer",
      });
  }
  checkQuotas(def, [], warnings);
  for (const [host, routing] of Object.entries(isObject(def.domainRouting) ? def.domainRouting : {})) {
    if (!isObject(routing)) continue;
    const mode = routing.routingMode ?? "API_MAPPING_ONLY";
    if (mode === "API_MAPPING_ONLY" && Array.isArray(routing.rules) && routing.rules.length)
      warnings.push({ path: ["domainRouting", host, "routingMode"], message: "API_MAPPING_ONLY (the default): the rules are not evaluated; choose ROUTING_RULE_ONLY or ROUTING_RULE_THEN_API_MAPPING" });
    if (mode === "ROUTING_RULE_ONLY" && Array.isArray(def.domains) && def.domains.some((d) => isObject(d) && String(d.host).toLowerCase() === host.toLowerCase()))
      warnings.push({ path: ["domainRouting", host, "routingMode"], message: "ROUTING_RULE_ONLY: the host's mappings in domains are not used" });
  }
  // A streamed route is never cached: say so where a stage's cache would otherwise take it.
  const cachingStages = Object.entries(isObject(def.stages) ? def.stages : {}).filter(([, stage]) => isObject(stage) && isObject(stage.cache) && stage.cache.enabled === true);
  if (cachingStages.length)
    for (const [key, route] of Object.entries(isObject(def.routes) ? def.routes : {})) {
      const integration = isObject(route) ? (route.integration as unknown) : undefined;
      if (!isObject(integration) || integration.responseTransferMode !== "STREAM" || (isObject(route.cache) && route.cache.enabled === false)) continue;
      warnings.push({
        path: ["routes", key, "integration", "responseTransferMode"],
        message: `a streamed response is never cached (Amazon's rule): stage${cachingStages.length > 1 ? "s" : ""} ${cachingStages.map(([name]) => name).join(", ")} cache${cachingStages.length > 1 ? "" : "s"} every other route, not this one`,
      });
    }
  return warnings;
}
