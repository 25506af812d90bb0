/**
 * The isolate side of throttling: tokens are leased from the bucket's RateLimiter in batches (bucket.ts
 * `leaseSize`) and spent locally, so most requests make no Durable Object call. When the limiter says the bucket
 * is empty, "empty until T" is remembered here and requests are refused locally until T: a key under attack stays
 * off its object. Concurrent requests share one lease call per bucket (single flight).
 *
 * Error bound: the limiter never hands out more tokens than the bucket holds, so the only overshoot is tokens
 * leased but not yet spent when the bucket refills — at most (isolates holding a lease) × (lease size), and only
 * for a second, because unspent leased tokens expire after LEASE_TTL_MS.
 *
 * A limiter that errors or does not answer within LIMITER_WAIT_MS leaves the decision to an in-isolate bucket of
 * the same size (fail open, the default) or refuses (fail closed); either way the decision is marked degraded.
 */
import type { RateLimiter } from "../../durable-objects/rate-limiter/index.ts";
import { awaitShared, withTimeout } from "../deploy/registry-client.ts";
import { fullBucket, leaseSize, take, type BucketConfig, type BucketState } from "./bucket.ts";

export const LEASE_TTL_MS = 1000;
export const LIMITER_WAIT_MS = 250;

export interface LimitSpec extends BucketConfig {
  strict: boolean;
}

export type Decision =
  | { admitted: true; remaining: number; degraded: boolean }
  | { admitted: false; retryAfterMs: number; degraded: boolean };

interface Local {
  tokens: number;
  expiresAt: number;
  emptyUntil: number;
  /** The bucket's whole tokens after our last lease, plus what we hold: an estimate for RateLimit headers. */
  remaining: number;
  pending: Promise<void> | undefined;
  fallback: BucketState | undefined;
}

const MAX_LOCAL = 100_000;

export class Limiter {
  readonly #namespace: () => DurableObjectNamespace<RateLimiter>;
  readonly #waitMs: number;
  readonly #buckets = new Map<string, Local>();

  constructor(namespace: () => DurableObjectNamespace<RateLimiter>, waitMs = LIMITER_WAIT_MS) {
    this.#namespace = namespace;
    this.#waitMs = waitMs;
  }

  #local(key: string): Local {
    let b = this.#buckets.get(key);
    if (!b) {
      if (this.#buckets.size >= MAX_LOCAL) this.#buckets.delete(this.#buckets.keys().next().value!);
      b = { tokens: 0, expiresAt: 0, emptyUntil: 0, remaining: 0, pending: undefined, fallback: undefined };
      this.#buckets.set(key, b);
    }
    return b;
  }

  /** Whether the bucket `key` admits one request. */
  async check(key: string, spec: LimitSpec, failClosed: boolean): Promise<Decision> {
    const b = this.#local(key);
    for (;;) {
      const now = Date.now();
      if (b.emptyUntil > now) return { admitted: false, retryAfterMs: b.emptyUntil - now, degraded: false };
      if (!spec.strict && b.tokens >= 1 && b.expiresAt > now) {
        b.tokens--;
        return { admitted: true, remaining: b.remaining + Math.floor(b.tokens), degraded: false };
      }
      if (b.pending && !spec.strict) {
        // Another request's lease: use it, unless it outlives our own wait (then lease for ourselves).
        if (await awaitShared(b.pending, this.#waitMs * 2)) continue;
        b.pending = undefined;
      }
      const { want, min } = leaseSize(spec, spec.strict);
      let reply: { granted: number; remaining: number; retryAfterMs: number } | undefined;
      const call = withTimeout(this.#namespace().get(this.#namespace().idFromName(key)).lease(spec, want, min), this.#waitMs, "the rate limiter")
        .then((r) => void (reply = r))
        .catch((err: unknown) => {
          console.error(JSON.stringify({ level: "warn", event: "limiter-degraded", bucket: key, reason: (err as Error).message, failMode: failClosed ? "closed" : "open" }));
        });
      if (!spec.strict) b.pending = call;
      await call;
      if (!spec.strict) b.pending = undefined;

      if (!reply) return this.#degraded(b, spec, failClosed);
      const at = Date.now();
      if (reply.granted === 0) {
        b.emptyUntil = at + reply.retryAfterMs;
        return { admitted: false, retryAfterMs: reply.retryAfterMs, degraded: false };
      }
      b.remaining = reply.remaining;
      if (spec.strict) return { admitted: true, remaining: reply.remaining, degraded: false };
      // Unspent tokens from an expired lease are dropped: that is what bounds the overshoot in time.
      b.tokens = (b.expiresAt > at ? b.tokens : 0) + reply.granted;
      b.expiresAt = at + LEASE_TTL_MS;
    }
  }

  #degraded(b: Local, spec: LimitSpec, failClosed: boolean): Decision {
    if (failClosed) return { admitted: false, retryAfterMs: 1000, degraded: true };
    const now = Date.now();
    const result = take(b.fallback ?? fullBucket(spec, now), spec, 1, 1, now);
    b.fallback = result.state;
    return result.granted
      ? { admitted: true, remaining: Math.floor(result.state.tokens), degraded: true }
      : { admitted: false, retryAfterMs: result.retryAfterMs, degraded: true };
  }
}
