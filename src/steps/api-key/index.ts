/**
 * API key: on a route with `apiKeyRequired`, the caller's key (`x-api-key`, or the custom authorizer's
 * `usageIdentifierKey` when the API says so) must exist, be enabled and cover this stage — directly (its
 * `stages`) or through one of its usage plans (Amazon's way) — else Amazon's 403 `{"message":"Forbidden"}`.
 * The covering plan's throttle and quota then apply (throttle step). Keys are looked up by hash in the KeyStore
 * shard the hash belongs to (never one global object) and remembered per isolate for the Registry memo bound, so a
 * disabled key stops working within that bound (never waiting on KV). Lookups of values never seen are budgeted per
 * client: past it, 429 (retryable), never 403.
 */
import type { Env } from "../../env.ts";
import { KeyStoreClient } from "../../deploy/key-store-client.ts";
import { withTimeout } from "../../deploy/registry-client.ts";
import { DEFAULT_MEMO_MS } from "../../deploy/registry-source.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import type { GatewayContext, Next, StepFactory } from "../../pipeline/step.ts";
import { DecisionRecord } from "../../observability/explain.ts";
import { hashKey, wellFormedKey } from "../../security/api-keys.ts";
import { LookupBudget } from "../../security/lookup-budget.ts";
import { retryAfter } from "../../throttle/headers.ts";
import type { KeyLookup } from "../../deploy/types.ts";
import { covers } from "../../../durable-objects/key-store/keys.ts";

const MAX_MEMO = 50_000;
const MAX_UNKNOWN = 10_000;

/**
 * What an isolate knows about key values, per pipeline: keys found (kept apart, so a flood of made-up values can
 * never evict them), values found to be unknown (a negative cache: a repeated made-up value costs no lookup), and
 * the budget for lookups of values never seen (security/lookup-budget.ts).
 */
class KeyLookups {
  readonly #known = new Map<string, { key: KeyLookup; until: number }>();
  readonly #unknown = new Map<string, number>();
  readonly #budget = new LookupBudget();
  /** Made on first use (the environment arrives with a request); remembers the recorded shard count. */
  #store: KeyStoreClient | undefined;

  /**
   * The key a value names, or null. Memoised by the value itself (an exact match, as for JWTs): a memo hit costs no
   * digest; the shape check and the hash are paid only when the Registry has to be asked.
   */
  async lookup(env: Env, value: string, clientIp: string): Promise<KeyLookup | null> {
    const now = Date.now();
    const known = this.#known.get(value);
    if (known && known.until > now) return known.key;
    const unknownUntil = this.#unknown.get(value);
    if (unknownUntil !== undefined && unknownUntil > now) return null;
    // A duplicated header arrives joined ("a, b") and fails the shape check, as does anything made up.
    if (!(await wellFormedKey(value))) throw new GatewayError("INVALID_API_KEY", { detail: "malformed API key" });
    // A key this isolate has accepted before is always looked up again; any other value spends the client's budget.
    // Over it: 429, retryable — the value may well be a real key, and must not be refused as if it were not.
    if (!known) {
      const waitMs = this.#budget.spend(clientIp, now);
      if (waitMs > 0)
        throw new GatewayError("THROTTLED", {
          headers: Object.fromEntries([retryAfter(waitMs)]),
          detail: `too many lookups of unseen API keys from ${clientIp || "an unknown address"}; not looked up`,
        });
    }
    // Fail closed: a key that cannot be checked is not accepted.
    this.#store ??= new KeyStoreClient(env);
    const key = await withTimeout(this.#store.lookup(await hashKey(value)), 2000, "the key store").catch((err: unknown) => {
      throw new GatewayError("INVALID_API_KEY", { detail: `api key lookup failed: ${(err as Error).message}` });
    });
    const until = now + (Number(env.REGISTRY_MEMO_MS) || DEFAULT_MEMO_MS);
    if (key) {
      remember(this.#known, value, { key, until }, MAX_MEMO);
      this.#unknown.delete(value);
    } else {
      remember(this.#unknown, value, until, MAX_UNKNOWN);
      this.#known.delete(value); // a deleted or rotated key is not "seen" any more
    }
    return key;
  }
}

function remember<T>(map: Map<string, T>, key: string, value: T, max: number): void {
  map.delete(key);
  if (map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, value);
}

export const apiKey: StepFactory = () => {
  const keys = new KeyLookups();
  return async function apiKey(ctx, next) {
    if (!ctx.route?.spec.apiKeyRequired) return next();
    if (!ctx.explain) return checkKey(ctx, next);
    try {
      const res = checkKey(ctx, next, true);
      return await res;
    } catch (err) {
      if (ctx.explain.apiKey === undefined) {
        const e = err instanceof GatewayError ? err : undefined;
        ctx.explain.apiKey = { required: true, verdict: "refused", ...(ctx.apiKeyId ? { keyId: ctx.apiKeyId } : {}), ...(e ? { reason: DecisionRecord.reason(`${e.type}: ${e.message}`) } : {}) };
      }
      throw err;
    }
  };

  async function checkKey(ctx: GatewayContext, next: Next, explained = false): Promise<Response> {
    const fromAuthorizer = ctx.bundle!.bundle.settings.apiKeySource === "AUTHORIZER";
    const value = fromAuthorizer ? ctx.identity?.usageIdentifierKey : ctx.request.headers.get("x-api-key");
    if (!value) throw new GatewayError("INVALID_API_KEY", { detail: "no API key" });
    const key = await keys.lookup(ctx.env, value, ctx.clientIp);
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
    if (explained && ctx.explain) ctx.explain.apiKey = { required: true, keyId: key.id, plan: plan ?? null, verdict: "accepted" };
    return next();
  }
};
