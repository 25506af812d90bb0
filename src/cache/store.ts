/**
 * The cache tiers: the app's own memory (a few seconds, bounded; per app, in CacheTiers), the per-location Cache
 * API, and Workers KV behind them (KV `CACHE`, key `cache:<api>:<stage>:<hash>`, STORAGE.md). Reads try memory,
 * then the location, then KV within a bounded wait; a location or KV hit is copied into the tiers in front of it.
 * Writes are coalesced: an app writes a key to KV at most once a second (KV's own limit per key), never once per
 * request. A slow or failing tier is a miss, never an error.
 */
import { awaitShared } from "../util/await-shared.ts";
import { decodeEntry, decodePlain, encodeEntry, encryptionKey, type CacheEntry } from "./entry.ts";
import { hashKeyText } from "./key.ts";
import { fresh, type Held, MemoryTier } from "./memory.ts";

/** What the cache tiers need of the environment (a narrow type: WebSocket hubs hold an AppState too, docs/architecture.md#layers). */
export interface CacheEnv {
  CACHE: KVNamespace;
  /** The memory tier's hold time, in ms (memoryMillis). */
  CACHE_MEMORY_MS?: string;
}

export const KV_WAIT_MS = 300;
/** A write that does not finish in this long is abandoned (it never holds a request's background work open). */
export const KV_WRITE_WAIT_MS = 5000;
const WRITE_INTERVAL_MS = 1000;
const LOCATION_ORIGIN = "https://cache.portico.internal/";
/** KV's shortest expiration; shorter TTLs are enforced on read from `storedAt`. */
const KV_MIN_TTL = 60;

/**
 * Memory tier (memory.ts): how long an isolate answers an entry it has read or stored without asking the tiers
 * behind again (`CACHE_MEMORY_MS`, default 30 s, at most 60 s, 0 turns the tier off), never past the entry's TTL.
 * What that bound protects, and why 30 s, is in docs/caching.md ("How long memory holds an entry"): flushes and
 * publishes change the key itself, so the hold only bounds how long another isolate's max-age=0 refresh takes to
 * be seen here. Least recently used out first; bounded in bytes and entries; large bodies are not held.
 */
export const MEMORY_MS_DEFAULT = 30_000;
const MEMORY_MS_MAX = 60_000;
export const MEMORY_MAX_ENTRIES = 10_000;
export const MEMORY_MAX_BYTES = 16 * 1024 * 1024;
export const MEMORY_MAX_ENTRY_BYTES = 256 * 1024;

/** The memory tier's hold time from the Worker's vars: a number of ms, 0 to turn it off; anything else is the default. */
export function memoryMillis(env: CacheEnv): number {
  const raw = env.CACHE_MEMORY_MS;
  if (raw === undefined || raw === "") return MEMORY_MS_DEFAULT;
  const ms = Number(raw);
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, MEMORY_MS_MAX) : MEMORY_MS_DEFAULT;
}

/**
 * Misses being filled by an app (CacheTiers), by key text: the filler's claim (a token, until when other requests for the
 * key wait for its entry instead of calling the backend themselves — a cache lock), and a promise the filler
 * settles when it lets go of the key. Waiters await that promise on their own timer (src/util/await-shared.ts;
 * why a request may await another's promise: docs/architecture.md).
 */
interface Fill {
  token: object;
  until: number;
  released: Promise<void>;
  release: () => void;
}
export const FILL_WAIT_MS = 5000;
/** Keys being filled at once in an app, at most (a bound against a flood of distinct misses). */
const FILL_MAX_KEYS = 1000;

export const kvKey = (api: string, stage: string, hash: string) => `cache:${api}:${stage}:${hash}`;

/**
 * One entry's key: its text (key.ts; the memory tier's key) and its KV key, hashed only when a tier behind
 * memory is asked — a memory hit never pays the SHA-256.
 */
export class EntryKey {
  #kv: string | undefined;
  constructor(
    readonly text: string,
    readonly api: string,
    readonly stage: string,
  ) {}

