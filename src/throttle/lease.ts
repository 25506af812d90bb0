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
  /** The lease call in flight for this bucket (settles either way); `failed` once the limiter did not answer. */
  pending: { settled: Promise<void>; failed: boolean } | undefined;
  fallback: BucketState | undefined;
  /** After the limiter failed to answer, decide locally until then instead of waiting on it for every request. */
  downUntil: number;
  /**
   * When the bucket will next hold a lease's worth of tokens, as the limiter reported with our last grant: once
   * the leased tokens are spent, asking sooner would only learn that it is empty (a wasted call).
   */
  refillAt: number;
  /** The bucket size this state is for: a redeploy that changes the limit starts afresh. */
  rate: number;
  burst: number;
}

/** How long an isolate stops asking a limiter that did not answer (each request would otherwise wait for it). */
export const LIMITER_DOWN_MS = 1000;

const MAX_LOCAL = 100_000;

export class Limiter {
  readonly #namespace: () => DurableObjectNamespace<RateLimiter>;
  readonly #waitMs: number;
  readonly #buckets = new Map<string, Local>();

  constructor(namespace: () => DurableObjectNamespace<RateLimiter>, waitMs = LIMITER_WAIT_MS) {
    this.#namespace = namespace;
    this.#waitMs = waitMs;
  }

  #local(key: string, spec: LimitSpec): Local {
    let b = this.#buckets.get(key);
    if (!b) {
      if (!b && this.#buckets.size >= MAX_LOCAL) this.#buckets.delete(this.#buckets.keys().next().value!);
      b = { tokens: 0, expiresAt: 0, emptyUntil: 0, remaining: 0, pending: undefined, fallback: undefined, downUntil: 0, refillAt: 0, rate: spec.rate, burst: spec.burst };
      this.#buckets.set(key, b);
    }
    return b;
  }


  /** Whether the bucket `key` admits one request. */
  async check(key: string, spec: LimitSpec, failClosed: boolean): Promise<Decision> {
    // Local state per bucket *and* size: a stable and a canary with different limits keep separate leases
    // (sharing one state, each request would wipe the other's), and a raised limit starts afresh.
    const b = this.#local(`${key}@${spec.rate}/${spec.burst}`, spec);
    // However long other requests' leases take, this request waits at most this long in all, then decides
    // without the limiter (degraded) rather than starting a lease of its own: a stalled isolate must not send
    // every waiting request to the object at once.
    const deadline = Date.now() + this.#waitMs * 2;
    for (;;) {
      const now = Date.now();
      if (b.emptyUntil > now) return { admitted: false, retryAfterMs: b.emptyUntil - now, degraded: false };
      if (b.downUntil > now && !(b.tokens >= 1 && b.expiresAt > now)) return this.#degraded(b, spec, failClosed);
      if (!spec.strict && b.tokens >= 1 && b.expiresAt > now) {
        b.tokens--;
        return { admitted: true, remaining: b.remaining + Math.floor(b.tokens), degraded: false };
      }
      if (!spec.strict && b.refillAt > now && !b.pending) {
        b.emptyUntil = b.refillAt;
        return { admitted: false, retryAfterMs: b.refillAt - now, degraded: false };
      }
      if (b.pending && !spec.strict) {
        // Another request's lease: wait for it (on our own clock), then look again.
        const shared = b.pending;
        if (await awaitShared(shared.settled, Math.max(1, deadline - Date.now()))) {
          // A shared call that failed decides for its waiters too: each calling the limiter that just failed
          // in turn would add LIMITER_WAIT_MS per waiter (N waiters: N × the wait) and fan out to the object.
          if (!shared.failed) continue;
          b.downUntil = Date.now() + LIMITER_DOWN_MS;
          return this.#degraded(b, spec, failClosed);
        }
        // Our own wait is over and the lease is still out: decide without the limiter this once.
        return this.#degraded(b, spec, failClosed);
      }
      const { want, min } = leaseSize(spec, spec.strict);
      let reply: { granted: number; remaining: number; retryAfterMs: number } | undefined;
      const flight: NonNullable<Local["pending"]> = { settled: Promise.resolve(), failed: false };
      flight.settled = withTimeout(this.#namespace().get(this.#namespace().idFromName(key)).lease(spec, want, min), this.#waitMs, "the rate limiter")
        .then((r) => void (reply = r))
        .catch((err: unknown) => {
          flight.failed = true;
          console.error(JSON.stringify({ level: "warn", event: "limiter-degraded", bucket: key, reason: (err as Error).message, failMode: failClosed ? "closed" : "open" }));
        });
      if (!spec.strict) b.pending = flight;
      await flight.settled;
      if (b.pending === flight) b.pending = undefined;

      if (!reply) {
        b.downUntil = Date.now() + LIMITER_DOWN_MS;
        return this.#degraded(b, spec, failClosed);
      }
      const at = Date.now();
      if (reply.granted === 0) {
        b.emptyUntil = at + reply.retryAfterMs;
        return { admitted: false, retryAfterMs: reply.retryAfterMs, degraded: false };
      }
      b.remaining = reply.remaining;
      if (spec.strict) return { admitted: true, remaining: reply.remaining, degraded: false };
      b.refillAt = reply.remaining >= min ? 0 : at + Math.ceil(((min - reply.remaining) / spec.rate) * 1000);
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
