/**
 * The refresh rule, with plain values for the two sources: what an isolate adopts from a KV snapshot and when it
 * must ask the Registry. The same rule through the real Registry and KV: test/worker/deploy/snapshots.test.ts.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { refreshKnown, type Known, type Sources } from "./snapshot-reader.ts";
import type { Snapshot } from "./snapshots.ts";

const TRUST = 60_000;
afterEach(() => vi.restoreAllMocks());

function sources(snapshot: Snapshot<string> | undefined, registry: { version: number; value: string } | "down") {
  const calls = { registry: 0 };
  const s: Sources<string> = {
    snapshot: async () => snapshot,
    registry: async () => {
      calls.registry++;
      if (registry === "down") throw new Error("Registry down");
      return registry;
    },
  };
  return { s, calls };
}

const snap = (version: number, ageMs: number): Snapshot<string> => ({ format: 1, version, writtenAt: Date.now() - ageMs, value: `v${version}` });
const known = (version: number, ageMs: number): Known<string> => ({ value: `v${version}`, version, evidenceAt: Date.now() - ageMs });

describe("refreshKnown", () => {
  it("adopts a fresh snapshot without asking the Registry, even with nothing known", async () => {
    const { s, calls } = sources(snap(3, 1000), "down");
    expect(await refreshKnown("k", undefined, s, TRUST)).toMatchObject({ value: "v3", version: 3 });
    expect(calls.registry).toBe(0);
  });

  it("moves forward to a newer fresh snapshot than the one it knew", async () => {
    const { s, calls } = sources(snap(5, 1000), "down");
    expect(await refreshKnown("k", known(4, 0), s, TRUST)).toMatchObject({ value: "v5", version: 5 });
    expect(calls.registry).toBe(0);
  });

  it("never goes back: a lower version from KV is ignored (and logged), whatever its age, with the Registry down", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    for (const age of [0, 10_000, TRUST * 10]) {
      const { s } = sources(snap(4, age), "down");
      const kept = known(5, 1000);
      expect(await refreshKnown("k", kept, s, TRUST)).toBe(kept);
      // Once its own evidence is old, it asks the Registry; down, the caller keeps what it knew (the error says so).
      await expect(refreshKnown("k", known(5, TRUST + 1), s, TRUST)).rejects.toThrow("Registry down");
    }
    expect(log).toHaveBeenCalledWith(expect.stringContaining('"event":"snapshot-behind"'));
  });

  it("knowing nothing, refuses a snapshot past the trust bound when the Registry is down (the caller answers 503)", async () => {
    const { s, calls } = sources(snap(3, TRUST + 1), "down");
    await expect(refreshKnown("k", undefined, s, TRUST)).rejects.toThrow("Registry down");
    expect(calls.registry).toBe(1);
  });

  it("confirms a snapshot past the trust bound with the Registry, whose answer wins", async () => {
    const { s, calls } = sources(snap(3, TRUST + 1), { version: 4, value: "v4" });
    const got = await refreshKnown("k", undefined, s, TRUST);
    expect(got).toMatchObject({ value: "v4", version: 4 });
    expect(Date.now() - got.evidenceAt).toBeLessThan(1000);
    expect(calls.registry).toBe(1);
  });

  it("after a Registry confirmation, a stale snapshot of the same version needs no new question until the bound passes", async () => {
    const { s, calls } = sources(snap(3, TRUST * 2), { version: 3, value: "v3" });
    const confirmed = known(3, 1000);
    expect(await refreshKnown("k", confirmed, s, TRUST)).toBe(confirmed);
    expect(calls.registry).toBe(0);
    await refreshKnown("k", known(3, TRUST + 1), s, TRUST);
    expect(calls.registry).toBe(1);
  });

  it("asks the Registry whenever KV has nothing (down or empty), however recent what it knows", async () => {
    const { s, calls } = sources(undefined, { version: 7, value: "v7" });
    expect(await refreshKnown("k", known(6, 0), s, TRUST)).toMatchObject({ version: 7 });
    expect(calls.registry).toBe(1);
  });

  it("moves forward to a newer stale snapshot when the Registry is down, but never adopts one knowing nothing", async () => {
    const { s } = sources(snap(6, TRUST * 3), "down");
    expect(await refreshKnown("k", known(5, TRUST * 4), s, TRUST)).toMatchObject({ version: 6, value: "v6" });
    await expect(refreshKnown("k", undefined, s, TRUST)).rejects.toThrow();
  });

  it("reads a write time in the future as now (clock skew never extends trust)", async () => {
    const future: Snapshot<string> = { format: 1, version: 2, writtenAt: Date.now() + TRUST * 100, value: "v2" };
    const got = await refreshKnown("k", undefined, sources(future, "down").s, TRUST);
    expect(got.evidenceAt).toBeLessThanOrEqual(Date.now());
  });
});
