/**
 * API key values. A key is `ptk_` + 34 random base62 characters + a 6-character check (the first hex of the
 * SHA-256 of the random part), so a mistyped or made-up value is refused without a Registry lookup. Only the
 * SHA-256 of the whole value is ever stored; the value is shown once, when the key is created or rotated.
 */
import { sha256Hex } from "../config/bundle.ts";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BODY = 34;
export const KEY_PATTERN = /^ptk_[0-9A-Za-z]{34}[0-9a-f]{6}$/;

export async function generateKeyValue(): Promise<string> {
  const bytes = crypto.getRandomValues(new Uint8Array(BODY * 2));
  let body = "";
  // Rejection sampling keeps every character equally likely (248 = 4 × 62).
  for (const b of bytes) if (b < 248 && body.length < BODY) body += ALPHABET[b % 62];
  while (body.length < BODY) body += ALPHABET[crypto.getRandomValues(new Uint8Array(1))[0]! % 62];
  return `ptk_${body}${(await sha256Hex(body)).slice(0, 6)}`;
}

/** Whether a value has a key's shape and a correct check. */
export async function wellFormedKey(value: string): Promise<boolean> {
  if (!KEY_PATTERN.test(value)) return false;
  const body = value.slice(4, 4 + BODY);
  return (await sha256Hex(body)).slice(0, 6) === value.slice(4 + BODY);
}

export const hashKey = (value: string) => sha256Hex(value);

/** What listings show instead of the value: enough to recognise a key, useless to use it. */
export const keyHint = (value: string) => `${value.slice(0, 8)}…${value.slice(-4)}`;

/** A key's id: 20 hex characters (80 random bits), unique across every KeyStore shard. */
export const newKeyId = () => crypto.randomUUID().replace(/-/g, "").slice(0, 20);
