/**
 * The bundle versions a hub's connections use, kept in the hub's own SQLite (`bundles`, STORAGE.md): the Worker
 * sends a version along with the first connection that needs it, and a hub woken from hibernation in a fresh
 * isolate reads it from here — one row per version, never one per connection, and no KV or Registry call.
 * Versions no connection uses any more are dropped by the hub's alarm.
 */
import type { Bundle } from "../../src/config/bundle.ts";
import { upgradeBundle } from "../../src/config/bundle-upgrade.ts";
import { CompiledBundle } from "../../src/deploy/compiled-bundle.ts";
import { integrationFor } from "../../src/integrations/index.ts";

/**
 * Per isolate, shared by every hub instance in it: a hub woken from hibernation in an isolate that survived reads
 * no storage at all. Versions are immutable and named by their content's hash, and every hub of an isolate runs
 * with the same environment, so what hangs off a compiled version (its integrations) means the same to each of
 * them; what a hub remembers from its traffic (memos, cache, metrics) is its own, in its AppState. Bounded.
 */
const isolateMemo = new Map<string, CompiledBundle>();
const MAX_MEMOISED = 32;

/** Forgets the isolate's memo: what a hub sees when its isolate was evicted while it hibernated (tests). */
export function forgetIsolateBundles(): void {
  isolateMemo.clear();
}

export class HubBundles {
  readonly #sql: SqlStorage;
  readonly #known = isolateMemo;
  /** Versions this hub has in its own storage (checked on connect: the isolate's memo may hold another hub's). */
  readonly #stored = new Set<string>();
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

  /** True when this hub's own storage holds the version (what a connection needs before the hub accepts it). */
  holds(id: string): boolean {
    if (this.#stored.has(id)) return true;
    if (!this.#table().exec("SELECT 1 FROM bundles WHERE id = ?", id).toArray().length) return false;
    this.#stored.add(id);
    return true;
  }

  get(id: string): CompiledBundle | undefined {
    const known = this.#known.get(id);
    if (known) return known;
    const row = this.#table().exec<{ bundle: string }>("SELECT bundle FROM bundles WHERE id = ?", id).toArray()[0];
    if (!row) return undefined;
    const compiled = prepared(id, upgradeBundle(JSON.parse(row.bundle) as Bundle));
    this.#remember(id, compiled);
    return compiled;
  }

  put(id: string, bundle: Bundle): void {
    this.#stored.add(id);
    this.#table().exec("INSERT OR IGNORE INTO bundles (id, bundle, added_at) VALUES (?, ?, ?)", id, JSON.stringify(bundle), Date.now());
    // A version this isolate's hubs already compiled keeps its integrations (they are memoised by its routes).
    if (!this.#known.has(id)) this.#remember(id, prepared(id, upgradeBundle(bundle)));
  }

  #remember(id: string, compiled: CompiledBundle): void {
    if (this.#known.size >= MAX_MEMOISED) this.#known.delete(this.#known.keys().next().value!);
    this.#known.set(id, compiled);
  }

  /** Drops every version not in `inUse`. */
  prune(inUse: ReadonlySet<string>): void {
    for (const { id } of this.#table().exec<{ id: string }>("SELECT id FROM bundles").toArray())
      if (!inUse.has(id)) {
        this.#sql.exec("DELETE FROM bundles WHERE id = ?", id);
        this.#stored.delete(id);
      }
  }
}

/**
 * A bundle compiled with each route's integration built at once, so a version whose integrations cannot be built is
 * refused when it is stored (the connection is refused) rather than failing every message.
 */
function prepared(id: string, bundle: Bundle): CompiledBundle {
  const compiled = CompiledBundle.of(id, bundle);
  for (const route of compiled.routes) integrationFor(route, compiled.bundle);
  return compiled;
}
