/**
 * API key: on a route with `apiKeyRequired`, the caller's key (`x-api-key`, or the custom authorizer's
 * `usageIdentifierKey` when the API says so) must exist, be enabled and cover this stage — directly (its
 * `stages`) or through one of its usage plans (Amazon's way) — else Amazon's 403 `{"message":"Forbidden"}`.
 * The covering plan's throttle and quota then apply (throttle stage). Keys are looked up by hash in the Registry and remembered per isolate for the
 * Registry memo bound, so a disabled key stops working within that bound (never waiting on KV).
 */
import type { Env } from "../../env.ts";
import { registryKeys, withTimeout } from "../../deploy/registry-client.ts";
import { DEFAULT_MEMO_MS } from "../../deploy/registry-source.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import type { StageFactory } from "../../pipeline/stage.ts";
import { hashKey, wellFormedKey } from "../../security/api-keys.ts";
import type { KeyLookup } from "../../../durable-objects/registry/keys.ts";
import { covers } from "../../../durable-objects/registry/keys.ts";

const MAX_MEMO = 50_000;
const memo = new Map<string, { key: KeyLookup | null; until: number }>();

/**
 * Lookups of values this isolate has never seen are limited per second: well-formed keys can be made up offline
 * (the check characters are not secret), and each one would otherwise cost a call to the Registry's keys object.
 * A key seen before always gets its lookup; past the budget, unseen values are refused (fail closed).
 */
export const UNSEEN_LOOKUPS_PER_SECOND = 100;
let budget = { second: 0, used: 0 };

function spendUnseenLookup(now: number): boolean {
  const second = Math.floor(now / 1000);
  if (budget.second !== second) budget = { second, used: 0 };
  return ++budget.used <= UNSEEN_LOOKUPS_PER_SECOND;
}

/**
 * The key a value names. Memoised by the value itself (an exact match, as for JWTs): a memo hit costs no digest;
 * the shape check and the hash are paid only when the Registry has to be asked.
 */
async function lookup(env: Env, value: string): Promise<KeyLookup | null> {
  const now = Date.now();
  const known = memo.get(value);
  if (known && known.until > now) return known.key;
  // A duplicated header arrives joined ("a, b") and fails the shape check, as does anything made up.
  if (!(await wellFormedKey(value))) throw new GatewayError("INVALID_API_KEY", { detail: "malformed API key" });
  if (!known && !spendUnseenLookup(now))
    throw new GatewayError("INVALID_API_KEY", { detail: "too many lookups of unseen API keys in this isolate; refused without a lookup" });
  // Fail closed: a key that cannot be checked is not accepted.
  const key = await withTimeout(registryKeys(env).lookupKey(await hashKey(value)), 2000, "the Registry").catch((err: unknown) => {
    throw new GatewayError("INVALID_API_KEY", { detail: `api key lookup failed: ${(err as Error).message}` });
  });
  if (memo.size >= MAX_MEMO) memo.delete(memo.keys().next().value!);
  memo.set(value, { key, until: now + (Number(env.REGISTRY_MEMO_MS) || DEFAULT_MEMO_MS) });
  return key;
}

export const apiKey: StageFactory = () =>
  async function apiKey(ctx, next) {
    if (!ctx.route?.spec.apiKeyRequired) return next();
    const fromAuthorizer = ctx.bundle!.bundle.settings.apiKeySource === "AUTHORIZER";
    const value = fromAuthorizer ? ctx.identity?.usageIdentifierKey : ctx.request.headers.get("x-api-key");
    if (!value) throw new GatewayError("INVALID_API_KEY", { detail: "no API key" });
    const key = await lookup(ctx.env, value);
    if (!key) throw new GatewayError("INVALID_API_KEY", { detail: "unknown API key" });
    if (!key.enabled) throw new GatewayError("INVALID_API_KEY", { detail: `API key ${key.id} is disabled` });
    const plans = ctx.bundle!.bundle.usagePlans;
    const plan = key.plans
      .filter((p) => p.startsWith(`${ctx.api}/`))
      .map((p) => p.slice(ctx.api.length + 1))
      .find((name) => Object.hasOwn(plans, name) && plans[name]!.stages.includes(ctx.stage));
    if (!plan && !covers(key.stages, ctx.api, ctx.stage))
      throw new GatewayError("INVALID_API_KEY", { detail: `API key ${key.id} does not cover ${ctx.api}/${ctx.stage}` });
    ctx.apiKeyId = key.id;
    ctx.usagePlan = plan;
    return next();
  };
