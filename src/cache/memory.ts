/**
 * The cache's memory tier: decoded entries an isolate answers from without asking the Cache API, keyed by the
 * entry's key text (key.ts). A least-recently-used list bounded by bytes and by entries: a hit moves its entry to
 * the front, so a hot key survives a scan of cold ones, and what goes out first is what has waited longest since
 * it was last asked for. Each entry is held for a bounded time from when it was read from the tiers behind (a hit
 * never extends it: the hold bounds how stale a memory hit can be) and never past its TTL.
 *
 * The list is intrusive (each node links to its neighbours): a hit relinks one node and allocates nothing, where
 * re-inserting into a Map would leave a deleted slot behind on every hit for the table to compact later.
 */
import type { CacheEntry } from "./entry.ts";

export interface MemoryLimits {
  /** Bytes held at most, by the estimate below (the bound that counts for real bodies). */
  bytes: number;
  /** Entries held at most (the bound that counts for tiny bodies: each entry has a fixed cost too). */
  entries: number;
  /** An entry larger than this is never held (it would push out many others). */
  entryBytes: number;
}

/**
 * What an entry costs beyond its key, headers and body: the node and entry objects, the header pairs, the
 * runtime's Headers copy, the map slot. An estimate, on the high side.
 */
export const ENTRY_OVERHEAD_BYTES = 512;

/** A held entry, as a hit uses it. */
export interface Held {
  readonly entry: CacheEntry;
  /** The entry's headers, built once: the runtime copies a Headers object natively, a list of pairs item by item. */
  readonly headers: Headers;
}

interface Node extends Held {
  readonly key: string;
  /** The encryption key the entry was read or stored under: after a secret rotation it is a miss here too. */
  readonly crypto: CryptoKey | null;
  /** Answered until then (ms), and never past the entry's TTL. */
  readonly until: number;
  readonly bytes: number;
  /** Towards the most recently used end (null: this is it). */
  newer: Node | null;
  /** Towards the least recently used end (null: this is it). */
  older: Node | null;
}

/** Whether an entry is within its TTL at `now` (and not stamped in the future: a clock that went back). */
export function fresh(entry: CacheEntry, now: number): boolean {
  return now < entry.storedAt + entry.ttl * 1000 && entry.storedAt <= now + 1000;
}

/** What an entry is counted as against the byte bound. */
export function entryBytes(key: string, entry: CacheEntry): number {
  // The whole buffer the body views is what stays in memory. Strings may take two bytes a character.
  let bytes = ENTRY_OVERHEAD_BYTES + 2 * key.length + entry.body.buffer.byteLength;
  // Each header twice: the list of pairs and the Headers built from it.
  for (const [name, value] of entry.headers) bytes += 4 * (name.length + value.length);
  return bytes;
}

export class MemoryTier {
  readonly #nodes = new Map<string, Node>();
  #newest: Node | null = null;
  #oldest: Node | null = null;
  #bytes = 0;

  constructor(readonly limits: MemoryLimits) {}

  /** Entries and bytes held now. */
  get stats(): { entries: number; bytes: number } {
    return { entries: this.#nodes.size, bytes: this.#bytes };
  }

  /**
   * The entry held for `key`, when it is within its hold and its TTL and was read under the same encryption
   * key; it becomes the most recently used. Anything else is dropped and is a miss.
   */
  get(key: string, crypto: CryptoKey | null, now: number): Held | undefined {
    const node = this.#nodes.get(key);
    if (!node) return undefined;
    if (now < node.until && node.crypto === crypto && fresh(node.entry, now)) {
      if (node !== this.#newest) {
        this.#unlink(node);
        this.#pushNewest(node);
      }
      return node;
    }
    this.delete(key);
    return undefined;
  }

  /**
   * Holds `entry` under `key` for `holdMs` from `now` (it replaces what was held), making room by dropping the
   * least recently used. Returns what a hit would get, or undefined when the entry is too large to hold.
   */
  set(key: string, entry: CacheEntry, crypto: CryptoKey | null, now: number, holdMs: number): Held | undefined {
    this.delete(key);
    if (holdMs <= 0) return undefined;
    const bytes = entryBytes(key, entry);
    if (bytes > this.limits.entryBytes) return undefined;
    while (this.#oldest && (this.#nodes.size >= this.limits.entries || this.#bytes + bytes > this.limits.bytes)) this.delete(this.#oldest.key);
    const node: Node = { key, entry, headers: new Headers(entry.headers), crypto, until: now + holdMs, bytes, newer: null, older: null };
    this.#nodes.set(key, node);
    this.#pushNewest(node);
    this.#bytes += bytes;
    return node;
  }

  delete(key: string): void {
    const node = this.#nodes.get(key);
    if (!node) return;
    this.#nodes.delete(key);
    this.#unlink(node);
    this.#bytes -= node.bytes;
  }

  /** Keys from the most recently used to the least (tests read it). */
  *keys(): IterableIterator<string> {
    for (let node = this.#newest; node; node = node.older) yield node.key;
  }

  #unlink(node: Node): void {
    if (node.newer) node.newer.older = node.older;
    else this.#newest = node.older;
    if (node.older) node.older.newer = node.newer;
    else this.#oldest = node.newer;
    node.newer = node.older = null;
  }

  #pushNewest(node: Node): void {
    node.older = this.#newest;
    node.newer = null;
    if (this.#newest) this.#newest.newer = node;
    else this.#oldest = node;
    this.#newest = node;
  }
}
