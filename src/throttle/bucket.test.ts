/** Token-bucket math with plain values: refill, caps, odd clocks, grants and lease sizes. */
import { describe, expect, it } from "vitest";
import { fullBucket, leaseSize, refill, take, type BucketConfig } from "./bucket.ts";

const T0 = 1_700_000_000_000;
const cfg = (rate: number, burst: number): BucketConfig => ({ rate, burst });

describe("refill", () => {
  it("adds rate × elapsed seconds", () => {
    expect(refill({ tokens: 0, updatedAt: T0 }, cfg(10, 20), T0 + 500)).toEqual({ tokens: 5, updatedAt: T0 + 500 });
    expect(refill({ tokens: 2.5, updatedAt: T0 }, cfg(4, 20), T0 + 250).tokens).toBeCloseTo(3.5, 9);
  });

  it("never goes past burst", () => {
    expect(refill({ tokens: 18, updatedAt: T0 }, cfg(10, 20), T0 + 1000)).toEqual({ tokens: 20, updatedAt: T0 + 1000 });
    expect(refill(fullBucket(cfg(10, 20), T0), cfg(10, 20), T0 + 1)).toEqual({ tokens: 20, updatedAt: T0 + 1 });
  });

  it("works with fractional rates: 0.5/s is one token every 2 s", () => {
    const c = cfg(0.5, 3);
    expect(refill({ tokens: 0, updatedAt: T0 }, c, T0 + 1000).tokens).toBeCloseTo(0.5, 9);
    expect(refill({ tokens: 0, updatedAt: T0 }, c, T0 + 2000).tokens).toBeCloseTo(1, 9);
    const half = take({ tokens: 0, updatedAt: T0 }, c, 1, 1, T0 + 1000);
    expect(half.granted).toBe(0);
    expect(half.retryAfterMs).toBe(1000);
    expect(take({ tokens: 0, updatedAt: T0 }, c, 1, 1, T0 + 2000).granted).toBe(1);
  });

  it("refills nothing and keeps its timestamp when the clock goes backwards", () => {
    const c = cfg(10, 20);
    const back = refill({ tokens: 3, updatedAt: T0 }, c, T0 - 5000);
    expect(back).toEqual({ tokens: 3, updatedAt: T0 });
    // Not rewound: the interval T0-5000 → T0 is not paid out again once the clock catches up.
    expect(refill(back, c, T0 + 100).tokens).toBeCloseTo(4, 9);
    const taken = take({ tokens: 3, updatedAt: T0 }, c, 2, 1, T0 - 5000);
    expect(taken.granted).toBe(2);
    expect(taken.state).toEqual({ tokens: 1, updatedAt: T0 });
  });

  it("caps a huge gap at burst, without overflow", () => {
    for (const [rate, burst] of [
      [10, 20],
      [1e9, 7],
      [Number.MAX_VALUE, 3],
    ] as const) {
      const s = refill({ tokens: 0, updatedAt: 0 }, cfg(rate, burst), Number.MAX_SAFE_INTEGER);
      expect(s).toEqual({ tokens: burst, updatedAt: Number.MAX_SAFE_INTEGER });
    }
    expect(take({ tokens: 0, updatedAt: -8.64e15 }, cfg(1e6, 5), 100, 1, 8.64e15).granted).toBe(5);
  });

  it("clamps tokens above a burst that shrank, even with no time passing", () => {
    expect(refill({ tokens: 50, updatedAt: T0 }, cfg(1, 10), T0).tokens).toBe(10);
    expect(refill({ tokens: 50, updatedAt: T0 }, cfg(1, 10), T0 - 1).tokens).toBe(10);
  });
});

