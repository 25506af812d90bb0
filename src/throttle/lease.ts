/**
 * The isolate side of throttling: tokens are leased from the bucket's RateLimiter in batches (bucket.ts
 * `leaseSize`, larger while requests queue for the bucket) and spent locally, so most requests make no Durable
 * Object call. When the limiter says the bucket is empty, "empty until T" is remembered here and requests are
 * refused locally until T: a key under attack stays off its object. Concurrent requests share one lease call per
 * bucket (single flight); one that has waited its share (2 × LIMITER_WAIT_MS) for others' leases asks for its own.
 *
 * Error bound, with a healthy limiter: the limiter never hands out more tokens than the bucket holds, so every
 * admitted request spent a token the bucket granted. Over any window, admitted ≤ burst + rate × window + the
 * tokens isolates held unspent when the window began — at most (isolates holding a lease) × (largest lease), and
 * only for a second, because unspent leased tokens expire after LEASE_TTL_MS.
 *
 * Only a real failure degrades a decision: a lease call that errors or does not answer within LIMITER_WAIT_MS.
 * Then the isolate decides by itself — with an in-isolate bucket of the same rate and burst seeded with what the
 * limiter last said it held (refilling from then), or empty if it never said (fail open, the default), or by
 * refusing (fail closed) — and keeps doing so, at once, until a background probe (one per LIMITER_DOWN_MS, never
 * holding a request) finds the object answering again. A hung object therefore costs the requests that discover
 * it one wait of LIMITER_WAIT_MS, not one per second.
 */
import { orPrevious, valueOf } from "../../durable-objects/contract.ts";
import { RATE_LIMITER_CONTRACT, type LeaseReply, type RateLimiter } from "../../durable-objects/rate-limiter/index.ts";
import { withTimeout } from "../deploy/registry-client.ts";
import { awaitShared } from "../util/await-shared.ts";
import { leaseSize, refill, take, type BucketConfig, type BucketState } from "./bucket.ts";

export const LEASE_TTL_MS = 1000;
export const LIMITER_WAIT_MS = 250;
/** How long after a failure (or a failed probe) an isolate waits before probing the object again. */
export const LIMITER_DOWN_MS = 1000;

export interface LimitSpec extends BucketConfig {
  strict: boolean;
}

export type Decision =
  | { admitted: true; remaining: number; degraded: boolean }
  | { admitted: false; retryAfterMs: number; degraded: boolean };

/** One lease call; its outcome is applied to the bucket's state as it settles, whoever waits for it. */
interface Flight {
  settled: Promise<void>;
  failed: boolean;
  reply: { granted: number; remaining: number; retryAfterMs: number } | undefined;
}

