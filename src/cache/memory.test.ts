/**
 * The memory tier with plain values and small limits: least recently used out first (a hit refreshes), the byte
 * bound before the entry bound, the hold and the TTL both end an entry (a hit never extends either), and an entry
 * read under one encryption key is not answered under another. The same class serves the cache step
 * (test/worker/cache/memory.test.ts drives it through the gateway).
 */
import { describe, expect, it } from "vitest";
import type { CacheEntry } from "./entry.ts";
import { ENTRY_OVERHEAD_BYTES, entryBytes, MemoryTier } from "./memory.ts";

const T0 = 1_700_000_000_000;

function entry(body = 10, over: Partial<CacheEntry> = {}): CacheEntry {
  return { status: 200, headers: [["content-type", "text/plain"]], storedAt: T0, ttl: 300, body: new Uint8Array(body), ...over };
}

const tier = (entries: number, bytes = 1 << 30, largest = 1 << 20) => new MemoryTier({ entries, bytes, entryBytes: largest });
const held = (m: MemoryTier) => [...m.keys()];

describe("recency", () => {
  it("drops the least recently used, not the oldest stored: a hit moves a key to the front", () => {
    const m = tier(3);
    for (const k of ["a", "b", "c"]) m.set(k, entry(), null, T0, 30_000);
    expect(m.get("a", null, T0 + 1)?.entry.status).toBe(200);
    m.set("d", entry(), null, T0 + 2, 30_000);
    expect(held(m)).toEqual(["d", "a", "c"]); // b was the least recently used; a, stored first, was just read
    expect(m.get("b", null, T0 + 3)).toBeUndefined();
  });

  it("keeps a hot key through a scan of many more cold keys than it holds", () => {
    const m = tier(100);
    m.set("hot", entry(), null, T0, 30_000);
    for (let i = 0; i < 10_000; i++) {
      m.set(`cold-${i}`, entry(), null, T0 + i, 30_000);
      if (i % 50 === 0) expect(m.get("hot", null, T0 + i), `hot key after ${i} cold ones`).toBeDefined();
    }
    expect(m.stats.entries).toBe(100);
    expect(m.get("hot", null, T0 + 10_000)).toBeDefined();
    expect(m.get("cold-0", null, T0 + 10_000)).toBeUndefined();
    expect(m.get("cold-9999", null, T0 + 10_000)).toBeDefined();
  });

  it("while the same scan without hits in between pushes it out (the test above can fail)", () => {
    const m = tier(100);
    m.set("hot", entry(), null, T0, 30_000);
    for (let i = 0; i < 100; i++) m.set(`cold-${i}`, entry(), null, T0 + i, 30_000);
    expect(m.get("hot", null, T0 + 100)).toBeUndefined();
  });

  it("keeps its links whole through hits on the newest, the oldest and the middle, and deletes", () => {
    const m = tier(5);
    for (const k of ["a", "b", "c", "d", "e"]) m.set(k, entry(), null, T0, 30_000);
    m.get("e", null, T0); // already the newest
    m.get("a", null, T0); // the oldest
    m.get("c", null, T0); // the middle
    m.delete("d");
    expect(held(m)).toEqual(["c", "a", "e", "b"]);
    m.set("f", entry(), null, T0, 30_000);
    m.set("g", entry(), null, T0, 30_000); // full at 5: b goes
    expect(held(m)).toEqual(["g", "f", "c", "a", "e"]);
    for (const k of held(m)) m.delete(k);
    expect([held(m), m.stats]).toEqual([[], { entries: 0, bytes: 0 }]);
  });
});

describe("bounds", () => {
  it("holds by bytes first: large entries go out before the entry count is reached", () => {
    const size = entryBytes("k-0", entry(10_000));
    const m = tier(1_000, size * 5 + 100);
    for (let i = 0; i < 20; i++) m.set(`k-${i}`, entry(10_000), null, T0, 30_000);
    expect(m.stats.entries).toBe(5);
    expect(m.stats.bytes).toBeLessThanOrEqual(size * 5 + 100);
    expect(held(m)).toEqual(["k-19", "k-18", "k-17", "k-16", "k-15"]);
  });

  it("counts the body's whole buffer, the key, the headers and a fixed cost per entry", () => {
    const buffer = new Uint8Array(1000);
    const e = entry(0, { body: buffer.subarray(0, 10), headers: [["a", "bc"]] });
    expect(entryBytes("key", e)).toBe(ENTRY_OVERHEAD_BYTES + 2 * 3 + 1000 + 4 * 3);
    const m = tier(10);
    m.set("key", e, null, T0, 30_000);
    expect(m.stats.bytes).toBe(entryBytes("key", e));
    m.set("key", entry(5), null, T0, 30_000); // replaced, not added
    expect(m.stats).toEqual({ entries: 1, bytes: entryBytes("key", entry(5)) });
  });

  it("never holds an entry over the per-entry limit, and keeps what it held", () => {
    const m = tier(10, 1 << 30, 2_000);
    m.set("small", entry(10), null, T0, 30_000);
    expect(m.set("big", entry(2_000), null, T0, 30_000)).toBeUndefined();
    expect(held(m)).toEqual(["small"]);
  });

  it("holds nothing with a hold time of 0, and drops what it held under that key", () => {
    const m = tier(10);
    m.set("k", entry(), null, T0, 30_000);
    expect(m.set("k", entry(), null, T0, 0)).toBeUndefined();
    expect(m.stats.entries).toBe(0);
  });
});

describe("what is never answered", () => {
  it("an entry past its hold, however often it was hit (a hit does not extend the hold)", () => {
    const m = tier(10);
    m.set("k", entry(), null, T0, 1_000);
    for (let t = 0; t < 1_000; t += 100) expect(m.get("k", null, T0 + t)).toBeDefined();
    expect(m.get("k", null, T0 + 1_000)).toBeUndefined();
    expect(m.stats.entries).toBe(0); // dropped, not kept to be asked again
  });

  it("an entry past its TTL, within the hold", () => {
    const m = tier(10);
    m.set("k", entry(10, { ttl: 2 }), null, T0, 60_000);
    expect(m.get("k", null, T0 + 1_999)).toBeDefined();
    expect(m.get("k", null, T0 + 2_000)).toBeUndefined();
  });

  it("an entry stamped in the future (a clock that went back)", () => {
    const m = tier(10);
    m.set("k", entry(10, { storedAt: T0 + 5_000 }), null, T0, 60_000);
    expect(m.get("k", null, T0)).toBeUndefined();
  });

  it("an entry read under another encryption key, or under none", async () => {
    const key = (secret: string) =>
      crypto.subtle.importKey("raw", new TextEncoder().encode(secret.padEnd(32, "-")), "AES-GCM", false, ["encrypt", "decrypt"]);
    const [one, two] = await Promise.all([key("one"), key("two")]);
    const m = tier(10);
    m.set("k", entry(), one, T0, 30_000);
    expect(m.get("k", two, T0)).toBeUndefined();
    m.set("k", entry(), one, T0, 30_000);
    expect(m.get("k", null, T0)).toBeUndefined();
    m.set("k", entry(), one, T0, 30_000);
    expect(m.get("k", one, T0)).toBeDefined();
  });

  it("hands out the headers built once, the same object on every hit", () => {
    const m = tier(10);
    const first = m.set("k", entry(), null, T0, 30_000)!;
    expect(first.headers.get("content-type")).toBe("text/plain");
    expect(m.get("k", null, T0)!.headers).toBe(first.headers);
  });
});
