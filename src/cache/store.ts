/**
 * The two cache tiers: the per-location Cache API in front, Workers KV behind it (KV `CACHE`, key
 * `cache:<api>:<stage>:<hash>`, STORAGE.md). Reads try the location first, then KV within a bounded wait, and
 * copy a KV hit into the location. Writes are coalesced: an isolate writes a key to KV at most once a second
 * (KV's own limit per key), never once per request. A slow or failing tier is a miss, never an error.
 */
import type { Env } from "../env.ts";
import { decodeEntry, encodeEntry, type CacheEntry } from "./entry.ts";

export const KV_WAIT_MS = 300;
/** A write that does not finish in this long is abandoned (it never holds a request's background work open). */
export const KV_WRITE_WAIT_MS = 5000;
const WRITE_INTERVAL_MS = 1000;
const LOCATION_ORIGIN = "https://cache.portico.internal/";
/** KV's shortest expiration; shorter TTLs are enforced on read from `storedAt`. */
const KV_MIN_TTL = 60;

const lastWrite = new Map<string, number>();
/** Refreshes waiting for their key's second to pass: the newest entry per key. */
const deferred = new Map<string, CacheEntry>();

export const kvKey = (api: string, stage: string, hash: string) => `cache:${api}:${stage}:${hash}`;

function fresh(entry: CacheEntry, now: number): boolean {
  return now < entry.storedAt + entry.ttl * 1000 && entry.storedAt <= now + 1000;
}

async function withinWait<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const gaveUp = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([work.catch(() => undefined), gaveUp]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

function location(): Cache | undefined {
  return (globalThis as { caches?: { default?: Cache } }).caches?.default;
}

export interface LookupResult {
  entry: CacheEntry | undefined;
}

export async function lookup(env: Env, key: string, crypto: CryptoKey | null, exec: ExecutionContext): Promise<LookupResult> {
  const now = Date.now();
  const here = location();
  const url = LOCATION_ORIGIN + key;
  const local = here ? await withinWait(here.match(url), KV_WAIT_MS) : undefined;
  if (local) {
    const entry = await decodeEntry(new Uint8Array(await local.arrayBuffer()), crypto);
    if (entry && fresh(entry, now)) return { entry };
  }
  const bytes = await withinWait(env.CACHE.get(key, "arrayBuffer"), KV_WAIT_MS);
  if (!bytes) return { entry: undefined };
  const raw = new Uint8Array(bytes);
  const entry = await decodeEntry(raw, crypto);
  // Corrupt, or sealed under another key: a miss, and the next store overwrites it.
  if (!entry) return { entry: undefined };
  if (!fresh(entry, now)) return { entry: undefined };
  if (here) exec.waitUntil(putLocal(here, url, raw, entry, now).catch(() => {}));
  return { entry };
}

async function putLocal(here: Cache, url: string, raw: Uint8Array, entry: CacheEntry, now: number): Promise<void> {
  const seconds = Math.max(1, Math.floor((entry.storedAt + entry.ttl * 1000 - now) / 1000));
  await here.put(url, new Response(raw, { headers: { "cache-control": `max-age=${seconds}` } }));
}

/**
 * Stores an entry in both tiers, at most once a second per key per isolate (KV's own limit per key). A miss
 * inside that second is not written. A permitted refresh (`force`: max-age=0 from a caller allowed to
 * invalidate) inside it is written when the second is over — once, with the newest entry — so a refresh is
 * never lost and a flood of refreshes still writes once a second. Each tier gets a bounded wait.
 */
export async function store(env: Env, key: string, entry: CacheEntry, crypto: CryptoKey | null, force = false): Promise<boolean> {
  const now = Date.now();
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
