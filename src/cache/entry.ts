/**
 * Cache entries on the wire: status, headers, time stored and TTL, then the body. Layout:
 * `[1 byte format][4 bytes meta length][meta JSON][body]`, format 1 plain or 2 AES-GCM (`[12-byte IV][ciphertext]`
 * of the plain layout) under a key derived from a Worker secret. The meta names the body's length, so a cut-off
 * entry is refused rather than served short. Anything that does not decode is a miss.
 */
export interface CacheEntry {
  status: number;
  headers: [string, string][];
  storedAt: number;
  ttl: number;
  body: Uint8Array;
}

const PLAIN = 1;
const SEALED = 2;

function pack(entry: CacheEntry): Uint8Array {
  const meta = new TextEncoder().encode(JSON.stringify({ s: entry.status, h: entry.headers, at: entry.storedAt, ttl: entry.ttl, n: entry.body.byteLength }));
  const out = new Uint8Array(5 + meta.byteLength + entry.body.byteLength);
  out[0] = PLAIN;
  new DataView(out.buffer).setUint32(1, meta.byteLength);
  out.set(meta, 5);
  out.set(entry.body, 5 + meta.byteLength);
  return out;
}

const text = new TextDecoder();

function unpack(bytes: Uint8Array): CacheEntry | undefined {
  if (bytes.byteLength < 5 || bytes[0] !== PLAIN) return undefined;
  const length = ((bytes[1]! << 24) | (bytes[2]! << 16) | (bytes[3]! << 8) | bytes[4]!) >>> 0; // big-endian, as pack() writes it
  if (5 + length > bytes.byteLength) return undefined;
  try {
    const meta = JSON.parse(text.decode(bytes.subarray(5, 5 + length))) as { s: unknown; h: unknown; at: unknown; ttl: unknown; n: unknown };
    if (meta.n !== bytes.byteLength - 5 - length) return undefined;
    if (typeof meta.s !== "number" || !Array.isArray(meta.h) || typeof meta.at !== "number" || typeof meta.ttl !== "number") return undefined;
    if (!meta.h.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === "string" && typeof p[1] === "string")) return undefined;
    // A view, not a copy: the buffer is this entry's alone (read from a tier, or decrypted), and the memory tier
    // counts the whole buffer against its bound.
    return { status: meta.s, headers: meta.h as [string, string][], storedAt: meta.at, ttl: meta.ttl, body: bytes.subarray(5 + length) };
  } catch {
    return undefined;
  }
}

/**
 * An AES-256-GCM key derived from a secret (SHA-256 of its text), memoised in `keys` (the key, not a promise): an
 * app's own map (CacheTiers), never a module-level one, so no secret outlives the app that was given it.
 */
export async function encryptionKey(secret: string, keys: Map<string, CryptoKey>): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    const raw = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret));
    key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    keys.set(secret, key);
  }
  return key;
}

export async function encodeEntry(entry: CacheEntry, key: CryptoKey | null): Promise<Uint8Array> {
  const plain = pack(entry);
  if (!key) return plain;
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, plain));
  const out = new Uint8Array(1 + 12 + sealed.byteLength);
  out[0] = SEALED;
  out.set(iv, 1);
  out.set(sealed, 13);
  return out;
}

/** Decodes an entry read from a tier; undefined when it does not decode, or is sealed and `key` is not its key. */
export async function decodeEntry(bytes: Uint8Array, key: CryptoKey | null): Promise<CacheEntry | undefined> {
  if (!key) return decodePlain(bytes);
  if (bytes[0] !== SEALED || bytes.byteLength < 13) return undefined; // with encryption configured, an unencrypted entry is not trusted
  try {
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes.subarray(1, 13) }, key, bytes.subarray(13));
    return unpack(new Uint8Array(plain));
  } catch {
    return undefined;
  }
}

/** Decodes an unencrypted entry, synchronously (a sealed one is undefined: it needs its key). */
export function decodePlain(bytes: Uint8Array): CacheEntry | undefined {
  return unpack(bytes);
}
