/**
 * Routing rules for custom domains (Amazon, June 2025): priority-ordered rules whose conditions — up to two
 * header conditions (a case-insensitive name, a case-sensitive glob over the whole value) and one base path
 * condition (any of a list) — choose the API and stage a request goes to, evaluated before the domain's base path
 * mappings according to the domain's routing mode:
 *
 * - `API_MAPPING_ONLY` (Amazon's default): rules are not evaluated; base path mappings decide.
 * - `ROUTING_RULE_ONLY`: the first matching rule decides; no match → no API.
 * - `ROUTING_RULE_THEN_API_MAPPING`: the first matching rule decides, else the base path mappings.
 *
 * Pure: compiled once per bundle (globs split, base paths cut into segments, rules sorted), then one call per
 * request with the request's headers and path segments. Wiring: steps/resolve-stage.
 */
import type { BundleDomainRouting, RoutingMode } from "../config/bundle.ts";

export interface RuleTarget {
  api: string;
  stage: string;
  /** Path segments the rule's base path consumed (removed before routing when stripBasePath). */
  consumed: number;
  /** The rule that matched (for logs and tests). */
  priority: number;
}

type Glob = (value: string) => boolean;

interface CompiledRule {
  priority: number;
  headers: { name: string; matches: Glob }[];
  /** Each allowed base path as segments; empty: no base path condition. */
  basePaths: string[][];
  target: { api: string; stage: string; strip: boolean };
}

export interface CompiledRouting {
  mode: RoutingMode;
  rules: CompiledRule[];
}

/**
 * Amazon's value globs: `*` at the start, the end or both (suffix, prefix and infix matches), or none (exact);
 * the whole header value is matched, case-sensitively.
 */
export function compileGlob(glob: string): Glob {
  const starts = glob.startsWith("*");
  const ends = glob.length > 1 && glob.endsWith("*");
  const core = glob.slice(starts ? 1 : 0, ends ? -1 : undefined);
  if (glob === "*") return () => true;
  if (starts && ends) return (v) => v.includes(core);
  if (starts) return (v) => v.endsWith(core);
  if (ends) return (v) => v.startsWith(core);
  return (v) => v === core;
}

/** The form a request is checked against: compiled once per bundle. `api` is the bundle's own API. */
export function compileRouting(routing: BundleDomainRouting, api: string): CompiledRouting {
  const rules = routing.rules
    .map((r) => ({
      priority: r.priority,
      headers: r.headers.map((h) => ({ name: h.header.toLowerCase(), matches: compileGlob(h.valueGlob) })),
      basePaths: r.basePaths.map((p) => p.split("/").filter(Boolean)),
      target: { api: r.apiId ?? api, stage: r.stage, strip: r.stripBasePath },
    }))
    .sort((a, b) => a.priority - b.priority);
  return { mode: routing.routingMode, rules };
}

export interface RoutedRequest {
  header(name: string): string | null;
  /** The normalised path's segments (routing/path.ts). */
  segments: readonly string[];
}

/** The rule that decides this request, in priority order; undefined when none matches (or rules are off). */
export function routeByRules(routing: CompiledRouting, request: RoutedRequest): RuleTarget | undefined {
  if (routing.mode === "API_MAPPING_ONLY") return undefined;
  for (const rule of routing.rules) {
    if (!rule.headers.every((h) => {
      const value = request.header(h.name);
      return value !== null && h.matches(value);
    })) continue;
    let consumed = 0;
    if (rule.basePaths.length) {
      const base = rule.basePaths.find((segments) => segments.length <= request.segments.length && segments.every((s, i) => s === request.segments[i]));
      if (!base) continue;
      consumed = base.length;
    }
    return { api: rule.target.api, stage: rule.target.stage, consumed: rule.target.strip ? consumed : 0, priority: rule.priority };
  }
  return undefined;
}
