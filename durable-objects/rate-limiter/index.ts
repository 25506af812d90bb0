/**
 * RateLimiter: one token bucket per object (one object per bucket key: `stage:petstore:prod:3`,
 * `plan:petstore:basic:<keyId>` …; hot buckets are sharded by their callers). Isolates lease tokens in batches
 * (src/throttle/lease.ts), so a call admits many requests. The bucket is kept in SQLite (table `bucket`, STORAGE.md)
 * so a restart neither refills nor forgets it. RPC contract RATE_LIMITER_CONTRACT (`acquire`, `probe`); `lease` and
 * `peek` are the previous release's (contract v0), answered for one release (durable-objects/contract.ts).
 */
import { DurableObject } from "cloudflare:workers";
import { fullBucket, take, type BucketConfig, type BucketState } from "../../src/throttle/bucket.ts";
import { ok, unknownContract, type Reply } from "../contract.ts";
import type { RateLimiterEnv } from "./env.ts";

export const RATE_LIMITER_CONTRACT = 1;

export interface AcquireCall {
  v: number;
  /** The bucket's rate and burst, sent with every call so a redeployed limit applies at once. */
  bucket: BucketConfig;
  want: number;
  min: number;
}

export interface ProbeCall {
  v: number;
  bucket: BucketConfig;
}

const validBucket = (b: BucketConfig | undefined) => !!b && Number.isFinite(b.rate) && b.rate >= 0 && Number.isFinite(b.burst) && b.burst >= 0;

export interface LeaseReply {
  granted: number;
  /** Whole tokens left after this grant (the isolate sizes its next lease from it). */
  remaining: number;
  retryAfterMs: number;
}

export class RateLimiter extends DurableObject<RateLimiterEnv> {
  #state: BucketState | undefined;

  constructor(ctx: DurableObjectState, env: RateLimiterEnv) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS bucket (id INTEGER PRIMARY KEY CHECK (id = 1), tokens REAL NOT NULL, updated_at INTEGER NOT NULL)");
    const row = ctx.storage.sql.exec<{ tokens: number; updated_at: number }>("SELECT tokens, updated_at FROM bucket WHERE id = 1").toArray()[0];
    if (row) this.#state = { tokens: row.tokens, updatedAt: row.updated_at };
  }

  /** Takes between `min` and `want` tokens for the caller, or none with the wait until `min` are back. */
  acquire(call: AcquireCall): Reply<LeaseReply> {
    if (call?.v !== RATE_LIMITER_CONTRACT) return unknownContract(RATE_LIMITER_CONTRACT, call);
    if (!validBucket(call.bucket) || !Number.isFinite(call.want) || !Number.isFinite(call.min))
      return { v: RATE_LIMITER_CONTRACT, ok: false, status: 400, message: "bucket, want and min must be numbers" };
    return ok(RATE_LIMITER_CONTRACT, this.#take(call.bucket, call.want, call.min));
  }

  /** The bucket as it stands, taking nothing: an isolate's health probe while it decides without this object. */
  probe(call: ProbeCall): Reply<BucketState> {
    if (call?.v !== RATE_LIMITER_CONTRACT) return unknownContract(RATE_LIMITER_CONTRACT, call);
    if (!validBucket(call.bucket)) return { v: RATE_LIMITER_CONTRACT, ok: false, status: 400, message: "bucket must have a rate and a burst" };
    return ok(RATE_LIMITER_CONTRACT, this.#state ?? fullBucket(call.bucket, Date.now()));
  }

  /** @deprecated contract v0: `acquire`. */
  lease(config: BucketConfig, want: number, min: number): LeaseReply {
    return this.#take(config, want, min);
  }

  /** @deprecated contract v0: `probe` (tests also read a bucket with it). */
  peek(config: BucketConfig): BucketState {
    return this.#state ?? fullBucket(config, Date.now());
  }

  #take(config: BucketConfig, want: number, min: number): LeaseReply {
    const now = Date.now();
    // A bucket seen for the first time (or whose burst shrank below its tokens) starts full, as Amazon's do.
    const state = this.#state ?? fullBucket(config, now);
    const result = take(state, config, Math.max(1, Math.floor(want)), Math.max(1, Math.min(Math.floor(min), Math.floor(want))), now);
    this.#state = result.state;
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO bucket (id, tokens, updated_at) VALUES (1, ?, ?)", result.state.tokens, result.state.updatedAt);
    return { granted: result.granted, remaining: Math.floor(result.state.tokens), retryAfterMs: result.retryAfterMs };
  }
}
