/**
 * What a hub keeps in memory while it is awake, all of it rebuildable: the exact last-activity time of each
 * connection (attachments get it at most once a second), each connection's message bucket, and an index of
 * groups built from the attachments the first time a group is addressed. After hibernation this is empty and
 * that is correct: a connection idle long enough for its hub to sleep has a full bucket, and the attachments
 * hold the rest.
 */
import type { ConnectionAttachment } from "../../src/websocket/attachment.ts";

interface Bucket {
  tokens: number;
  at: number;
}

export class HubMemory {
  readonly lastActive = new Map<string, number>();
  readonly #buckets = new Map<string, Bucket>();
  #groups: Map<string, Set<WebSocket>> | null = null;

  /** Spends one token of the connection's bucket (rate per second, size burst); false when empty. rate 0: unlimited. */
  admit(id: string, rate: number, burst: number, now: number): boolean {
    if (rate <= 0) return true;
    let b = this.#buckets.get(id);
    if (!b) this.#buckets.set(id, (b = { tokens: burst, at: now }));
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  forget(id: string, ws: WebSocket): void {
    this.lastActive.delete(id);
    this.#buckets.delete(id);
    if (this.#groups) for (const members of this.#groups.values()) members.delete(ws);
  }

  /** Members of `group`, indexing every socket's groups once per wake. */
  members(group: string, sockets: () => Iterable<[WebSocket, ConnectionAttachment]>): Set<WebSocket> {
    if (!this.#groups) {
      this.#groups = new Map();
      for (const [ws, a] of sockets()) for (const g of a.app.groups) this.#index(g).add(ws);
    }
    return this.#groups.get(group) ?? new Set();
  }

  regroup(ws: WebSocket, before: readonly string[], after: readonly string[]): void {
    if (!this.#groups) return; // built from the attachments when first needed
    for (const g of before) if (!after.includes(g)) this.#groups.get(g)?.delete(ws);
    for (const g of after) this.#index(g).add(ws);
  }

  #index(group: string): Set<WebSocket> {
    let set = this.#groups!.get(group);
    if (!set) this.#groups!.set(group, (set = new Set()));
    return set;
  }
}
