/**
 * A hub's view of its connections' attachments: read from the runtime (what survives hibernation) and memoised
 * while this instance lives, written back when they change, and — for an identity too large for an attachment
 * (16 KiB) — the overflow kept in the hub's `identities` table (STORAGE.md).
 */
import { ATTACHMENT_FORMAT, type ConnectionAttachment } from "../../src/websocket/attachment.ts";

export class HubAttachments {
  readonly #ctx: DurableObjectState;
  /** As this instance last read or wrote them; gone with the instance when the hub hibernates. */
  readonly #attached = new WeakMap<WebSocket, ConnectionAttachment>();

  constructor(ctx: DurableObjectState) {
    this.#ctx = ctx;
  }

  get(ws: WebSocket): ConnectionAttachment | null {
    const known = this.#attached.get(ws);
    if (known) return known;
    const a = this.stored(ws);
    if (a) this.#attached.set(ws, a);
    return a;
  }

  /** The runtime's own copy, whatever this instance remembers. */
  stored(ws: WebSocket): ConnectionAttachment | null {
    const a = ws.deserializeAttachment() as ConnectionAttachment | null;
    return a && a.f === ATTACHMENT_FORMAT ? a : null;
  }

  /** True when this instance marked the connection disconnected (its memo may be ahead of the runtime's copy). */
  markedDisconnected(ws: WebSocket): boolean {
    return this.#attached.get(ws)?.portico.disconnected === true;
  }

  /** Live connections (not yet disconnected) with their attachments. */
  *sockets(): Generator<[WebSocket, ConnectionAttachment]> {
    for (const ws of this.#ctx.getWebSockets()) {
      const a = this.get(ws);
      if (a && !a.portico.disconnected) yield [ws, a];
    }
  }

  find(connectionId: string): [WebSocket, ConnectionAttachment] | undefined {
    if (typeof connectionId !== "string") return undefined;
    for (const ws of this.#ctx.getWebSockets(connectionId)) {
      const a = this.get(ws);
      if (a && !a.portico.disconnected) return [ws, a];
    }
    return undefined;
  }

  /** Saves an attachment; an identity too large for one (JWT claims, a chatty authorizer) moves to `identities`. */
  save(ws: WebSocket, a: ConnectionAttachment): void {
    this.#attached.set(ws, a);
    try {
      ws.serializeAttachment(a);
      return;
    } catch (err) {
      if (a.portico.identityStored || !a.app.identity) throw err;
    }
    const sql = this.#ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS identities (connection_id TEXT PRIMARY KEY, identity TEXT NOT NULL)");
    sql.exec("INSERT OR REPLACE INTO identities (connection_id, identity) VALUES (?, ?)", a.portico.id, JSON.stringify(a.app.identity));
    a.portico.identityStored = true;
    a.app.identity = null;
    ws.serializeAttachment(a);
  }

  /** Marks the connection disconnected in both copies (a socket already gone keeps no attachment: then only the memo). */
  markDisconnected(ws: WebSocket, a: ConnectionAttachment): void {
    a.portico.disconnected = true;
    this.#attached.set(ws, a);
    try {
      ws.serializeAttachment(a);
    } catch {
      // the socket is gone: nothing else can read the flag anyway
    }
  }

  /** The attachment with its identity, read from `identities` when it overflowed (only then is storage read). */
  withIdentity(a: ConnectionAttachment): ConnectionAttachment {
    if (!a.portico.identityStored) return a;
    const row = this.#ctx.storage.sql.exec<{ identity: string }>("SELECT identity FROM identities WHERE connection_id = ?", a.portico.id).toArray()[0];
    return { ...a, app: { ...a.app, identity: row ? JSON.parse(row.identity) : null } };
  }

  forgetIdentity(a: ConnectionAttachment): void {
    if (a.portico.identityStored) this.#ctx.storage.sql.exec("DELETE FROM identities WHERE connection_id = ?", a.portico.id);
  }
}