  get kv(): string {
    return (this.#kv ??= kvKey(this.api, this.stage, hashKeyText(this.text)));
  }
}

/**
 * Settles with `work`'s value, or undefined when it fails or takes longer than `ms`. One promise and one timer,
 * cleared as soon as the work settles (a race of two promises allocates three more per tier asked).
 */
function withinWait<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}

function location(): Cache | undefined {
  return (globalThis as { caches?: { default?: Cache } }).caches?.default;
}

/** A hit from the tiers behind memory: the entry, and its headers built once when the memory tier took it. */
export interface LookupResult {
  entry: CacheEntry;
  headers?: Headers;
}

/** Entries decode without a promise when they are not sealed (the common case: no encryptionSecret). */
const decode = (bytes: Uint8Array, crypto: CryptoKey | null) => (crypto ? decodeEntry(bytes, crypto) : decodePlain(bytes));

async function putLocal(here: Cache, url: string, raw: Uint8Array, entry: CacheEntry, now: number): Promise<void> {
  const seconds = Math.max(1, Math.floor((entry.storedAt + entry.ttl * 1000 - now) / 1000));
  await here.put(url, new Response(raw, { headers: { "cache-control": `max-age=${seconds}` } }));
}


/**
 * One app's cache state (src/pipeline/app-state.ts): its memory tier, the misses it is filling, when it last wrote
 * each key, the refreshes waiting for their key's second, and the AES keys derived from its encryption secrets.
 * Never module-level: two apps in one isolate (or two WebSocket hubs) must not answer from each other's memory.
 */
export class CacheTiers {
  readonly #memory = new MemoryTier({ bytes: MEMORY_MAX_BYTES, entries: MEMORY_MAX_ENTRIES, entryBytes: MEMORY_MAX_ENTRY_BYTES });
  readonly #filling = new Map<string, Fill>();
  readonly #lastWrite = new Map<string, number>();
  /** Refreshes waiting for their key's second to pass: the newest entry per key. */
  readonly #deferred = new Map<string, CacheEntry>();
  readonly #keys = new Map<string, CryptoKey>();

