/** The compiler's limits section: throttles on stages and routes, and usage plans — checks and resolved form. */
import type { BundleThrottle, BundleUsagePlan } from "./bundle.ts";
import { type FieldError, isObject } from "./field-errors.ts";
import type { ApiDefinition, ThrottleDefinition, UsagePlanDefinition } from "./types.ts";
import { DEFAULT_ROUTE, parseRouteKey } from "../routing/route-key.ts";


function normalKey(key: string): string | undefined {
  const parsed = parseRouteKey(key);
  if ("error" in parsed) return undefined;
  return parsed.path === DEFAULT_ROUTE ? DEFAULT_ROUTE : `${parsed.method} ${parsed.path}`;
}

export function checkLimits(def: ApiDefinition, errors: FieldError[]): void {
  if (!isObject(def.usagePlans)) return;
  const stages = isObject(def.stages) ? Object.keys(def.stages) : [];
  const routes = new Set(isObject(def.routes) ? Object.keys(def.routes).flatMap((k) => normalKey(k) ?? []) : []);
  for (const [name, plan] of Object.entries(def.usagePlans as Record<string, UsagePlanDefinition>)) {
    if (!isObject(plan)) continue;
    const at = (...rest: (string | number)[]) => ["usagePlans", name, ...rest];
    if (Array.isArray(plan.stages))
      plan.stages.forEach((s, i) => {
        if (typeof s === "string" && stages.length && !stages.includes(s))
          errors.push({ path: at("stages", i), message: `unknown stage "${s}"; stages are ${stages.join(", ")}` });
      });
    const quota = plan.quota;
    if (isObject(quota) && typeof quota.offset === "number") {
      const max = quota.period === "DAY" ? 0 : quota.period === "WEEK" ? 6 : 27;
      if (quota.offset > max) errors.push({ path: at("quota", "offset"), message: `must be at most ${max} for period ${String(quota.period)}` });
    }
    if (isObject(plan.routeThrottles))
      for (const key of Object.keys(plan.routeThrottles)) {
        const normal = normalKey(key);
        if (!normal) errors.push({ path: at("routeThrottles", key), message: "not a route key (`METHOD /path`)" });
        else if (routes.size && !routes.has(normal)) errors.push({ path: at("routeThrottles", key), message: `no route "${normal}" in this definition` });
      }
  }
}

export function buildThrottle(t: ThrottleDefinition | undefined): BundleThrottle | null {
  return t ? { rate: t.rate, burst: t.burst, strict: t.strict ?? false, shadow: t.shadow ?? false } : null;
}

export function buildUsagePlans(def: ApiDefinition): Record<string, BundleUsagePlan> {
  const out: Record<string, BundleUsagePlan> = {};
  for (const [name, plan] of Object.entries(def.usagePlans ?? {})) {
    out[name] = {
      description: plan.description ?? null,
      stages: plan.stages,
      throttle: buildThrottle(plan.throttle),
      quota: plan.quota ? { limit: plan.quota.limit, period: plan.quota.period, offset: plan.quota.offset ?? 0 } : null,
      routeThrottles: Object.fromEntries(Object.entries(plan.routeThrottles ?? {}).map(([k, t]) => [normalKey(k)!, buildThrottle(t)!])),
      failMode: plan.failMode ?? "open",
    };
  }
  return out;
}
