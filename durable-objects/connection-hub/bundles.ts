/**
 * The bundle versions a hub's connections use, kept in the hub's own SQLite (`bundles`, STORAGE.md): the Worker
 * sends a version along with the first connection that needs it, and a hub woken from hibernation in a fresh
 * isolate reads it from here — one row per version, never one per connection, and no KV or Registry call.
 * Versions no connection uses any more are dropped by the hub's alarm.
 */
import { upgradeBundle, type Bundle } from "../../src/config/bundle.ts";
import { CompiledBundle } from "../../src/deploy/compiled-bundle.ts";

export class HubBundles {
  readonly #sql: SqlStorage;
  readonly #known = new Map<string, CompiledBundle>();
  #ready = false;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /** Created on first use, so a wake that needs no bundle touches no storage. */
  #table(): SqlStorage {
    if (!this.#ready) {
      this.#sql.exec("CREATE TABLE IF NOT EXISTS bundles (id TEXT PRIMARY KEY, bundle TEXT NOT NULL, added_at INTEGER NOT NULL)");
      this.#ready = true;
    }
    return this.#sql;
  }

  get(id: string): CompiledBundle | undefined {
    const known = this.#known.get(id);
    if (known) return known;
    const row = this.#table().exec<{ bundle: string }>("SELECT bundle FROM bundles WHERE id = ?", id).toArray()[0];
    if (!row) return undefined;
    const compiled = CompiledBundle.of(id, upgradeBundle(JSON.parse(row.bundle) as Bundle));
    this.#known.set(id, compiled);
    return compiled;
  }

  put(id: string, bundle: Bundle): void {
    if (this.#known.has(id)) return;
    this.#table().exec("INSERT OR IGNORE INTO bundles (id, bundle, added_at) VALUES (?, ?, ?)", id, JSON.stringify(bundle), Date.now());
    this.#known.set(id, CompiledBundle.of(id, upgradeBundle(bundle)));
  }

  /** Drops every version not in `inUse`. */
  prune(inUse: ReadonlySet<string>): void {
    for (const { id } of this.#table().exec<{ id: string }>("SELECT id FROM bundles").toArray())
      if (!inUse.has(id)) {
        this.#sql.exec("DELETE FROM bundles WHERE id = ?", id);
        this.#known.delete(id);
      }
  }
}
