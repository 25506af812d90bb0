/**
 * Counting a request against its usage plan's quota. One UsageQuota call per metered request (quotas must be
 * exact and durable, unlike rate limits); the request id makes a retried call count once. An object that errors
 * or does not answer within QUOTA_WAIT_MS fails open by default (the request is served, uncounted, and marked
 * degraded) or closed when the plan says so.
 */
import { orPrevious, valueOf } from "../../durable-objects/contract.ts";
import { USAGE_QUOTA_CONTRACT, type QuotaReply, type QuotaSpec } from "../../durable-objects/usage-quota/index.ts";
import { withTimeout } from "../deploy/registry-client.ts";
import type { Env } from "../env.ts";

export const QUOTA_WAIT_MS = 500;

export const quotaObjectName = (api: string, plan: string, keyId: string) => `${api}/${plan}/${keyId}`;

export interface QuotaDecision {
  allowed: boolean;
  remaining: number | null;
  resetAt: number | null;
  degraded: boolean;
}

export async function consumeQuota(
  env: Env,
  input: { api: string; plan: string; keyId: string; quota: QuotaSpec; failClosed: boolean; opId: string },
): Promise<QuotaDecision> {
  const stub = env.USAGE_QUOTA.get(env.USAGE_QUOTA.idFromName(quotaObjectName(input.api, input.plan, input.keyId)));
  try {
    // `consume` answers for an object still running the previous release (a deploy rolling out).
    const counted = orPrevious(
      async () => valueOf<QuotaReply>(await stub.count({ v: USAGE_QUOTA_CONTRACT, spec: input.quota, opId: input.opId }), USAGE_QUOTA_CONTRACT, "UsageQuota"),
      () => stub.consume(input.quota, input.opId),
    );
    const reply = await withTimeout(counted, QUOTA_WAIT_MS, "the quota counter");
    return { allowed: reply.allowed, remaining: reply.remaining, resetAt: reply.resetAt, degraded: false };
  } catch (err) {
    console.error(JSON.stringify({ level: "warn", event: "quota-degraded", plan: `${input.api}/${input.plan}`, key: input.keyId, reason: (err as Error).message }));
    return { allowed: !input.failClosed, remaining: null, resetAt: null, degraded: true };
  }
}
