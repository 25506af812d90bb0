/**
 * Throttle and quota. Every bucket that applies must admit the request, narrowest first: for a request whose API
 * key belongs to a usage plan, the plan's bucket for that key and route, then for that key; then the route's, the
 * stage's (sharded when fast) and the account's (gateway-wide, sharded). Then the plan's quota counts it. Refusals: 429
 * `{"message":"Too Many Requests"}` with Retry-After and RateLimit headers, or 429 `{"message":"Limit Exceeded"}`
 * for a spent quota; the backend is not called. A `shadow` limit only marks the response it would have refused.
 */
import type { Bundle, BundleRoute, BundleThrottle } from "../../config/bundle.ts";
import type { Env } from "../../env.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import type { GatewayContext, StepFactory } from "../../pipeline/step.ts";
import { Limiter } from "../../throttle/lease.ts";
import { rateLimitHeaders, retryAfter } from "../../throttle/headers.ts";
import { consumeQuota } from "../../throttle/quota.ts";

export const SHADOW_HEADER = "x-portico-throttle-shadow";

export interface Check {
  level: string;
  key: string;
  /** The bucket's key without its shard (`key` itself when not sharded): what shadow evaluation compares. */
  base: string;
  throttle: BundleThrottle;
  failClosed: boolean;
}

/** Buckets faster than this many requests per second are split into shards (each a share of rate and burst). */
const REQUESTS_PER_SHARD = 1000;
const MAX_SHARDS = 16;

/** Per throttle config: how many shards, and one shard's share (computed once, not per request). */
const shardPlans = new WeakMap<BundleThrottle, { shards: number; share: BundleThrottle }>();

function sharded(level: string, base: string, t: BundleThrottle, failClosed: boolean): Check {
  let plan = shardPlans.get(t);
  if (!plan) {
    // Never more shards than burst tokens: each shard needs one, and their sum must stay the burst.
    const shards = Math.min(MAX_SHARDS, t.burst, Math.max(1, Math.ceil(t.rate / REQUESTS_PER_SHARD)));
    plan = { shards, share: shards === 1 ? t : { ...t, rate: t.rate / shards, burst: Math.max(1, Math.floor(t.burst / shards)) } };
    shardPlans.set(t, plan);
  }
  if (plan.shards === 1) return { level, key: base, base, throttle: t, failClosed };
  return { level, key: `${base}:${Math.floor(Math.random() * plan.shards)}`, base, throttle: plan.share, failClosed };
}

let accountMemo: { rate: unknown; burst: unknown; value: BundleThrottle | null } | undefined;

export function accountThrottle(env: Env): BundleThrottle | null {
  if (accountMemo && accountMemo.rate === env.ACCOUNT_RATE && accountMemo.burst === env.ACCOUNT_BURST) return accountMemo.value;
  const rate = Number(env.ACCOUNT_RATE);
  const burst = Number(env.ACCOUNT_BURST);
  const value = rate > 0 && burst > 0 ? { rate, burst, strict: false, shadow: false } : null;
  accountMemo = { rate: env.ACCOUNT_RATE, burst: env.ACCOUNT_BURST, value };
  return value;
}

/** The buckets a request must pass, narrowest first (shadow evaluation asks the same of a candidate version). */
export function applicable(ctx: Pick<GatewayContext, "api" | "stage" | "usagePlan" | "apiKeyId" | "env">, bundle: Bundle, route: BundleRoute): Check[] {
  const { api, stage } = ctx;
  const checks: Check[] = [];
  // Narrowest first, so a refusal never spends a wider bucket's token: a caller over its own plan is refused by
  // its own buckets before it touches the route's, the stage's or the account's that everyone shares.
  const plan = ctx.usagePlan ? bundle.usagePlans[ctx.usagePlan] : undefined;
  if (plan && ctx.apiKeyId) {
    const closed = plan.failMode === "closed";
    const perRoute = plan.routeThrottles[route.key];
    if (perRoute) {
      const key = `planroute:${api}:${ctx.usagePlan}:${ctx.apiKeyId}:${route.key}`;
      checks.push({ level: "plan-route", key, base: key, throttle: perRoute, failClosed: closed });
    }
    if (plan.throttle) {
      const key = `plan:${api}:${ctx.usagePlan}:${ctx.apiKeyId}`;
      checks.push({ level: "plan", key, base: key, throttle: plan.throttle, failClosed: closed });
    }
  }
  if (route.throttle) checks.push(sharded("route", `route:${api}:${stage}:${route.key}`, route.throttle, false));
  const stageThrottle = bundle.stages[stage]?.throttle;
  if (stageThrottle) checks.push(sharded("stage", `stage:${api}:${stage}`, stageThrottle, false));
  const account = accountThrottle(ctx.env);
  if (account) checks.push(sharded("account", "account", account, false));
  return checks;
}

