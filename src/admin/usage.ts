/**
 * Admin routes for usage-plan quotas, in Amazon's shapes. GetUsage: requests and remaining quota per key per day
 * (`items: {"<keyId>": [[used, remaining], …one pair per day]}`). UpdateUsage: grant extra requests for the
 * current period, or set what remains of it.
 *
 * The plan is read from the stable bundles the API's stages serve (the most recently changed stage whose bundle
 * defines it); its keys from the KeyStore shards; counts from each key's UsageQuota object, one call
 * per key. A day's `remaining` is the quota left in that day's period at the end of that day (limit + the
 * period's grants and resets − requests from the period's start through that day). A plan without a quota has
 * `remaining: null`; Portico counts requests only to enforce a quota, so `used` then shows only what was
 * counted while a version of the plan had one.
 */
import type { Hono } from "hono";
import type { Bundle, BundleUsagePlan } from "../config/bundle.ts";
import type { FieldError } from "../config/field-errors.ts";
import { KeyStoreClient } from "../deploy/key-store-client.ts";
import { registryFor } from "../deploy/registry-client.ts";
import { REGISTRY_CONTRACT } from "../../durable-objects/registry/contract.ts";
import type { ServingState } from "../deploy/types.ts";
import type { Env } from "../env.ts";
import { quotaObjectName } from "../throttle/quota.ts";
import { valueOf } from "../../durable-objects/contract.ts";
import { USAGE_QUOTA_CONTRACT as UQ, type QuotaReply } from "../../durable-objects/usage-quota/index.ts";
import { AdminError, FieldChecker, readJsonObject, param, registryAnswer, API_NAME, ITEM_NAME } from "./http.ts";

const PLAN_NAME = ITEM_NAME;
const KEY_ID = /^[0-9a-f]{20}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;
/** The longest GetUsage range, in days (a leap year). */
export const MAX_USAGE_DAYS = 366;
const MAX_ADJUSTMENT = 2_000_000_000;

type AdminApp = Hono<{ Bindings: Env }>;


/** `from`/`to` of a GetUsage query: real dates, in order, at most MAX_USAGE_DAYS apart (inclusive). */
export function usageRange(query: Record<string, string>): { from: string; to: string } {
  const errors: FieldError[] = [];
  for (const name of Object.keys(query)) if (!["from", "to", "key"].includes(name)) errors.push({ path: [name], message: "unknown parameter (from, to, key)" });
  const day = (name: "from" | "to"): number | undefined => {
    const value = query[name];
    if (!value) return void errors.push({ path: [name], message: "required: a date YYYY-MM-DD (UTC)" });
    const ms = Date.parse(`${value}T00:00:00Z`);
    // Date.parse accepts 2024-02-30 (as March 1st): the round trip catches it.
    if (!DATE.test(value) || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value)
      return void errors.push({ path: [name], message: "must be a date YYYY-MM-DD (UTC)" });
    return ms;
  };
  const from = day("from");
  const to = day("to");
  if (from !== undefined && to !== undefined) {
    if (from > to) errors.push({ path: ["to"], message: "must not be before from" });
    else if ((to - from) / DAY_MS + 1 > MAX_USAGE_DAYS) errors.push({ path: ["to"], message: `the range may span at most ${MAX_USAGE_DAYS} days` });
  }
  if (errors.length) throw new AdminError(400, "invalid request", errors);
  return { from: query.from!, to: query.to! };
}

/** The plan as the API's stages serve it (most recently changed stage first), or 404. */
async function servedPlan(env: Env, api: string, plan: string): Promise<BundleUsagePlan> {
  const registry = registryFor(env, api);
  const state = registryAnswer<ServingState>(await registry.serving({ v: REGISTRY_CONTRACT, api }));
  if (!state.api) throw new AdminError(404, `no API "${api}" has been deployed`);
  const seen = new Set<string>();
  for (const stage of Object.values(state.stages).sort((a, b) => b.updatedAt - a.updatedAt)) {
    if (seen.has(stage.deploymentId)) continue;
    seen.add(stage.deploymentId);
    const text = registryAnswer<string | null>(await registry.bundle({ v: REGISTRY_CONTRACT, id: stage.deploymentId }));
    const plans = text ? (JSON.parse(text) as Partial<Bundle>).usagePlans : undefined;
    if (plans && Object.hasOwn(plans, plan)) return plans[plan]!;
  }
  throw new AdminError(404, `API ${api} has no usage plan "${plan}" in the versions its stages serve`);
}

