/**
 * How an isolate refreshes what it knows of one Registry instance (an API's pointers, or the domain table): from the
 * KV snapshot when it can trust it, else from the Registry, the source of truth — and never backwards.
 *
 * - A snapshot older (lower version) than what the isolate already knows is ignored: KV may serve a stale copy for up
 *   to 60 s after a write, and going back could drop an authorizer added since.
 * - A snapshot written less than `trustMs` ago is adopted as is: no Registry call. The Registry rewrites it every
 *   SNAPSHOT_REFRESH_MS, so in a healthy system isolates never call the Registry at all.
 * - What the isolate knows from an earlier Registry answer stays trusted for `trustMs` after that answer, as long as
 *   KV answers with nothing newer (a snapshot whose heartbeat stopped, or one behind).
 * - Otherwise — KV down, empty, or only stale — the Registry is asked. When it cannot answer, the isolate keeps what it knew (or moves forward to a
 *   newer snapshot, stale or not); knowing nothing, it fails (503 upstream) — a stale snapshot is never a fresh
 *   isolate's first version.
 */
import { withTimeout } from "./registry-client.ts";
import { parseSnapshot, type Snapshot } from "./snapshots.ts";
import type { SnapshotSeen } from "../../durable-objects/registry/contract.ts";

/** What an isolate knows: a value, its version, and when it was last known to be current. */
export interface Known<T> {
  value: T;
  version: number;
  /** When this version was last known current: the snapshot's writtenAt, or the time of the Registry's answer. */
  evidenceAt: number;
}

export interface Sources<T> {
  /** The KV snapshot, or undefined on a miss, an error or a malformed value (each logged). */
  snapshot(): Promise<Snapshot<T> | undefined>;
  /** The Registry's answer; throws when it cannot give one. `kv` tells it what KV had, so it can mend its snapshot. */
  registry(kv: SnapshotSeen): Promise<{ version: number; value: T }>;
}

export async function refreshKnown<T>(what: string, known: Known<T> | undefined, sources: Sources<T>, trustMs: number): Promise<Known<T>> {
  const read = await sources.snapshot();
  let snapshot = read;
  if (snapshot && known && snapshot.version < known.version) {
    console.error(JSON.stringify({ level: "warn", event: "snapshot-behind", key: what, snapshot: snapshot.version, known: known.version }));
    snapshot = undefined;
  }
  const now = Date.now();
  // A write time in the future (clock skew) counts as now.
  const writtenAt = snapshot ? Math.min(snapshot.writtenAt, now) : 0;
  if (snapshot && now - writtenAt < trustMs) {
    const evidenceAt = known?.version === snapshot.version ? Math.max(writtenAt, known.evidenceAt) : writtenAt;
    return { value: snapshot.value, version: snapshot.version, evidenceAt };
  }
  // KV answered, with nothing newer than what the Registry confirmed lately: no need to ask it again yet. (KV down or
  // empty is different: then only the Registry can say whether something changed.)
  if (read && known && now - known.evidenceAt < trustMs && (!snapshot || snapshot.version === known.version)) return known;
  try {
    const answer = await sources.registry(read ? "stale" : "missing");
    return { value: answer.value, version: answer.version, evidenceAt: Date.now() };
  } catch (err) {
    // Forward is always allowed: a newer version than the isolate knew was current at some point after it.
    if (snapshot && known && snapshot.version > known.version) return { value: snapshot.value, version: snapshot.version, evidenceAt: writtenAt };
    throw err;
  }
}

/** How long a KV read may take before it counts as a miss (the Registry is then asked). */
export const SNAPSHOT_KV_WAIT_MS = 500;
/** KV's edge cache keeps a read this long (seconds; KV's minimum): a location sees a new snapshot within it. */
export const SNAPSHOT_CACHE_TTL_S = 30;

/** Reads and checks a snapshot from KV; a miss, an error or a malformed value is undefined (errors logged). */
export async function readSnapshot<T>(kv: KVNamespace, key: string, isValue: (v: unknown) => v is T): Promise<Snapshot<T> | undefined> {
  let text: string | null;
  try {
    text = await withTimeout(kv.get(key, { cacheTtl: SNAPSHOT_CACHE_TTL_S }), SNAPSHOT_KV_WAIT_MS, "KV");
  } catch (err) {
    console.error(JSON.stringify({ level: "error", event: "snapshot-kv-error", key, reason: (err as Error).message }));
    return undefined;
  }
  if (text === null) return undefined;
  const snapshot = parseSnapshot(text, isValue);
  if (!snapshot) console.error(JSON.stringify({ level: "error", event: "snapshot-refused", key, reason: "not a snapshot" }));
  return snapshot;
}
