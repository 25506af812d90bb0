/**
 * `x-amazon-apigateway-policy` (an IAM resource policy) → Portico's resource policy, for what Portico can express:
 * statements for any principal on `execute-api:Invoke`, over the whole API or over routes, unconditional or with
 * `IpAddress` / `NotIpAddress` on `aws:SourceIp`. Every other statement (IAM principals, VPC endpoints, other
 * condition keys) is an error: dropping a Deny, or an Allow that narrows who may call, would open the API wider
 * than Amazon does.
 */
import { isObject } from "../field-errors.ts";
import type { ResourcePolicyDefinition, RouteDefinition } from "../types.ts";
import { parseRouteKey } from "../../routing/route-key.ts";
import type { Issues, JsonPath } from "./issues.ts";

interface Grant {
  effect: "Allow" | "Deny";
  /** null: everyone; else the addresses the statement is about. */
  ips: string[] | null;
  /** The condition was NotIpAddress: the statement covers everyone else. */
  negated: boolean;
}

const EVERYONE = ["0.0.0.0/0", "::/0"];

/** Converts the policy; route-level policies are written onto `routes`. Returns the API-wide policy. */
export function convertPolicy(policy: unknown, routes: Record<string, RouteDefinition>, at: JsonPath, issues: Issues): ResourcePolicyDefinition | undefined {
  if (!isObject(policy)) {
    issues.error(at, "must be an IAM policy document");
    return undefined;
  }
  const statements = Array.isArray(policy.Statement) ? policy.Statement : isObject(policy.Statement) ? [policy.Statement] : [];
  const byScope = new Map<string, Grant[]>(); // "*" = the whole API, else a route key
  statements.forEach((s, i) => {
    const here = [...at, "Statement", ...(Array.isArray(policy.Statement) ? [i] : [])];
    const grant = readStatement(s, here, issues);
    if (!grant) return;
    for (const scope of scopesOf((s as Record<string, unknown>).Resource, routes, here, issues)) (byScope.get(scope) ?? byScope.set(scope, []).get(scope)!).push(grant.grant);
  });
  let api: ResourcePolicyDefinition | undefined;
  const apiGrants = byScope.get("*") ?? [];
  const narrowing = (grants: Grant[]) => grants.some((g) => g.effect === "Allow" && g.ips !== null);
  for (const [scope, own] of byScope) {
    // Amazon weighs every statement together; Portico applies the API's policy and the route's, both. A route's
    // policy therefore includes the API-wide statements (so an API-wide Allow still lets its callers through).
    const grants = scope === "*" ? own : [...apiGrants, ...own];
    const policy = scope !== "*" && narrowing(apiGrants) && own.some((g) => g.effect === "Allow") ? "unexpressible" : combine(grants);
    if (policy === "unexpressible") {
      issues.error(at, `not carried over${scope === "*" ? "" : ` for ${scope}`}: Allow statements for some addresses and for everyone but others together cannot be expressed as allow and deny lists`);
      continue;
    }
    if (!policy) continue;
    if (scope === "*") api = policy;
    else routes[scope]!.resourcePolicy = policy;
  }
  return api;
}

function readStatement(s: unknown, at: JsonPath, issues: Issues): { grant: Grant } | undefined {
  if (!isObject(s)) return undefined;
  const effect = s.Effect === "Allow" || s.Effect === "Deny" ? s.Effect : undefined;
  const principal = s.Principal;
  const anyone = principal === "*" || (isObject(principal) && Object.keys(principal).length === 1 && (principal.AWS === "*" || (Array.isArray(principal.AWS) && principal.AWS.length === 1 && principal.AWS[0] === "*")));
  const actions = [s.Action].flat();
  const invoke = actions.some((a) => a === "execute-api:Invoke" || a === "execute-api:*" || a === "*");
  const reason =
    !effect ? "an Effect other than Allow or Deny" :
    s.NotPrincipal !== undefined || s.NotAction !== undefined || s.NotResource !== undefined ? "NotPrincipal, NotAction or NotResource" :
    !anyone ? `a principal other than everyone (${JSON.stringify(principal)}): Portico has no IAM identities` :
    !invoke ? "an action other than execute-api:Invoke" : undefined;
  if (reason) {
    issues.error(at, `not carried over: ${reason}; the API would accept callers Amazon refuses`);
    return undefined;
  }
  const condition = s.Condition;
  if (condition === undefined) return { grant: { effect: effect!, ips: null, negated: false } };
  const keys = isObject(condition) ? Object.keys(condition) : [];
  const op = keys[0];
  const block = op && isObject(condition) ? (condition as Record<string, unknown>)[op] : undefined;
  const sourceIp = isObject(block) && Object.keys(block).length === 1 ? block["aws:SourceIp"] ?? block["aws:sourceIp"] : undefined;
  if (keys.length !== 1 || (op !== "IpAddress" && op !== "NotIpAddress") || sourceIp === undefined) {
    issues.error([...at, "Condition"], `not carried over: Portico's resource policies test the caller's address (IpAddress / NotIpAddress on aws:SourceIp), country and ASN; ${JSON.stringify(keys)} cannot be expressed`);
    return undefined;
  }
  const ips = [sourceIp].flat().filter((v): v is string => typeof v === "string");
  return { grant: { effect: effect!, ips, negated: op === "NotIpAddress" } };
}

