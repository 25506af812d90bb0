/**
 * Token-bucket math, pure. A bucket holds up to `burst` tokens and refills at `rate` tokens per second; a request
 * spends one. Time is milliseconds. A clock that goes backwards refills nothing (and never rewinds the bucket);
 * a huge gap refills to `burst` and no further; fractional rates work (0.5 = one request every 2 s).
 */
export interface BucketConfig {
  rate: number;
  burst: number;
}

export interface BucketState {
  tokens: number;
  updatedAt: number;
}

export function fullBucket(config: BucketConfig, now: number): BucketState {
  return { tokens: config.burst, updatedAt: now };
}

export function refill(state: BucketState, config: BucketConfig, now: number): BucketState {
  if (!(now > state.updatedAt)) return { tokens: Math.min(state.tokens, config.burst), updatedAt: state.updatedAt };
  const tokens = Math.min(config.burst, state.tokens + ((now - state.updatedAt) / 1000) * config.rate);
  return { tokens, updatedAt: now };
}

export interface TakeResult {
  state: BucketState;
  /** Tokens handed out: `want`, fewer (never below `min`), or 0. */
  granted: number;
  /** With nothing granted: ms until `min` tokens will be there. */
  retryAfterMs: number;
}

/**
 * Takes up to `want` tokens, at least `min` (1 ≤ min ≤ want): all of `want` when the bucket has them, else as many
 * whole tokens as it has if that is at least `min`, else none — with the wait until `min` are back.
 */
export function take(state: BucketState, config: BucketConfig, want: number, min: number, now: number): TakeResult {
  const s = refill(state, config, now);
  const whole = Math.floor(s.tokens + 1e-9);
  const granted = whole >= want ? want : whole >= min ? whole : 0;
  if (granted > 0) return { state: { tokens: s.tokens - granted, updatedAt: s.updatedAt }, granted, retryAfterMs: 0 };
  const missing = Math.min(min, config.burst) - s.tokens;
  return { state: s, granted: 0, retryAfterMs: Math.max(1, Math.ceil((missing / config.rate) * 1000)) };
}

/**
 * How many tokens an isolate leases at once: about 0.2 s of the rate, at most a quarter of the burst (so one
 * isolate cannot drain a small bucket), between 1 and 100. The smallest acceptable grant is half of that: leases
 * shrink as the bucket nears empty but stay large enough that, under sustained load, a limiter call admits
 * several requests. While `waiting` requests queue for the bucket in the isolate, the lease asks for enough for
 * them too, still within a quarter of the burst and 100 — so a burst of N concurrent requests costs a few calls,
 * not N / want calls one after another. `strict` always leases exactly one.
 */
export function leaseSize(config: BucketConfig, strict: boolean, waiting = 0): { want: number; min: number } {
  if (strict) return { want: 1, min: 1 };
  const cap = Math.max(1, Math.min(100, Math.floor(config.burst / 4)));
  const base = Math.max(1, Math.min(cap, Math.round(config.rate * 0.2)));
  return { want: Math.min(cap, Math.max(base, waiting + 1)), min: Math.max(1, Math.ceil(base / 2)) };
}
