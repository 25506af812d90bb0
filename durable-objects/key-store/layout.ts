/**
 * How API keys are spread over KeyStore shards (pure; STORAGE.md). A key lives in the shard its hash's first 32
 * bits fall into, the 2^32 range cut into `count` equal slices, so each shard holds one contiguous range of hashes
 * (one range query copies a shard's keys) and a lookup goes straight to one object. `count` is KEY_SHARDS the first
 * time keys are stored, recorded by the Registry's `keys` instance, and fixed from then on: an isolate whose
 * KEY_SHARDS differs is told the recorded count by the first shard it asks, and uses it.
 */

export const DEFAULT_KEY_SHARDS = 16;
/** The most shards: the admin API asks every shard within one request (Workers allow 50 subrequests per request on the Free plan, 10,000 on Paid). */
export const MAX_KEY_SHARDS = 64;

/** KEY_SHARDS as configured (1–64; anything else is the default 16). Only the first use decides the layout. */
export function configuredKeyShards(value: unknown): number {
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 && n <= MAX_KEY_SHARDS ? n : DEFAULT_KEY_SHARDS;
}

export const keyStoreName = (count: number, shard: number) => `shard:${count}:${shard}`;

const SPACE = 2 ** 32;

/** The shard (0 … count−1) a key's hash (lower-case hex SHA-256) belongs to. */
export function shardOf(hash: string, count: number): number {
  return Math.floor((parseInt(hash.slice(0, 8), 16) * count) / SPACE);
}

/**
 * The hashes shard `shard` of `count` holds, as bounds on the hex text: `from <= hash < to` (to null: no upper bound).
 * Exact: `shardOf(h, count) === shard` for every h in range, and for no other.
 */
export function shardRange(shard: number, count: number): { from: string; to: string | null } {
  const bound = (i: number) => Math.ceil((i * SPACE) / count).toString(16).padStart(8, "0");
  return { from: bound(shard), to: shard === count - 1 ? null : bound(shard + 1) };
}
