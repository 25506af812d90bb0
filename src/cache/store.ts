/**
 * The two cache tiers: the per-location Cache API in front, Workers KV behind it (KV `CACHE`, key
 * `cache:<api>:<stage>:<hash>`, STORAGE.md). Reads try the location first, then KV within a bounded wait, and
 * copy a KV hit into the location. Writes are coalesced: an isolate writes a key to KV at most once a second
 * (KV's own limit per key), never once per request. A slow or failing tier is a miss, never an error.
 */
import type { Env } from "../env.ts";
import { decodeEntry, encodeEntry, type CacheEntry } from "./entry.ts";

export const KV_WAIT_MS = 300;
const WRITE_INTERVAL_MS = 1000;
const LOCATION_ORIGIN = "https://cache.portico.internal/";
/** KV's shortest expiration; shorter TTLs are enforced on read from `storedAt`. */
const KV_MIN_TTL = 60;

const lastWrite = new Map<string, number>();

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
  /** An entry was found but could not be decoded (corrupt, or sealed with another key): it will be overwritten. */
  corrupt: boolean;
}

export async function lookup(env: Env, key: string, crypto: CryptoKey | null, exec: ExecutionContext): Promise<LookupResult> {
  const now = Date.now();
  const here = location();
  const url = LOCATION_ORIGIN + key;
  const local = here ? await withinWait(here.match(url), KV_WAIT_MS) : undefined;
  if (local) {
    const entry = await decodeEntry(new Uint8Array(await local.arrayBuffer()), crypto);
    if (entry && fresh(entry, now)) return { entry, corrupt: false };
  }
  const bytes = await withinWait(env.CACHE.get(key, "arrayBuffer"), KV_WAIT_MS);
  if (!bytes) return { entry: undefined, corrupt: false };
  const raw = new Uint8Array(bytes);
  const entry = await decodeEntry(raw, crypto);
  if (!entry) return { entry: undefined, corrupt: true };
  if (!fresh(entry, now)) return { entry: undefined, corrupt: false };
  if (here) exec.waitUntil(putLocal(here, url, raw, entry, now).catch(() => {}));
  return { entry, corrupt: false };
}

async function putLocal(here: Cache, url: string, raw: Uint8Array, entry: CacheEntry, now: number): Promise<void> {
  const seconds = Math.max(1, Math.floor((entry.storedAt + entry.ttl * 1000 - now) / 1000));
  await here.put(url, new Response(raw, { headers: { "cache-control": `max-age=${seconds}` } }));
}

/** Stores an entry in both tiers, unless this isolate wrote the key less than a second ago. */
export async function store(env: Env, key: string, entry: CacheEntry, crypto: CryptoKey | null): Promise<boolean> {
  const now = Date.now();
  if (now - (lastWrite.get(key) ?? 0) < WRITE_INTERVAL_MS) return false;
  if (lastWrite.size > 10_000) lastWrite.clear();
  lastWrite.set(key, now);
  const raw = await encodeEntry(entry, crypto);
  const here = location();
  await Promise.all([
    env.CACHE.put(key, raw, { expirationTtl: Math.max(KV_MIN_TTL, entry.ttl) }).catch((err: unknown) => {
      // KV refuses more than one write per second per key across locations: the next miss writes again.
      console.error(JSON.stringify({ level: "warn", event: "cache-write-failed", reason: (err as Error).message }));
    }),
    here ? putLocal(here, LOCATION_ORIGIN + key, raw, entry, now).catch(() => {}) : undefined,
  ]);
  return true;
}
