/**
 * A Registry instance's duties towards its KV snapshot (src/deploy/snapshots.ts): write it after every change, mend it
 * when a reader found it missing or stale, rewrite it every SNAPSHOT_REFRESH_MS from the alarm (the heartbeat that
 * keeps it trusted), and retry a failed write. The writing itself, strictly in order, is SnapshotWriter's.
 */
import { SNAPSHOT_REFRESH_MS } from "../../src/deploy/snapshots.ts";
import type { SnapshotSeen } from "./contract.ts";
import { SnapshotWriter, type SnapshotContent } from "./snapshot-writer.ts";

/** A failed write is tried again after this long. */
const RETRY_MS = 2000;
/** A snapshot a reader found missing or stale is rewritten at most this often (KV takes one write a second per key). */
export const SNAPSHOT_REWRITE_MS = 2000;

export class RegistrySnapshots {
  readonly #ctx: DurableObjectState;
  readonly #content: SnapshotContent;
  readonly #writer: SnapshotWriter;
  readonly #reschedule: () => Promise<void>;

  /** `reschedule` sets the instance's alarm from everything it is due for (this class's `due` included). */
  constructor(ctx: DurableObjectState, kv: KVNamespace, content: SnapshotContent, reschedule: () => Promise<void>) {
    this.#ctx = ctx;
    this.#content = content;
    this.#writer = new SnapshotWriter(kv, content);
    this.#reschedule = reschedule;
  }

  /**
   * Writes the snapshot (after a change; `refresh` for the heartbeat). A failed write is logged and retried by the
   * alarm; the change itself stands — the Registry is the source of truth, and isolates that find the snapshot too
   * old ask here.
   */
  async publish(refresh = false): Promise<void> {
    const hadAlarm = (await this.#ctx.storage.getAlarm()) !== null;
    try {
      await this.#writer.write(refresh);
    } catch (err) {
      console.error(JSON.stringify({ level: "error", event: "snapshot-write-failed", key: this.#content()?.key, reason: (err as Error).message }));
    }
    if (!hadAlarm || this.#writer.failing) await this.#reschedule();
  }

  /** After a read: rewrites the snapshot in the background if the reader saw it missing or stale, or it is due. */
  mend(seen: SnapshotSeen | undefined): void {
    if (!this.#content()) return;
    const written = this.#writer.writtenAt;
    const age = Date.now() - written;
    if (written === 0 || age > SNAPSHOT_REFRESH_MS || (seen !== undefined && age > SNAPSHOT_REWRITE_MS)) this.#ctx.waitUntil(this.publish(true));
  }

  /** From the alarm: the heartbeat when due (always when the alarm runs only for it), or the retry of a failed write. */
  async onAlarm(alarmIsOnlyForThis: boolean): Promise<void> {
    if (alarmIsOnlyForThis || this.#writer.failing || Date.now() - this.#writer.writtenAt >= SNAPSHOT_REFRESH_MS - 1000) await this.publish(true);
  }

  /** When the alarm must next run for the snapshot, or undefined when the instance publishes none. */
  due(now: number): number | undefined {
    if (!this.#content()) return undefined;
    return this.#writer.failing ? now + RETRY_MS : Math.max(now + 1000, this.#writer.writtenAt + SNAPSHOT_REFRESH_MS);
  }
}