interface Local {
  tokens: number;
  expiresAt: number;
  emptyUntil: number;
  /** The bucket's whole tokens after our last lease (or probe): an estimate for RateLimit headers, and the seed of a fallback. */
  remaining: number;
  /** When `remaining` was learned; 0 when the limiter never answered this isolate. */
  knownAt: number;
  /** The shared lease call in flight for this bucket (non-strict buckets only). */
  pending: Flight | undefined;
  /** Requests waiting for `pending`: the next lease asks for enough for them. */
  waiting: number;
  fallback: BucketState | undefined;
  /** The limiter failed or was too slow: decide here, at once, until a probe finds it answering. */
  down: boolean;
  /** While down: when the next background probe may start, and whether one is out. */
  probeAt: number;
  probing: boolean;
  /**
   * When the bucket will next hold a lease's worth of tokens, as the limiter reported with our last grant: once
   * the leased tokens are spent, asking sooner would only learn that it is empty (a wasted call).
   */
  refillAt: number;
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
      b = { tokens: 0, expiresAt: 0, emptyUntil: 0, remaining: 0, knownAt: 0, pending: undefined, waiting: 0, fallback: undefined, down: false, probeAt: 0, probing: false, refillAt: 0 };
      this.#buckets.set(key, b);
    }
    return b;
  }

  /**
   * Whether the bucket `key` admits one request. `exec` (the request's execution context) carries a background
   * probe of an object known to be down; without it the probe simply runs unawaited.
   */
  async check(key: string, spec: LimitSpec, failClosed: boolean, exec?: ExecutionContext): Promise<Decision> {
    // Local state per bucket *and* size: a stable and a canary with different limits keep separate leases
    // (sharing one state, each request would wipe the other's), and a raised limit starts afresh.
    const b = this.#local(`${key}@${spec.rate}/${spec.burst}`);
    // However long other requests' leases take, this request waits at most this long for them, then leases for
    // itself: a long queue for one bucket is not a failure of its limiter.
    const deadline = Date.now() + this.#waitMs * 2;
    let mayWait = true;
    for (;;) {
      const now = Date.now();
      if (b.emptyUntil > now) return { admitted: false, retryAfterMs: b.emptyUntil - now, degraded: false };
      if (!spec.strict && b.tokens >= 1 && b.expiresAt > now) {
        b.tokens--;
        return { admitted: true, remaining: b.remaining + Math.floor(b.tokens), degraded: false };
      }
      if (b.down) {
        this.#probe(key, b, spec, now, exec);
        return this.#degraded(b, spec, failClosed, now);
      }
      if (!spec.strict && b.refillAt > now && !b.pending) {
        b.emptyUntil = b.refillAt;
        return { admitted: false, retryAfterMs: b.refillAt - now, degraded: false };
      }
      if (!spec.strict && b.pending && mayWait) {
        // Another request's lease: wait for it (on our own clock), then look again.
        const shared = b.pending;
        b.waiting++;
        const settled = await awaitShared(shared.settled, Math.max(1, deadline - Date.now()));
        b.waiting--;
        // A shared call that failed decides for its waiters too: each calling the limiter that just failed in
        // turn would add LIMITER_WAIT_MS per waiter and fan out to the object.
        if (settled && shared.failed) return this.#degraded(b, spec, failClosed, Date.now());
        if (!settled) mayWait = false; // waited our share: lease for ourselves, alongside
        continue;
      }
      // The shared lease asks for the queue behind it too; one made alongside it, after a wait, only for this request's share.
      const { want, min } = leaseSize(spec, spec.strict, mayWait ? b.waiting : 0);
      const flight = this.#lease(key, b, spec, want, min, failClosed);
      if (!spec.strict && !b.pending) b.pending = flight;
      await flight.settled;
      if (b.pending === flight) b.pending = undefined;
      if (flight.failed) return this.#degraded(b, spec, failClosed, Date.now());
      const reply = flight.reply!;
      if (reply.granted === 0) return { admitted: false, retryAfterMs: reply.retryAfterMs, degraded: false };
      // A strict grant is this request's own token; a lease's tokens were added to the isolate's (spent next turn).
      if (spec.strict) return { admitted: true, remaining: reply.remaining, degraded: false };
    }
  }

  /** Starts a lease call whose outcome updates `b` as soon as it settles. */
  #lease(key: string, b: Local, spec: LimitSpec, want: number, min: number, failClosed: boolean): Flight {
    const flight: Flight = { settled: Promise.resolve(), failed: false, reply: undefined };
    flight.settled = withTimeout(this.#call(key, (stub) => acquire(stub, spec, want, min)), this.#waitMs, "the rate limiter").then(
      (reply) => {
        flight.reply = reply;
        const at = Date.now();
        b.remaining = reply.remaining;
        b.knownAt = at;
        b.down = false;
        b.fallback = undefined; // a later outage starts from what the limiter says now
        if (reply.granted === 0) {
          b.emptyUntil = at + reply.retryAfterMs;
          return;
        }
        if (spec.strict) return;
        b.refillAt = reply.remaining >= min ? 0 : at + Math.ceil(((min - reply.remaining) / spec.rate) * 1000);
        // Unspent tokens from an expired lease are dropped: that is what bounds the overshoot in time.
        b.tokens = (b.expiresAt > at ? b.tokens : 0) + reply.granted;
        b.expiresAt = at + LEASE_TTL_MS;
      },
      (err: unknown) => {
        flight.failed = true;
        this.#markDown(b, Date.now());
        console.error(JSON.stringify({ level: "warn", event: "limiter-degraded", bucket: key, reason: (err as Error).message, failMode: failClosed ? "closed" : "open" }));
      },
    );
    return flight;
  }

  /** One call to the bucket's object; a binding that throws at once fails like one that rejects. */
  async #call<T>(key: string, method: (stub: DurableObjectStub<RateLimiter>) => Promise<T>): Promise<T> {
    return method(this.#namespace().get(this.#namespace().idFromName(key)));
  }

  #markDown(b: Local, now: number): void {
    b.down = true;
    b.probeAt = now + LIMITER_DOWN_MS;
  }

  /**
   * While the object is down, at most one probe per LIMITER_DOWN_MS, in the background: `peek` takes no token,
   * so finding the object healthy costs the bucket nothing. Until it answers, requests keep deciding here.
   */
  #probe(key: string, b: Local, spec: LimitSpec, now: number, exec: ExecutionContext | undefined): void {
    if (b.probing || b.probeAt > now) return;
    b.probing = true;
    const probe = withTimeout(this.#call(key, (stub) => probeBucket(stub, spec)), this.#waitMs, "the rate limiter").then(
      (state) => {
        const at = Date.now();
        b.remaining = Math.floor(refill(state, spec, at).tokens);
        b.knownAt = at;
        b.down = false;
        b.fallback = undefined;
      },
      () => this.#markDown(b, Date.now()),
    ).finally(() => (b.probing = false));
    if (exec) exec.waitUntil(probe);
  }

  /**
   * A decision without the limiter: refused when failing closed; else from an in-isolate bucket of the same size,
   * seeded with the tokens the limiter last said it held (refilling since then), or empty when it never said —
   * never a full bucket, which would admit a whole burst per isolate on top of what the limiter already granted.
   */
  #degraded(b: Local, spec: LimitSpec, failClosed: boolean, now: number): Decision {
    if (failClosed) return { admitted: false, retryAfterMs: 1000, degraded: true };
    b.fallback ??= b.knownAt ? { tokens: Math.min(spec.burst, b.remaining), updatedAt: b.knownAt } : { tokens: 0, updatedAt: now };
    const result = take(b.fallback, spec, 1, 1, now);
    b.fallback = result.state;
    return result.granted
      ? { admitted: true, remaining: Math.floor(result.state.tokens), degraded: true }
      : { admitted: false, retryAfterMs: result.retryAfterMs, degraded: true };
  }
}

const RL = RATE_LIMITER_CONTRACT;

/** `acquire` in contract v1; `lease` on an object still running the previous release (a deploy rolling out). */
function acquire(stub: DurableObjectStub<RateLimiter>, spec: LimitSpec, want: number, min: number): Promise<LeaseReply> {
  const bucket = { rate: spec.rate, burst: spec.burst };
  return orPrevious(
    async () => valueOf<LeaseReply>(await stub.acquire({ v: RL, bucket, want, min }), RL, "RateLimiter"),
    () => stub.lease(bucket, want, min),
  );
}

/** `probe` in contract v1; `peek` on an object of the previous release. */
function probeBucket(stub: DurableObjectStub<RateLimiter>, spec: LimitSpec): Promise<BucketState> {
  const bucket = { rate: spec.rate, burst: spec.burst };
  return orPrevious(
    async () => valueOf<BucketState>(await stub.probe({ v: RL, bucket }), RL, "RateLimiter"),
    () => stub.peek(bucket),
  );
}
