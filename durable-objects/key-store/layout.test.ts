import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { configuredKeyShards, shardOf, shardRange } from "./layout.ts";

const hex64 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => [...b].map((x) => x.toString(16).padStart(2, "0")).join(""));

describe("key shard layout", () => {
  it("puts every hash in exactly the shard whose range holds it, for every count", () => {
    fc.assert(
      fc.property(hex64, fc.integer({ min: 1, max: 64 }), (hash, count) => {
        const shard = shardOf(hash, count);
        expect(shard).toBeGreaterThanOrEqual(0);
        expect(shard).toBeLessThan(count);
        for (let i = 0; i < count; i++) {
          const { from, to } = shardRange(i, count);
          const inRange = hash >= from && (to === null || hash < to);
          expect(inRange, `shard ${i} of ${count}: ${from}–${to} for ${hash}`).toBe(i === shard);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("covers the whole space at the edges: 00…0 in the first shard, ff…f in the last, bounds exact", () => {
    for (const count of [1, 2, 3, 7, 16, 64]) {
      expect(shardOf("0".repeat(64), count)).toBe(0);
      expect(shardOf("f".repeat(64), count)).toBe(count - 1);
      for (let i = 1; i < count; i++) {
        const { from } = shardRange(i, count);
        expect(shardOf(from + "0".repeat(56), count)).toBe(i);
        const before = (parseInt(from, 16) - 1).toString(16).padStart(8, "0");
        expect(shardOf(before + "f".repeat(56), count)).toBe(i - 1);
      }
    }
  });

  it("reads KEY_SHARDS as a whole number from 1 to 64, anything else as the default 16", () => {
    expect(configuredKeyShards("8")).toBe(8);
    expect(configuredKeyShards(64)).toBe(64);
    for (const bad of [undefined, "", "0", "65", "2.5", "-4", "many"]) expect(configuredKeyShards(bad)).toBe(16);
  });
});