export const throttle: StepFactory = () => {
  let limiter: Limiter | undefined;
  return async function throttle(ctx, next) {
    if (!ctx.route) return next();
    if (!limiter) {
      // Capture the binding, not `ctx`: the closure lives as long as the isolate and must not pin a request.
      const env = ctx.env;
      limiter = new Limiter(() => env.RATE_LIMITER);
    }
    const style = ctx.bundle!.bundle.settings.rateLimitHeaders;
    let tightest: [string, string][] | undefined;
    let tightestRemaining = Infinity;
    for (const check of applicable(ctx, ctx.bundle!.bundle, ctx.route.spec)) {
      const decision = await limiter.check(check.key, check.throttle, check.failClosed, ctx.exec);
      ctx.throttleChecks++;
      if (decision.degraded) ctx.degradedDecisions++;
      if (ctx.explain)
        ctx.explain.throttle.push({
          bucket: check.key,
          ...(check.base !== check.key ? { base: check.base } : {}),
          level: check.level,
          rate: check.throttle.rate,
          burst: check.throttle.burst,
          admitted: decision.admitted,
          ...(decision.admitted ? { remaining: decision.remaining } : { retryAfterMs: decision.retryAfterMs }),
          degraded: decision.degraded,
          ...(check.throttle.shadow ? { shadow: true } : {}),
        });
      if (decision.admitted) {
        // The gateway-wide bucket is the operator's business: its headroom is not advertised to clients. Nor is
        // a decision made without the limiter: it says nothing about the bucket.
        if (style && check.level !== "account" && !decision.degraded && decision.remaining < tightestRemaining) {
          tightestRemaining = decision.remaining;
          tightest = rateLimitHeaders(style, check.level, check.throttle, decision.remaining, (1 / check.throttle.rate) * 1000);
        }
        continue;
      }
      if (check.throttle.shadow) {
        ctx.responseHeaders.push([SHADOW_HEADER, check.level]);
        continue;
      }
      // The account bucket's size is the operator's business: its 429 says when to retry, not what the limit is.
      const advertised = style && check.level !== "account" && !decision.degraded ? rateLimitHeaders(style, check.level, check.throttle, 0, decision.retryAfterMs) : [];
      const headers = Object.fromEntries([retryAfter(decision.retryAfterMs), ...advertised]);
      throw new GatewayError("THROTTLED", { headers, detail: `throttled by ${check.key}` });
    }

    const plan = ctx.usagePlan ? ctx.bundle!.bundle.usagePlans[ctx.usagePlan] : undefined;
    if (plan?.quota && ctx.apiKeyId) {
      const quota = await consumeQuota(ctx.env, {
        api: ctx.api,
        plan: ctx.usagePlan!,
        keyId: ctx.apiKeyId,
        quota: plan.quota,
        failClosed: plan.failMode === "closed",
        opId: ctx.requestId,
      });
      ctx.throttleChecks++;
      if (quota.degraded) ctx.degradedDecisions++;
      if (ctx.explain) ctx.explain.quota = { allowed: quota.allowed, remaining: quota.remaining, degraded: quota.degraded };
      if (!quota.allowed)
        throw new GatewayError("QUOTA_EXCEEDED", {
          headers: Object.fromEntries([retryAfter(Math.max(1000, (quota.resetAt ?? Date.now() + 1000) - Date.now()))]),
          detail: `quota of ${ctx.usagePlan} spent for key ${ctx.apiKeyId}`,
        });
    }
    if (tightest) ctx.responseHeaders.push(...tightest);
    return next();
  };
};
