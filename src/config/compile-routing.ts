/**
 * The compiler's part for routing rules (`domainRouting`): Amazon's validation, with Amazon's wording where its
 * documentation gives one, and the bundle's form. Evaluation: routing/routing-rules.ts.
 */
import type { BundleDomainRouting } from "./bundle.ts";
import { type FieldError, isObject } from "./field-errors.ts";
import type { ApiDefinition, DomainRoutingDefinition, RoutingRuleDefinition } from "./types.ts";

/** Amazon: "less than 40 characters … a-z, A-Z, 0-9, and the following special characters: *?-!#$%&'.^_`|~". */
const HEADER = /^[A-Za-z0-9*?\-!#$%&'.^_`|~]{1,39}$/;
/** Amazon: "less than 128 characters", the same characters; a wildcard only for prefix, suffix or infix matches. */
const GLOB = /^[A-Za-z0-9*?\-!#$%&'.^_`|~]{1,127}$/;
const BASE_PATH = /^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/;

export function checkRouting(def: ApiDefinition, errors: FieldError[]): void {
  if (!isObject(def.domainRouting)) return;
  const stages = isObject(def.stages) ? Object.keys(def.stages) : [];
  for (const [host, routing] of Object.entries(def.domainRouting as Record<string, DomainRoutingDefinition>)) {
    if (!isObject(routing) || !Array.isArray(routing.rules)) continue;
    const at = (...p: (string | number)[]) => ["domainRouting", host, "rules", ...p];
    const seen = new Map<number, number>();
    routing.rules.forEach((rule: RoutingRuleDefinition, i) => {
      if (!isObject(rule)) return;
      if (typeof rule.priority === "number") {
        if (!Number.isInteger(rule.priority) || rule.priority < 1 || rule.priority > 1_000_000)
          errors.push({ path: at(i, "priority"), message: "You can set the priority from 1-1,000,000" });
        else if (seen.has(rule.priority))
          errors.push({ path: at(i, "priority"), message: `Rules can't have the same priority: ${rule.priority} is also rules[${seen.get(rule.priority)}]'s` });
        else seen.set(rule.priority, i);
      }
      if (Array.isArray(rule.conditions)) {
        const headers = rule.conditions.filter((c) => isObject(c) && c.matchHeaders !== undefined).length;
        const paths = rule.conditions.filter((c) => isObject(c) && c.matchBasePaths !== undefined).length;
        if (headers > 2 || paths > 1)
          errors.push({ path: at(i, "conditions"), message: "Conditions can contain up to two matchHeaders conditions and one matchBasePaths conditions" });
        rule.conditions.forEach((c, j) => {
          if (!isObject(c)) return;
          const here = at(i, "conditions", j);
          if ((c.matchHeaders === undefined) === (c.matchBasePaths === undefined))
            errors.push({ path: here, message: "one of matchHeaders or matchBasePaths per condition" });
          const anyOf = isObject(c.matchHeaders) && Array.isArray(c.matchHeaders.anyOf) ? c.matchHeaders.anyOf : undefined;
          if (anyOf && anyOf.length !== 1) errors.push({ path: [...here, "matchHeaders", "anyOf"], message: "a header condition names one header (a second header is a second condition, ANDed)" });
          anyOf?.forEach((h, k) => {
            if (!isObject(h)) return;
            if (typeof h.header === "string" && !HEADER.test(h.header))
              errors.push({ path: [...here, "matchHeaders", "anyOf", k, "header"], message: "The header name must be less than 40 characters and the only allowed characters are a-z, A-Z, 0-9, and the following special characters: *?-!#$%&'.^_`|~." });
            if (typeof h.valueGlob === "string") {
              if (!GLOB.test(h.valueGlob))
                errors.push({ path: [...here, "matchHeaders", "anyOf", k, "valueGlob"], message: "The header glob value must be less than 128 characters and the only allowed characters are a-z, A-Z, 0-9, and the following special characters: *?-!#$%&'.^_`|~." });
              else if (h.valueGlob.slice(1, -1).includes("*"))
                errors.push({ path: [...here, "matchHeaders", "anyOf", k, "valueGlob"], message: "Wildcard matching is supported for header glob values but must be for prefix-match, suffix-match, or infix-match" });
            }
          });
          if (isObject(c.matchBasePaths) && Array.isArray(c.matchBasePaths.anyOf)) {
            if (!c.matchBasePaths.anyOf.length) errors.push({ path: [...here, "matchBasePaths", "anyOf"], message: "must name at least one base path" });
            c.matchBasePaths.anyOf.forEach((p, k) => {
              if (typeof p === "string" && !BASE_PATH.test(p.replace(/^\/+|\/+$/g, "")))
                errors.push({ path: [...here, "matchBasePaths", "anyOf", k], message: "a base path is one or more segments of A-Z, a-z, 0-9 and ._~- separated by /" });
            });
          }
        });
      }
      if (Array.isArray(rule.actions)) {
        if (rule.actions.length !== 1) errors.push({ path: at(i, "actions"), message: "Each rule can have one action" });
        const invoke = isObject(rule.actions[0]) && isObject(rule.actions[0].invokeApi) ? rule.actions[0].invokeApi : undefined;
        if (invoke && typeof invoke.stage === "string" && (invoke.apiId === undefined || invoke.apiId === def.name) && stages.length && !stages.includes(invoke.stage))
          errors.push({ path: at(i, "actions", 0, "invokeApi", "stage"), message: `unknown stage "${invoke.stage}"; stages are ${stages.join(", ")}` });
      }
    });
  }
}

/** The bundle's form: hosts lower-cased, rules in priority order; undefined when there are none. */
export function buildRouting(def: ApiDefinition): BundleDomainRouting[] | undefined {
  const entries = Object.entries(def.domainRouting ?? {});
  if (!entries.length) return undefined;
  return entries.map(([host, r]) => ({
    host: host.toLowerCase(),
    routingMode: r.routingMode ?? "API_MAPPING_ONLY",
    rules: (r.rules ?? [])
      .map((rule) => {
        const conditions = rule.conditions ?? [];
        const invoke = rule.actions[0]!.invokeApi;
        return {
          priority: rule.priority,
          headers: conditions.flatMap((c) => c.matchHeaders?.anyOf ?? []).map((h) => ({ header: h.header.toLowerCase(), valueGlob: h.valueGlob })),
          basePaths: conditions.flatMap((c) => c.matchBasePaths?.anyOf ?? []).map((p) => p.replace(/^\/+|\/+$/g, "")),
          apiId: invoke.apiId && invoke.apiId !== def.name ? invoke.apiId : null,
          stage: invoke.stage,
          stripBasePath: invoke.stripBasePath ?? false,
        };
      })
      .sort((a, b) => a.priority - b.priority),
  }));
}
