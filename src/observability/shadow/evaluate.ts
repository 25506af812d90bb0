/**
 * Shadow evaluation's dry run: what a candidate version would decide about a request the live version just served
 * — route, resource policy, authorization, API key, validation, throttle verdict, cache key, integration target and
 * request template output — as a `View` of plain strings, built the same way for the live side so the two compare.
 *
 * Nothing here has a side effect the live request did not already have:
 * - no backend call: the integration target is computed, never called, and response templates are not run;
 * - no second call to a custom authorizer (it may count, bill or log each call): a decision it already gave for the
 *   same identity inputs is reused, otherwise authorization is `skipped`; JWT, SigV4 and mTLS are checked locally;
 *   an authorizer configured exactly as the live one reuses the live verdict;
 * - no token taken from a bucket and no quota charged: a bucket the live request was checked against gives the live
 *   verdict (scaled to the candidate's limits when they differ: an estimate, marked so); a bucket the live version
 *   does not have starts full; a quota the live request did not spend is not evaluated;
 * - no API key lookup the live request did not make (it would spend the caller's lookup budget);
 * - the body only if the live request read it (validation, templates): a body that streamed to the backend is gone.
 */
import { authorizersOf } from "../../authorizers/index.ts";
import type { CompiledBundle } from "../../deploy/compiled-bundle.ts";
import type { CompiledRoute } from "../../deploy/compiled-route.ts";
import type { BundleIntegration } from "../../config/bundle-integrations.ts";
import { HTTP_METHODS, type Flavor } from "../../config/types.ts";
import { bytesToHex } from "@noble/hashes/utils.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { hashKeyText } from "../../cache/key.ts";
import { compileTemplate, renderTemplate } from "../../integrations/template.ts";
import { mapRequest } from "../../integrations/mapping/request.ts";
import { BodyUnavailableError } from "../../pipeline/context.ts";
import type { GatewayContext } from "../../pipeline/step.ts";
import { GatewayError, responseDefault } from "../../pipeline/gateway-responses.ts";
import { evaluatePolicies } from "../../security/resource-policy.ts";
import { identityPart, keyText } from "../../steps/cache/index.ts";
import { applicable } from "../../steps/throttle/index.ts";
import { checkRequest } from "../../steps/validate/index.ts";
import { canonicalJson } from "../../config/bundle.ts";
import type { DecisionRecord, ThrottleVerdict } from "../explain.ts";

/** One version's decisions about a request, as comparable text. Undefined: not reached (an earlier refusal). */
export interface View {
  route: string;
  policy?: string;
  authorization?: string;
  apiKey?: string;
  validation?: string;
  throttle?: string[];
  cache?: string;
  integration?: string;
  template?: string;
  /** Where the request ends before the backend answers: a refusal, or `reaches the integration`. */
  outcome: string;
}

export interface CandidateResult {
  view: View;
  /** Parts that could not be evaluated without a side effect, by reason. */
  skipped: string[];
}

const KNOWN_METHODS: ReadonlySet<string> = new Set(HTTP_METHODS);
const REACHES = "reaches the integration";
/** An outcome that could not be evaluated without a side effect (never compared). */
export const UNKNOWN = "unknown";

const refusal = (e: unknown, flavor: Flavor) => {
  if (!(e instanceof GatewayError)) return "refused 500 (unexpected error)";
  return `refused ${e.options.status ?? responseDefault(e.type, flavor).status} (${e.type})`;
};