async function keysOfPlan(env: Env, planId: string, only: string | undefined): Promise<string[]> {
  const ids = (await new KeyStoreClient(env).inPlan(planId)).map((k) => k.id);
  if (only === undefined) return ids;
  if (!KEY_ID.test(only) || !ids.includes(only)) throw new AdminError(404, `no API key ${only} in usage plan ${planId}`);
  return [only];
}

const quotaStub = (env: Env, api: string, plan: string, keyId: string) => env.USAGE_QUOTA.get(env.USAGE_QUOTA.idFromName(quotaObjectName(api, plan, keyId)));

/** Every day of [from, to] as YYYY-MM-DD. */
function daysOf(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`), end = Date.parse(`${to}T00:00:00Z`); t <= end; t += DAY_MS) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

export function usageRoutes(app: AdminApp): void {
  app.get("/apis/:api/plans/:plan/usage", async (c) => {
    const api = param(c.req.param("api"), API_NAME, "api");
    const plan = param(c.req.param("plan"), PLAN_NAME, "plan");
    const query = c.req.query();
    const { from, to } = usageRange(query);
    const spec = await servedPlan(c.env, api, plan);
    const planId = `${api}/${plan}`;
    const keys = await keysOfPlan(c.env, planId, query.key);
    const days = daysOf(from, to);
    const items: Record<string, [number, number | null][]> = {};
    await Promise.all(
      keys.map(async (keyId) => {
        const stub = quotaStub(c.env, api, plan, keyId);
        if (spec.quota) {
          const report = valueOf<{ used: number; remaining: number }[]>(await stub.dailyReport({ v: UQ, spec: spec.quota, fromDay: from, toDay: to }), UQ, "UsageQuota");
          items[keyId] = report.map((d) => [d.used, d.remaining]);
        } else {
          const daily = valueOf<{ day: string; count: number }[]>(await stub.dailyCounts({ v: UQ, fromDay: from, toDay: to }), UQ, "UsageQuota");
          const counts = new Map(daily.map((d) => [d.day, d.count]));
          items[keyId] = days.map((d) => [counts.get(d) ?? 0, null]);
        }
      }),
    );
    // Keys in a stable order (as the key store lists them), whatever order their objects answered in.
    return c.json({ usagePlanId: planId, startDate: from, endDate: to, position: null, items: Object.fromEntries(keys.map((k) => [k, items[k]!])) });
  });

  app.post("/apis/:api/plans/:plan/usage/:keyId", async (c) => {
    const api = param(c.req.param("api"), API_NAME, "api");
    const plan = param(c.req.param("plan"), PLAN_NAME, "plan");
    const body = await readJsonObject(c.req.raw);
    const check = new FieldChecker(body);
    const grant = check.number("grant", { integer: true, min: -MAX_ADJUSTMENT, max: MAX_ADJUSTMENT });
    const remaining = check.number("remaining", { integer: true, min: 0, max: MAX_ADJUSTMENT });
    const given = (field: string) => body[field] !== undefined && body[field] !== null;
    if (given("grant") && given("remaining")) check.fail(["remaining"], "give either grant or remaining, not both");
    if (!given("grant") && !given("remaining")) check.fail(["grant"], "required: grant (requests to add this period) or remaining (what is left of it)");
    for (const field of Object.keys(body)) if (!["grant", "remaining"].includes(field)) check.fail([field], "unknown field (grant, remaining)");
    check.done();
    const spec = await servedPlan(c.env, api, plan);
    const [keyId] = await keysOfPlan(c.env, `${api}/${plan}`, c.req.param("keyId"));
    if (!spec.quota) throw new AdminError(409, `usage plan ${api}/${plan} has no quota to update`);
    const change = grant !== undefined ? { grant } : { remaining: remaining! };
    const reply = valueOf<QuotaReply>(await quotaStub(c.env, api, plan, keyId!).amend({ v: UQ, spec: spec.quota, change }), UQ, "UsageQuota");
    return c.json({ used: reply.used, remaining: reply.remaining, resetAt: reply.resetAt });
  });
}
