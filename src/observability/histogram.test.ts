/** Latency histograms (pure): bucket bounds, percentiles within one bucket, merging. */
import { describe, expect, it } from "vitest";
import { BUCKETS, bucketIndex, bucketUpperBound, emptyHistogram, mergeInto, observe, percentile } from "./histogram.ts";

const histogramOf = (values: number[]) => {
  const h = emptyHistogram();
  for (const v of values) observe(h, v);
  return h;
};

describe("bucket bounds", () => {
  it("starts at 0.5 ms and grows by 10% per bucket, past 80 s at the last one", () => {
    expect(emptyHistogram()).toHaveLength(BUCKETS);
    expect(bucketUpperBound(0)).toBe(0.5);
    for (let i = 1; i < BUCKETS; i++) expect(bucketUpperBound(i) / bucketUpperBound(i - 1)).toBeCloseTo(1.1, 10);
    expect(bucketUpperBound(BUCKETS - 1)).toBeGreaterThan(80_000);
  });

  it("puts each bound in its own bucket and anything just above it in the next", () => {
    for (let i = 0; i < BUCKETS - 1; i++) {
      expect(bucketIndex(bucketUpperBound(i))).toBe(i);
      expect(bucketIndex(bucketUpperBound(i) * 1.0001)).toBe(i + 1);
    }
  });

  it("sends zero, negative and non-numbers to the first bucket and huge values to the last", () => {
    for (const v of [0, -5, 0.1, 0.5, Number.NaN]) expect(bucketIndex(v)).toBe(0);
    expect(bucketIndex(0.51)).toBe(1);
    expect(bucketIndex(1e9)).toBe(BUCKETS - 1);
    expect(bucketIndex(Number.POSITIVE_INFINITY)).toBe(BUCKETS - 1);
  });

  it("counts each observation once", () => {
    const h = histogramOf([1, 1, 2, 1000, 0]);
    expect(h.reduce((a, b) => a + b, 0)).toBe(5);
    expect(h[bucketIndex(1)]).toBe(2);
  });
});

describe("percentiles", () => {
  it("is null for an empty histogram", () => {
    expect(percentile(emptyHistogram(), 50)).toBeNull();
  });

  it("reads a known uniform distribution within one bucket (≤ 10% above the true value)", () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 1); // 1..1000 ms
    const h = histogramOf(values);
    for (const [p, truth] of [
      [50, 500],
      [90, 900],
      [95, 950],
      [99, 990],
      [100, 1000],
    ] as const) {
      const got = percentile(h, p)!;
      expect(got).toBeGreaterThanOrEqual(truth - 0.01);
      expect(got).toBeLessThanOrEqual(truth * 1.1 + 0.01);
    }
  });

  it("reads a skewed distribution: p50 from the body, p99 from the tail", () => {
    const h = histogramOf([...new Array<number>(980).fill(20), ...new Array<number>(20).fill(2000)]);
    const p50 = percentile(h, 50)!;
    const p99 = percentile(h, 99)!;
    expect(p50).toBeGreaterThanOrEqual(20);
    expect(p50).toBeLessThanOrEqual(22);
    expect(p99).toBeGreaterThanOrEqual(2000);
    expect(p99).toBeLessThanOrEqual(2200);
    expect(percentile(h, 98)!).toBeLessThanOrEqual(22);
  });

  it("is monotonic in p", () => {
    const h = histogramOf(Array.from({ length: 500 }, (_, i) => (i * 37) % 3000));
    let last = 0;
    for (let p = 1; p <= 100; p++) {
      const v = percentile(h, p)!;
      expect(v).toBeGreaterThanOrEqual(last);
      last = v;
    }
  });
});

describe("merging", () => {
  it("adds counts, so a merged histogram equals one built from all observations", () => {
    const a = [1, 5, 5, 80, 300];
    const b = [2, 5, 4000, 0.2];
    const merged = histogramOf(a);
    mergeInto(merged, histogramOf(b));
    expect(merged).toEqual(histogramOf([...a, ...b]));
    expect(percentile(merged, 50)).toBe(percentile(histogramOf([...a, ...b]), 50));
  });

  it("treats a shorter source as zeros past its end and leaves the source unchanged", () => {
    const target = histogramOf([1, 2, 3]);
    const before = [...target];
    const source = [4, 0, 1];
    mergeInto(target, source);
    expect(target[0]).toBe(before[0]! + 4);
    expect(target[2]).toBe(before[2]! + 1);
    expect(target.slice(3)).toEqual(before.slice(3));
    expect(source).toEqual([4, 0, 1]);
  });
});
