/**
 * The differences between the live version's and the candidate's views of one request, by kind. A part evaluated
 * on one side only (the other stopped earlier) is not compared: a different stopping point shows as an `outcome`
 * difference instead. A part one side could not evaluate without a side effect (UNKNOWN, or not reached because the
 * candidate stopped at an unknown) counts as *unknown* for its kind — never as compared, so a report whose candidate
 * could not be evaluated is never clean (docs/observability.md#shadow-evaluation).
 */
import type { ShadowDifference, ShadowKind, ShadowSample } from "../../deploy/types.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import type { Comparison } from "./comparison.ts";
import { UNKNOWN, type View } from "./evaluate.ts";

const COMPARED: [keyof View, ShadowKind][] = [
  ["route", "route"],
  ["policy", "policy"],
  ["authorization", "authorization"],
  ["apiKey", "apiKey"],
  ["validation", "validation"],
  ["throttle", "throttle"],
  ["cache", "cache"],
  ["integration", "integration"],
  ["template", "template"],
  ["outcome", "outcome"],
];


export function compare(live: View, candidate: View): Comparison {
  const result: Comparison = { differences: [], compared: [], unknown: [], outcomeUnknown: candidate.outcome === UNKNOWN };
  for (const [field, kind] of COMPARED) {
    const a = text(live[field]);
    const b = text(candidate[field]);
    if (a === UNKNOWN || b === UNKNOWN || (b === undefined && a !== undefined && result.outcomeUnknown)) {
      result.unknown.push(kind);
      continue;
    }
    if (a === undefined || b === undefined) continue;
    result.compared.push(kind);
    if (a !== b) result.differences.push({ kind, live: a, candidate: b });
  }
  return result;
}

/** The differences alone. */
export const differences = (live: View, candidate: View): ShadowDifference[] => compare(live, candidate).differences;

const text = (v: string | string[] | undefined) => (Array.isArray(v) ? (v.length ? v.join("; ") : "no buckets") : v);

/** A differing request as kept in the report: method, path and query parameter names — no values, headers or body. */
export function sampleOf(ctx: RequestContext, diffs: ShadowDifference[]): ShadowSample {
  return {
    requestId: ctx.requestId,
    at: ctx.receivedAt,
    method: ctx.request.method,
    path: ctx.url.pathname.slice(0, 512),
    queryNames: [...new Set(ctx.url.searchParams.keys())].slice(0, 20).map((n) => n.slice(0, 64)),
    differences: diffs.map((d) => ({ kind: d.kind, live: d.live.slice(0, 500), candidate: d.candidate.slice(0, 500) })),
  };
}