/** The live request's view, from what its pipeline left in the context and the decision record. */
export function liveView(ctx: GatewayContext, record: DecisionRecord): View {
  const route = ctx.route;
  const view: View = { route: route?.spec.key ?? "none", outcome: REACHES };
  const error = ctx.error;
  // Refused by the gateway before the integration answered (an integration's own failure is not a decision).
  if (error && !record.integration) view.outcome = refusal(error, ctx.bundle?.bundle.api.flavor ?? "rest");
  if (!route) return view;
  view.policy = policyOf(ctx, route);
  if (view.policy !== "allow" && view.policy !== "none") return view;
  const auth = record.authorizers[0];
  view.authorization = !route.spec.authorizer ? "none" : auth ? verdictText(auth.verdict, auth.reason) : undefined;
  if (view.authorization === undefined || (view.authorization !== "none" && view.authorization !== "allow")) return view;
  view.apiKey = !route.spec.apiKeyRequired ? "not required" : record.apiKey ? keyText2(record.apiKey.verdict, record.apiKey.plan) : undefined;
  if (view.apiKey === undefined || view.apiKey.startsWith("refused")) return view;
  view.validation = !route.spec.validate ? "none" : record.validation ? (record.validation.verdict === "passed" ? "passed" : `refused: ${record.validation.reason ?? ""}`) : undefined;
  if (view.validation === undefined || view.validation.startsWith("refused")) return view;
  view.throttle = record.throttle.map(bucketText);
  if (error?.type === "THROTTLED" || error?.type === "QUOTA_EXCEEDED") return view;
  view.cache = cacheView(ctx, route, ctx.bundle!);
  view.integration = describeTarget(route.spec.integration, ctx.stageVariables, ctx.pathParams, ctx.path);
  view.template = templateText(ctx.integrationRequest?.templated ? ctx.integrationRequest.body : undefined);
  return view;
}

