/**
 * Writes a Registry instance's snapshot to KV (src/deploy/snapshots.ts): after every change, and again every
 * SNAPSHOT_REFRESH_MS from the alarm so `writtenAt` stays recent. Writes are strictly one at a time and each carries
 * the state as it is when the write starts, so the last write to land is always the newest version: two changes in
 * quick succession can never leave KV holding the older one (KV keeps the last write to a key).
 */
import { SNAPSHOT_FORMAT, type Snapshot } from "../../src/deploy/snapshots.ts";

/** What the instance publishes now, or undefined when it has nothing to publish (the `keys` instance). */
export type SnapshotContent = () => { key: string; version: number; value: unknown } | undefined;

export class SnapshotWriter {
  readonly #kv: KVNamespace;
  readonly #content: SnapshotContent;
  /** The highest version whose write completed while this instance has been running. */
  #written = -1;
  #writtenAt = 0;
  #failing = false;
  #inflight: Promise<void> | undefined;

  constructor(kv: KVNamespace, content: SnapshotContent) {
    this.#kv = kv;
    this.#content = content;
  }

  /** When the last write completed (0: none since the instance started). */
  get writtenAt(): number {
    return this.#writtenAt;
  }

  /** True after a write that failed, until one succeeds: the alarm retries soon. */
  get failing(): boolean {
    return this.#failing;
  }

  /**
   * Makes KV hold the current version: resolves once a write carrying it (or a newer one) has completed. `refresh`
   * writes even when that version is already there (the heartbeat). Rejects when the write fails.
   */
  async write(refresh = false): Promise<void> {
    for (;;) {
      const current = this.#content();
      if (!current || (!refresh && this.#written >= current.version)) return;
      if (this.#inflight) {
        // One write at a time: wait for the one in flight, then look again (it may already carry our version).
        await this.#inflight.catch(() => {});
        continue;
      }
      refresh = false;
      const snapshot: Snapshot<unknown> = { format: SNAPSHOT_FORMAT, version: current.version, writtenAt: Date.now(), value: current.value };
      const put = this.#kv.put(current.key, JSON.stringify(snapshot)).then(
        () => {
          this.#written = Math.max(this.#written, current.version);
          this.#writtenAt = Date.now();
          this.#failing = false;
        },
        (err: unknown) => {
          this.#failing = true;
          throw err;
        },
      );
      this.#inflight = put.finally(() => (this.#inflight = undefined));
      await this.#inflight;
    }
  }
}