/** The scopes a statement's Resource covers: "*" (the API, any stage) or route keys. */
function scopesOf(resource: unknown, routes: Record<string, RouteDefinition>, at: JsonPath, issues: Issues): string[] {
  const out = new Set<string>();
  for (const r of [resource].flat()) {
    if (typeof r !== "string") continue;
    // execute-api:/stage/METHOD/path, or arn:aws:execute-api:region:account:api-id/stage/METHOD/path
    const m = /^(?:execute-api:|arn:aws[a-z-]*:execute-api:[^:]*:[^:]*:[^/]*)(\/.*)?$/.exec(r) ?? (r === "*" ? [r, "/*"] : null);
    if (!m) {
      issues.error([...at, "Resource"], `${r}: not an execute-api resource; not carried over`);
      continue;
    }
    const [stage = "*", method = "*", ...path] = (m[1] ?? "/*").slice(1).split("/");
    if (stage === "*" && method === "*" && (path.length === 0 || (path.length === 1 && path[0] === "*"))) {
      out.add("*");
      continue;
    }
    if (stage !== "*") issues.warn([...at, "Resource"], `${r}: applies to every stage in Portico (Portico's policies are per API and route)`);
    const wanted = "/" + path.join("/");
    const prefix = wanted.endsWith("*") ? wanted.slice(0, -1) : undefined;
    const hits = Object.keys(routes).filter((key) => {
      const parsed = parseRouteKey(key);
      if ("error" in parsed) return false;
      const methodOk = method === "*" || parsed.method === method.toUpperCase() || parsed.method === "ANY";
      const pathOk = prefix !== undefined ? parsed.path.startsWith(prefix) : parsed.path === wanted;
      return methodOk && pathOk;
    });
    if (!hits.length) issues.warn([...at, "Resource"], `${r}: matches no route`);
    for (const h of hits) out.add(h);
  }
  return [...out];
}

/**
 * Amazon's evaluation for one scope: an explicit Deny wins; a caller passes when some Allow matches. In Portico's
 * terms: Deny lists add to `deny`; Allows add to `allow` unless one allows everyone; an Allow for everyone but some
 * addresses (NotIpAddress) denies those; no Allow at all refuses everyone. "Some addresses, or everyone but
 * others" is not expressible: undefined.
 */
function combine(grants: Grant[]): ResourcePolicyDefinition | "unexpressible" | undefined {
  const deny = new Set<string>();
  const allow = new Set<string>();
  const allowAllBut: string[][] = [];
  const only: string[][] = [];
  let allowAll = false;
  for (const g of grants) {
    if (g.effect === "Deny") {
      if (g.ips === null) EVERYONE.forEach((ip) => deny.add(ip));
      else if (!g.negated) g.ips.forEach((ip) => deny.add(ip));
      // Deny everyone NOT in the list = only the list may pass.
      else only.push(g.ips);
    } else if (g.ips === null) allowAll = true;
    else if (g.negated) allowAllBut.push(g.ips);
    else g.ips.forEach((ip) => allow.add(ip));
  }
  const policy: ResourcePolicyDefinition = {};
  // "Deny everyone not in X" lets only X pass, whatever allows them: Portico's allow list, alone.
  if (only.length) {
    if (only.length > 1 || allow.size || allowAllBut.length) return "unexpressible";
    policy.allow = { ips: only[0]! };
    if (!allowAll && !grants.some((g) => g.effect === "Allow")) EVERYONE.forEach((ip) => deny.add(ip));
  } else if (!allowAll && allowAllBut.length) {
    if (allow.size || allowAllBut.length > 1) return "unexpressible";
    allowAllBut[0]!.forEach((ip) => deny.add(ip));
  } else if (!allowAll && allow.size) policy.allow = { ips: [...allow] };
  else if (!allowAll && !grants.some((g) => g.effect === "Allow")) EVERYONE.forEach((ip) => deny.add(ip));
  if (deny.size) policy.deny = { ips: [...deny] };
  return Object.keys(policy).length ? policy : undefined;
}