describe("take", () => {
  const c = cfg(10, 20);

  it("grants all of want when the bucket has it", () => {
    const r = take({ tokens: 10, updatedAt: T0 }, c, 5, 2, T0);
    expect(r).toEqual({ state: { tokens: 5, updatedAt: T0 }, granted: 5, retryAfterMs: 0 });
  });

  it("grants the whole tokens it has when that is at least min", () => {
    const r = take({ tokens: 3.7, updatedAt: T0 }, c, 5, 2, T0);
    expect(r.granted).toBe(3);
    expect(r.state.tokens).toBeCloseTo(0.7, 9);
    expect(r.retryAfterMs).toBe(0);
  });

  it("grants nothing below min, and says when min will be back", () => {
    const r = take({ tokens: 1.5, updatedAt: T0 }, c, 5, 2, T0);
    expect(r.granted).toBe(0);
    expect(r.state.tokens).toBe(1.5); // nothing taken
    expect(r.retryAfterMs).toBe(50); // 0.5 token at 10/s
    const empty = take({ tokens: 0, updatedAt: T0 }, cfg(2, 4), 1, 1, T0);
    expect(empty).toEqual({ state: { tokens: 0, updatedAt: T0 }, granted: 0, retryAfterMs: 500 });
  });

  it("counts the refill since the last update before deciding", () => {
    const r = take({ tokens: 0, updatedAt: T0 }, c, 3, 3, T0 + 300);
    expect(r.granted).toBe(3);
    expect(r.state).toEqual({ tokens: 0, updatedAt: T0 + 300 });
  });

  it("tolerates binary float error: 0.1 × 10 refills make a whole token", () => {
    let s = { tokens: 0, updatedAt: T0 };
    for (let i = 1; i <= 10; i++) s = refill(s, cfg(0.1, 5), T0 + i * 1000);
    expect(take(s, cfg(0.1, 5), 1, 1, T0 + 10_000).granted).toBe(1);
  });

  it("says at least 1 ms, and never more than the time to refill min (capped at burst)", () => {
    expect(take({ tokens: 0.9999, updatedAt: T0 }, cfg(1000, 5), 1, 1, T0).retryAfterMs).toBe(1);
    expect(take({ tokens: 0, updatedAt: T0 }, cfg(1, 2), 5, 5, T0).retryAfterMs).toBe(2000);
  });

  it("admits exactly burst from a full bucket at a tiny rate, then refuses", () => {
    let s = fullBucket(cfg(0.001, 7), T0);
    let admitted = 0;
    for (let i = 0; i < 20; i++) {
      const r = take(s, cfg(0.001, 7), 1, 1, T0 + i);
      s = r.state;
      admitted += r.granted;
    }
    expect(admitted).toBe(7);
  });
});

describe("leaseSize", () => {
  it("leases one at a time for low limits", () => {
    expect(leaseSize(cfg(1, 1), false)).toEqual({ want: 1, min: 1 });
    expect(leaseSize(cfg(0.5, 100), false)).toEqual({ want: 1, min: 1 });
    expect(leaseSize(cfg(10, 3), false)).toEqual({ want: 1, min: 1 }); // a quarter of 3 rounds to 0
  });

  it("asks for the requests queued behind the lease too, within a quarter of the burst and 100; min stays put", () => {
    expect(leaseSize(cfg(10, 100), false, 0)).toEqual({ want: 2, min: 1 });
    expect(leaseSize(cfg(10, 100), false, 5)).toEqual({ want: 6, min: 1 });
    expect(leaseSize(cfg(10, 100), false, 299)).toEqual({ want: 25, min: 1 });
    expect(leaseSize(cfg(1000, 5000), false, 299)).toEqual({ want: 100, min: 50 });
    expect(leaseSize(cfg(10, 100), true, 299)).toEqual({ want: 1, min: 1 });
  });

  it("leases about 0.2 s of the rate, at most a quarter of the burst", () => {
    expect(leaseSize(cfg(100, 1000), false)).toEqual({ want: 20, min: 10 });
    expect(leaseSize(cfg(100, 40), false)).toEqual({ want: 10, min: 5 });
    expect(leaseSize(cfg(25, 100), false)).toEqual({ want: 5, min: 3 });
  });

  it("never leases more than 100 for high limits", () => {
    expect(leaseSize(cfg(10_000, 5000), false)).toEqual({ want: 100, min: 50 });
    expect(leaseSize(cfg(1e9, 1e9), false)).toEqual({ want: 100, min: 50 });
  });

  it("leases exactly one in strict mode, whatever the limit", () => {
    for (const c of [cfg(1, 1), cfg(100, 1000), cfg(1e6, 1e6)]) expect(leaseSize(c, true)).toEqual({ want: 1, min: 1 });
  });

  it("keeps 1 ≤ min ≤ want ≤ burst/4 (or 1) over a sweep", () => {
    for (const rate of [0.01, 0.5, 1, 3, 7, 50, 333, 1000, 99_999])
      for (const burst of [1, 2, 5, 9, 40, 400, 5000]) {
        const { want, min } = leaseSize(cfg(rate, burst), false);
        expect(Number.isInteger(want) && Number.isInteger(min)).toBe(true);
        expect(min).toBeGreaterThanOrEqual(1);
        expect(min).toBeLessThanOrEqual(want);
        expect(want).toBeLessThanOrEqual(Math.max(1, Math.floor(burst / 4)));
      }
  });
});