/** The candidate's view of the same request, evaluated on a copy of its context (`ctx.shadowCopy()`). */
export async function candidateView(live: GatewayContext, record: DecisionRecord, candidate: CompiledBundle): Promise<CandidateResult> {
  const skipped: string[] = [];
  const c = live.shadowCopy();
  c.bundle = candidate;
  c.deploymentId = candidate.id;
  const settings = candidate.bundle.stages[live.stage];
  c.stageVariables = settings?.variables ?? {};
  const flavor = candidate.bundle.api.flavor;
  const method = c.request.method;
  const match = KNOWN_METHODS.has(method) ? candidate.router.match(method, c.segments) : undefined;
  const view: View = { route: match?.value.spec.key ?? "none", outcome: REACHES };
  const stop = (e: unknown): CandidateResult => {
    view.outcome = refusal(e, flavor);
    return { view, skipped };
  };
  if (!match) return stop(new GatewayError(flavor === "http" ? "RESOURCE_NOT_FOUND" : "MISSING_AUTHENTICATION_TOKEN"));
  const route = match.value;
  c.route = route;
  c.pathParams = match.params;

  view.policy = policyOf(c, route);
  if (view.policy !== "allow" && view.policy !== "none") return stop(new GatewayError("ACCESS_DENIED"));

  // Authorization.
  const ref = route.spec.authorizer;
  if (!ref) view.authorization = "none";
  else {
    const liveRef = live.route?.spec.authorizer;
    const same = liveRef && live.bundle && canonicalJson(live.bundle.bundle.authorizers[liveRef.name]) === canonicalJson(candidate.bundle.authorizers[ref.name]) && canonicalJson(liveRef.scopes) === canonicalJson(ref.scopes);
    const liveVerdict = record.authorizers[0];
    if (same && liveVerdict) {
      view.authorization = verdictText(liveVerdict.verdict, liveVerdict.reason);
      c.identity = live.identity;
      if (liveVerdict.verdict !== "allow") return stop(live.error);
    } else {
      const authorizer = authorizersOf(candidate).get(ref.name)!;
      try {
        const identity = authorizer.peek ? await authorizer.peek(c, { scopes: ref.scopes }) : await authorizer.authorize(c, { scopes: ref.scopes });
        if (identity === undefined) {
          skipped.push("custom authorizer: no cached decision (never called twice)");
          return { view: { ...view, authorization: UNKNOWN, outcome: UNKNOWN }, skipped };
        }
        c.identity = identity;
        view.authorization = "allow";
      } catch (e) {
        if (e instanceof BodyUnavailableError) {
          skipped.push("authorizer needs the body, which streamed to the backend");
          return { view: { ...view, authorization: UNKNOWN, outcome: UNKNOWN }, skipped };
        }
        view.authorization = verdictText(e instanceof GatewayError && DENIALS.has(e.type) ? "deny" : "error", e instanceof GatewayError ? `${e.type}: ${e.message}` : undefined);
        return stop(e);
      }
    }
  }

  // API key: the live lookup's answer, never a lookup of its own.
  if (!route.spec.apiKeyRequired) view.apiKey = "not required";
  else if (live.apiKeyId) {
    c.apiKeyId = live.apiKeyId;
    // The live key's plan, if the candidate still has it on this stage.
    const plan = live.usagePlan && candidate.bundle.usagePlans[live.usagePlan]?.stages.includes(live.stage) ? live.usagePlan : undefined;
    c.usagePlan = plan;
    view.apiKey = keyText2("accepted", plan ?? null);
  } else if (record.apiKey?.verdict === "refused" || !keyValue(c, candidate)) {
    // Refused live, or no key sent at all: the candidate refuses too, certainly, with no lookup of its own.
    view.apiKey = keyText2("refused");
    return stop(new GatewayError("INVALID_API_KEY"));
  } else {
    // A key the live route never looked up: whether the candidate accepts it is unknown (never looked up here).
    skipped.push("API key not looked up (the live route takes none)");
    return { view: { ...view, apiKey: UNKNOWN, outcome: UNKNOWN }, skipped };
  }

  // Validation.
  if (!route.spec.validate) view.validation = "none";
  else
    try {
      await checkRequest(c, route);
      view.validation = "passed";
    } catch (e) {
      if (e instanceof BodyUnavailableError) {
        skipped.push("validation needs the body, which streamed to the backend");
        return { view: { ...view, validation: UNKNOWN, outcome: UNKNOWN }, skipped };
      }
      view.validation = `refused: ${e instanceof GatewayError ? `${e.type}: ${e.options.validationError ?? e.options.message ?? e.message}` : "unexpected error"}`;
      return stop(e);
    }

  // Throttle, without charging anything.
  // Matched by the bucket's base key: a sharded bucket's shard is drawn at random per call, so the candidate's
  // draw would almost never be the live request's.
  const verdicts = applicable(c, candidate.bundle, route.spec).map((check) => estimate(check.base, check.level, check.throttle.rate, check.throttle.burst, record.throttle));
  view.throttle = verdicts.map(bucketText);
  if (verdicts.some((v) => !v.admitted && !v.shadow)) return stop(new GatewayError("THROTTLED"));
  const plan = c.usagePlan ? candidate.bundle.usagePlans[c.usagePlan] : undefined;
  if (plan?.quota && !record.quota) {
    // The candidate would charge (and could refuse on) a quota the live request never spent: its outcome is unknown.
    skipped.push("quota not evaluated (it would be charged)");
    view.outcome = UNKNOWN;
  } else if (record.quota && !record.quota.allowed) return stop(new GatewayError("QUOTA_EXCEEDED"));

  view.cache = cacheView(c, route, candidate);
  view.integration = describeTarget(route.spec.integration, c.stageVariables, c.pathParams, c.path);
  if (route.mapping) {
    try {
      const mapped = await mapRequest(c, route.mapping, candidate.bundle);
      view.template = templateText(mapped.templated ? mapped.body : undefined);
    } catch (e) {
      if (e instanceof BodyUnavailableError) {
        skipped.push("request template needs the body, which streamed to the backend");
        view.template = UNKNOWN;
      } else return stop(e);
    }
  } else view.template = templateText(undefined);
  return { view, skipped };
}

const DENIALS = new Set(["UNAUTHORIZED", "ACCESS_DENIED", "INVALID_SIGNATURE", "EXPIRED_TOKEN", "MISSING_AUTHENTICATION_TOKEN"]);

function verdictText(verdict: string, reason?: string): string {
  if (verdict === "allow") return "allow";
  const type = reason?.split(":")[0];
  return type ? `${verdict} (${type})` : verdict;
}

/** The API key the candidate would read (its own apiKeySource), without looking it up. */
function keyValue(c: GatewayContext, candidate: CompiledBundle): string | null | undefined {
  return candidate.bundle.settings.apiKeySource === "AUTHORIZER" ? c.identity?.usageIdentifierKey : c.request.headers.get("x-api-key");
}

function keyText2(verdict: string, plan?: string | null): string {
  return verdict === "accepted" ? `accepted${plan ? ` (plan ${plan})` : ""}` : verdict;
}