  /** The AES-256-GCM key for an encryption secret, derived once per secret (entry.ts). */
  encryptionKey(secret: string): Promise<CryptoKey> {
    return encryptionKey(secret, this.#keys);
  }

  /**
   * The entry the memory tier holds for a key text, synchronously: a memory hit awaits nothing, sets no timer and
   * hashes nothing (the tiers behind are keyed by the SHA-256 of the text; memory by the text itself).
   */
  recall(text: string, crypto: CryptoKey | null, now: number): Held | undefined {
    return this.#memory.get(text, crypto, now);
  }

  /**
   * Whether another request of this app is filling the key now. When not and `claim`, this request becomes its
   * filler: the returned token releases the claim (`releaseFill`), which it must do however the fill ends.
   */
  claimFill(text: string, now: number, claim: boolean): { busy: true } | { busy: false; token: object | null } {
    const filling = this.#filling;
    const held = filling.get(text);
    if (held && held.until > now) return { busy: true };
    if (!claim) return { busy: false, token: null };
    // A lapsed claim taken over, or the oldest dropped at the bound: its waiters stop waiting (they find no entry).
    if (held) held.release();
    else if (filling.size >= FILL_MAX_KEYS) {
      const [oldest, fill] = filling.entries().next().value!;
      filling.delete(oldest);
      fill.release();
    }
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const token = {};
    filling.set(text, { token, until: now + FILL_WAIT_MS, released, release });
    return { busy: false, token };
  }

  /**
   * The filler is done (stored: the entry is in memory; or nothing to store): its waiters wake. A lapsed claim taken
   * over is left alone (its waiters were woken when it was taken).
   */
  releaseFill(text: string, token: object): void {
    const fill = this.#filling.get(text);
    if (fill?.token !== token) return;
    this.#filling.delete(text);
    fill.release();
  }

  /**
   * Waits for another request's fill of `text`, at most `ms` and never past its claim: the entry once it is in
   * memory, or undefined as soon as the claim is released without one (not storable, too large for memory,
   * failed), is taken over, or the wait runs out.
   */
  async awaitFill(text: string, crypto: CryptoKey | null, ms = FILL_WAIT_MS): Promise<Held | undefined> {
    const fill = this.#filling.get(text);
    const bound = fill ? Math.min(ms, fill.until - Date.now()) : 0;
    if (fill && bound > 0) await awaitShared(fill.released, bound);
    return this.#memory.get(text, crypto, Date.now());
  }

  /** What the memory tier holds (the tests read it). */
  get memoryStats(): { entries: number; bytes: number } {
    return this.#memory.stats;
  }

  /**
   * Asks the tiers behind memory (call `recall` first): this location's Cache API, then KV, each within a bounded
   * wait. A hit is copied into memory (and a KV hit into the location).
   */
  async lookup(env: CacheEnv, id: EntryKey, crypto: CryptoKey | null, exec: ExecutionContext, memoryMs: number): Promise<LookupResult | undefined> {
    const now = Date.now();
    const here = location();
    const key = id.kv;
    const url = LOCATION_ORIGIN + key;
    const local = here ? await withinWait(here.match(url), KV_WAIT_MS) : undefined;
    if (local) {
      const entry = await decode(new Uint8Array(await local.arrayBuffer()), crypto);
      if (entry && fresh(entry, now)) return this.#hold(id.text, entry, crypto, now, memoryMs);
    }
    const bytes = await withinWait(env.CACHE.get(key, "arrayBuffer"), KV_WAIT_MS);
    if (!bytes) return undefined;
    const raw = new Uint8Array(bytes);
    const entry = await decode(raw, crypto);
    // Corrupt, or sealed under another key: a miss, and the next store overwrites it.
    if (!entry || !fresh(entry, now)) return undefined;
    if (here) exec.waitUntil(putLocal(here, url, raw, entry, now).catch(() => {}));
    return this.#hold(id.text, entry, crypto, now, memoryMs);
  }

  /** A hit read from behind memory, taken into memory (where its headers are built once) when the tier is on. */
  #hold(text: string, entry: CacheEntry, crypto: CryptoKey | null, now: number, memoryMs: number): LookupResult {
    return (memoryMs > 0 ? this.#memory.set(text, entry, crypto, now, memoryMs) : undefined) ?? { entry };
  }

  /**
   * Stores an entry in both tiers, at most once a second per key per app (KV's own limit per key). A miss inside
   * that second is not written. A permitted refresh (`force`: max-age=0 from a caller allowed to invalidate)
   * inside it is written when the second is over — once, with the newest entry — so a refresh is never lost and a
   * flood of refreshes still writes once a second. Each tier gets a bounded wait. The memory tier takes every
   * entry at once, coalesced or not.
   */
  async store(env: CacheEnv, id: EntryKey, entry: CacheEntry, crypto: CryptoKey | null, memoryMs: number, force = false): Promise<boolean> {
    const now = Date.now();
    // With the tier off this drops what memory held for the key (an app's requests share one tier).
    this.#memory.set(id.text, entry, crypto, now, memoryMs);
    const key = id.kv;
    const lastWrite = this.#lastWrite;
    const deferred = this.#deferred;
    const since = now - (lastWrite.get(key) ?? 0);
    if (since < WRITE_INTERVAL_MS) {
      if (!force) return false;
      const waiting = deferred.has(key);
      deferred.set(key, entry);
      if (waiting) return false;
      await new Promise((resolve) => setTimeout(resolve, WRITE_INTERVAL_MS - since));
      entry = deferred.get(key) ?? entry;
      deferred.delete(key);
    }
    if (lastWrite.size > 10_000) lastWrite.clear();
    lastWrite.set(key, Date.now());
    const raw = await encodeEntry(entry, crypto);
    const here = location();
    await Promise.all([
      withinWait(
        env.CACHE.put(key, raw, { expirationTtl: Math.max(KV_MIN_TTL, entry.ttl) }).catch((err: unknown) => {
          // KV refuses more than one write per second per key across locations: the next miss writes again.
          console.error(JSON.stringify({ level: "warn", event: "cache-write-failed", reason: (err as Error).message }));
        }),
        KV_WRITE_WAIT_MS,
      ),
      here ? withinWait(putLocal(here, LOCATION_ORIGIN + key, raw, entry, now).catch(() => {}), KV_WRITE_WAIT_MS) : undefined,
    ]);
    return true;
  }
}
