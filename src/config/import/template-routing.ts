/**
 * A template's routing rules (`AWS::ApiGatewayV2::RoutingRule`, on a domain name's routing mode) → `domainRouting`,
 * field by field: `Priority`, `Conditions[].MatchHeaders.AnyOf[].Header/ValueGlob`, `MatchBasePaths.AnyOf`,
 * `Actions[].InvokeApi.Stage/StripBasePath`. A rule that invokes another API of the template cannot name it (Portico
 * names APIs, not ids), so it is an error; one for this API loses its `ApiId`.
 */
import { isObject } from "../field-errors.ts";
import type { DomainRoutingDefinition, RoutingMode, RoutingRuleDefinition } from "../types.ts";
import { resolveIntrinsics, type TemplateContext } from "./intrinsics.ts";
import type { Issues } from "./issues.ts";

const MODES = new Set(["API_MAPPING_ONLY", "ROUTING_RULE_ONLY", "ROUTING_RULE_THEN_API_MAPPING"]);
const refOf = (v: unknown) => (isObject(v) && typeof v.Ref === "string" ? v.Ref : isObject(v) && Array.isArray(v["Fn::GetAtt"]) ? String(v["Fn::GetAtt"][0]) : undefined);

export function templateRouting(apiId: string, ctx: TemplateContext, issues: Issues): Record<string, DomainRoutingDefinition> | undefined {
  const out: Record<string, DomainRoutingDefinition> = {};
  for (const [id, r] of Object.entries(ctx.resources)) {
    if (r?.Type !== "AWS::ApiGatewayV2::RoutingRule") continue;
    const at = ["Resources", id, "Properties"];
    const p = (isObject(r.Properties) ? r.Properties : {}) as Record<string, unknown>;
    const actions = Array.isArray(p.Actions) ? p.Actions : [];
    const invoke = isObject(actions[0]) && isObject(actions[0].InvokeApi) ? actions[0].InvokeApi : undefined;
    // Only the rules that send requests to this API (or to an API it cannot name, which is an error) belong here.
    const target = invoke ? refOf(invoke.ApiId) : undefined;
    if (target !== apiId) {
      if (target === undefined) issues.error([...at, "Actions"], "not carried over: the rule's ApiId names no API of this template");
      continue;
    }
    const domainId = refOf(p.DomainNameArn) ?? refOf(p.DomainName);
    const domain = domainId ? ctx.resources[domainId] : undefined;
    const host = domain && isObject(domain.Properties) ? resolveIntrinsics(domain.Properties.DomainName, ctx, issues, ["Resources", domainId!, "Properties", "DomainName"]) : undefined;
    if (typeof host !== "string") {
      issues.error([...at, "DomainNameArn"], "not carried over: the rule's domain name is not a domain name resource of this template");
      continue;
    }
    const mode = domain && isObject(domain.Properties) ? domain.Properties.RoutingMode : undefined;
    const routing = (out[host] ??= MODES.has(String(mode)) ? { routingMode: mode as RoutingMode, rules: [] } : { rules: [] });
    const resolved = resolveIntrinsics({ Priority: p.Priority, Conditions: p.Conditions, Stage: invoke!.Stage, Strip: invoke!.StripBasePath }, ctx, issues, at) as Record<string, unknown>;
    const conditions = (Array.isArray(resolved.Conditions) ? resolved.Conditions : []).filter(isObject).map((c) => ({
      ...(isObject(c.MatchHeaders) ? { matchHeaders: { anyOf: (Array.isArray(c.MatchHeaders.AnyOf) ? c.MatchHeaders.AnyOf : []).filter(isObject).map((h) => ({ header: String(h.Header), valueGlob: String(h.ValueGlob) })) } } : {}),
      ...(isObject(c.MatchBasePaths) ? { matchBasePaths: { anyOf: (Array.isArray(c.MatchBasePaths.AnyOf) ? c.MatchBasePaths.AnyOf : []).map(String) } } : {}),
    }));
    const rule: RoutingRuleDefinition = {
      priority: Number(resolved.Priority),
      ...(conditions.length ? { conditions } : {}),
      // HTTP APIs' $default stage is `default` in Portico (template.ts).
      actions: [{ invokeApi: { stage: resolved.Stage === "$default" ? "default" : String(resolved.Stage), ...(resolved.Strip === true ? { stripBasePath: true } : {}) } }],
    };
    routing.rules!.push(rule);
  }
  return Object.keys(out).length ? out : undefined;
}
