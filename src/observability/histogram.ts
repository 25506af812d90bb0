/**
 * Latency histograms with fixed, exponential buckets: every isolate and the Registry use the same bounds, so
 * histograms merge by adding counts, and a percentile is read off the merged counts. Bucket i holds latencies
 * up to `0.5 ms × 1.1^i`; 128 buckets reach past 80 s. A percentile is off by at most one bucket (≤ 10%),
 * fine enough to judge a canary's p95 against 1.2× stable's.
 */
export const BUCKETS = 128;
const BASE_MS = 0.5;
const GROWTH = 1.1;
const LOG_GROWTH = Math.log(GROWTH);

export function emptyHistogram(): number[] {
  return new Array<number>(BUCKETS).fill(0);
}

export function bucketUpperBound(i: number): number {
  return BASE_MS * GROWTH ** i;
}

export function bucketIndex(ms: number): number {
  if (!(ms > BASE_MS)) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / BASE_MS) / LOG_GROWTH - 1e-9));
}

export function observe(histogram: number[], ms: number): void {
  histogram[bucketIndex(ms)]!++;
}

export function mergeInto(target: number[], source: readonly number[]): void {
  for (let i = 0; i < BUCKETS; i++) target[i]! += source[i] ?? 0;
}

/** The p-th percentile (0–100) as a bucket's upper bound in ms, rounded; null for an empty histogram. */
export function percentile(histogram: readonly number[], p: number): number | null {
  let total = 0;
  for (const n of histogram) total += n;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i]!;
    if (seen >= rank) return Math.round(bucketUpperBound(i) * 100) / 100;
  }
  return Math.round(bucketUpperBound(BUCKETS - 1) * 100) / 100;
}