function policyOf(ctx: GatewayContext, route: CompiledRoute): string {
  if (!route.policies.length) return "none";
  const cf = ctx.request.cf as { country?: string; asn?: number } | undefined;
  return evaluatePolicies(route.policies, { ip: ctx.clientIp, country: cf?.country, asn: cf?.asn });
}

/**
 * A bucket's verdict for the candidate, from the live request's verdict on the same bucket (never a token taken).
 * `key` is the bucket's base key; a sharded bucket is the same bucket whichever shard served the live request.
 */
function estimate(key: string, level: string, rate: number, burst: number, live: ThrottleVerdict[]): ThrottleVerdict {
  const base = { bucket: key, level, rate, burst, degraded: false };
  const same = live.find((v) => (v.base ?? v.bucket) === key);
  if (!same) return { ...base, admitted: burst >= 1, remaining: Math.max(0, burst - 1), estimate: "a bucket the live version does not have: starts full" };
  if (same.rate === rate && same.burst === burst) return { ...same, bucket: key, estimate: "the live verdict" };
  if (!same.admitted || same.remaining === undefined) return { ...base, admitted: false, estimate: "the live bucket was empty" };
  // Tokens the live bucket had used, applied to the candidate's burst.
  const remaining = burst - (same.burst - same.remaining);
  return { ...base, admitted: remaining >= 0, remaining: Math.max(0, remaining), estimate: "the live bucket's use, under the candidate's limits" };
}

/** A bucket's verdict as compared: by base key (shards are drawn at random), its limits (a shard's share) and verdict. */
function bucketText(v: ThrottleVerdict): string {
  return `${v.base ?? v.bucket} ${v.rate}/s burst ${v.burst}${v.shadow ? " (shadow limit)" : ""}: ${v.admitted ? "admitted" : "refused"}`;
}

function cacheView(ctx: GatewayContext, route: CompiledRoute, bundle: CompiledBundle): string {
  const settings = bundle.bundle.stages[ctx.stage]?.cache;
  if (!settings?.enabled || route.spec.cache?.enabled === false || !settings.methods.includes(ctx.request.method)) return "off";
  const ttl = route.spec.cache?.ttl ?? settings.ttl;
  const identity = identityPart(ctx, route.spec);
  if (ttl === 0 || identity === undefined) return "bypass";
  return `key ${hashKeyText(keyText(ctx, route.spec, identity)).slice(0, 16)} ttl ${ttl}`;
}

/** The backend a route's integration would call: origin and path (or the binding), never the query string. */
export function describeTarget(spec: BundleIntegration, variables: Record<string, string>, params: Record<string, string>, path: string): string {
  switch (spec.type) {
    case "mock":
      return "mock";
    case "http":
    case "http_proxy": {
      try {
        const url = new URL(renderTemplate(compileTemplate(spec.uri), variables, params));
        return spec.service ? `service ${spec.service} (${url.pathname})` : `${spec.type} ${url.origin}${url.pathname}`;
      } catch {
        return `${spec.type} (unrenderable URI)`;
      }
    }
    case "service":
      if (spec.payloadFormat === "raw") return `service ${spec.service} (${spec.path ? renderTemplate(compileTemplate(spec.path), variables, params) : path})`;
      return `service ${spec.service} (Lambda ${spec.payloadFormat} event${spec.responseTransferMode === "STREAM" ? ", streamed" : ""})`;
    case "aws":
      // The service, region and action or path template: never the rendered path (it may carry the client's values).
      return `aws ${spec.service} ${spec.subtype ?? `${spec.form} ${spec.target}`} (${spec.region})`;
    case "queue":
      return `queue ${spec.queue}${spec.batch ? " (batch)" : ""}`;
    case "r2":
      return `r2 ${spec.bucket} (${spec.action})`;
    case "workflow":
      return `workflow ${spec.workflow} (${spec.action})`;
  }
}

/** A mapped body as its size and hash: compared, never kept (it may hold anything the client sent). */
function templateText(body: string | Uint8Array | null | undefined): string {
  if (body === undefined) return "no request template";
  if (body === null) return "empty";
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  return `${bytes.byteLength} bytes, sha256 ${bytesToHex(sha256(bytes)).slice(0, 12)}`;
}
