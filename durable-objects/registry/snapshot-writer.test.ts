/**
 * The snapshot writer's ordering: KV keeps the last write to a key, so two changes in quick succession must never
 * leave the older version there, whatever order KV completes writes in. KV here is a stand-in whose writes complete
 * when the test says (the real one is used through the Registry in test/worker/deploy/snapshots.test.ts).
 */
import { describe, expect, it } from "vitest";
import type { Snapshot } from "../../src/deploy/snapshots.ts";
import { SnapshotWriter } from "./snapshot-writer.ts";

/** A KV whose puts complete (or fail) one by one, on demand, and which keeps the last completed write per key. */
function manualKv() {
  const stored = new Map<string, string>();
  const pending: { key: string; text: string; resolve: () => void; reject: (e: Error) => void }[] = [];
  const kv = {
    put: (key: string, text: string) =>
      new Promise<void>((resolve, reject) =>
        pending.push({ key, text, resolve: () => (stored.set(key, text), resolve()), reject }),
      ),
  } as unknown as KVNamespace;
  const settle = async (fail = false) => {
    await new Promise((r) => setTimeout(r, 0));
    const next = pending.shift();
    if (!next) return false;
    if (fail) next.reject(new Error("injected: KV write failed"));
    else next.resolve();
    await new Promise((r) => setTimeout(r, 0));
    return true;
  };
  return { kv, stored, pending, settle };
}

describe("SnapshotWriter", () => {
  it("writes one at a time, each with the state at its start, so KV ends on the newest version", async () => {
    const { kv, stored, pending, settle } = manualKv();
    let version = 1;
    const writer = new SnapshotWriter(kv, () => ({ key: "snapshot:api:a", version, value: { v: version } }));
    const first = writer.write();
    version = 2;
    const second = writer.write();
    version = 3;
    const third = writer.write();
    await new Promise((r) => setTimeout(r, 0));
    expect(pending).toHaveLength(1); // never two writes in flight
    while (await settle());
    await Promise.all([first, second, third]);
    const last = JSON.parse(stored.get("snapshot:api:a")!) as Snapshot<{ v: number }>;
    expect(last).toMatchObject({ format: 1, version: 3, value: { v: 3 } });
  });

  it("skips a write whose version is already in KV, unless refreshing (the heartbeat moves writtenAt on)", async () => {
    const { kv, stored, settle } = manualKv();
    const writer = new SnapshotWriter(kv, () => ({ key: "k", version: 7, value: {} }));
    const done = writer.write();
    await settle();
    await done;
    const firstAt = (JSON.parse(stored.get("k")!) as Snapshot<unknown>).writtenAt;
    await writer.write(); // nothing to do: no put pending
    await new Promise((r) => setTimeout(r, 5));
    const refreshed = writer.write(true);
    expect(await settle()).toBe(true);
    await refreshed;
    const again = JSON.parse(stored.get("k")!) as Snapshot<unknown>;
    expect(again.version).toBe(7);
    expect(again.writtenAt).toBeGreaterThan(firstAt);
  });

  it("reports a failed write and tries again on the next call", async () => {
    const { kv, stored, settle } = manualKv();
    const writer = new SnapshotWriter(kv, () => ({ key: "k", version: 1, value: {} }));
    const failed = expect(writer.write()).rejects.toThrow("injected");
    await settle(true);
    await failed;
    expect(writer.failing).toBe(true);
    const retried = writer.write();
    await settle();
    await retried;
    expect(writer.failing).toBe(false);
    expect(stored.has("k")).toBe(true);
  });

  it("writes nothing for an instance with nothing to publish", async () => {
    const { kv, pending } = manualKv();
    await new SnapshotWriter(kv, () => undefined).write(true);
    expect(pending).toHaveLength(0);
  });
});
