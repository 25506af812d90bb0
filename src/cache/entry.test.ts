/**
 * The entry codec with plain values: what goes in comes out, sealed entries are unreadable without their key and
 * refuse any change, and every byte string that is not an entry this codec wrote decodes to undefined (a miss).
 */
import { describe, expect, it } from "vitest";
import { decodeEntry, encodeEntry, encryptionKey, type CacheEntry } from "./entry.ts";

/** Derived keys, as an app keeps them (src/cache/store.ts, CacheTiers). */
const keys = new Map<string, CryptoKey>();

const BODY_TEXT = "the secret body of user alice";

function entry(over: Partial<CacheEntry> = {}): CacheEntry {
  return {
    status: 200,
    headers: [["content-type", "application/json"], ["x-backend", "test"]],
    storedAt: 1_700_000_000_123,
    ttl: 300,
    body: new TextEncoder().encode(BODY_TEXT),
    ...over,
  };
}

const text = (bytes: Uint8Array) => new TextDecoder("latin1").decode(bytes);
const allBytes = () => Uint8Array.from({ length: 256 }, (_, i) => i);

describe("round trip", () => {
  it("gives back status, headers, time, ttl and body, plain", async () => {
    const e = entry({ status: 404, body: allBytes() });
    const encoded = await encodeEntry(e, null);
    expect(encoded[0]).toBe(1);
    expect(await decodeEntry(encoded, null)).toEqual(e);
  });

  it("keeps an empty body and many headers", async () => {
    const headers = Array.from({ length: 50 }, (_, i): [string, string] => [`x-h${i}`, `value "${i}", with ; separators`]);
    const e = entry({ body: new Uint8Array(0), headers });
    expect(await decodeEntry(await encodeEntry(e, null), null)).toEqual(e);
  });

  it("gives back the same entry encrypted, whose bytes hide the body and differ every time (random IV)", async () => {
    const key = await encryptionKey("secret-one", keys);
    const e = entry({ body: allBytes() });
    const plainBody = entry();
    const sealed = await encodeEntry(plainBody, key);
    expect(sealed[0]).toBe(2);
    expect(text(sealed)).not.toContain(BODY_TEXT);
    expect(text(sealed)).not.toContain("content-type");
    expect(await decodeEntry(sealed, key)).toEqual(plainBody);
    const again = await encodeEntry(plainBody, key);
    expect(text(again)).not.toBe(text(sealed));
    expect(await decodeEntry(await encodeEntry(e, key), key)).toEqual(e);
  });

  it("derives the same key from the same secret (memoised) and another from another", async () => {
    expect(await encryptionKey("secret-one", keys)).toBe(await encryptionKey("secret-one", keys));
    const sealed = await encodeEntry(entry(), await encryptionKey("secret-one", keys));
    expect(await decodeEntry(sealed, await encryptionKey("secret-one", keys))).toEqual(entry());
    expect(await decodeEntry(sealed, await encryptionKey("secret-two", keys))).toBeUndefined();
  });
});

describe("entries that must be misses", () => {
  it("a sealed entry under the wrong key, or with no key configured", async () => {
    const sealed = await encodeEntry(entry(), await encryptionKey("right", keys));
    expect(await decodeEntry(sealed, await encryptionKey("wrong", keys))).toBeUndefined();
    expect(await decodeEntry(sealed, null)).toBeUndefined();
  });

  it("a plain entry when a key is configured (an attacker able to write KV cannot plant one)", async () => {
    const plain = await encodeEntry(entry(), null);
    expect(await decodeEntry(plain, null)).toEqual(entry());
    expect(await decodeEntry(plain, await encryptionKey("right", keys))).toBeUndefined();
  });

  it("a sealed entry with any single byte changed: IV, ciphertext or tag", async () => {
    const key = await encryptionKey("right", keys);
    const sealed = await encodeEntry(entry(), key);
    expect(await decodeEntry(sealed, key)).toEqual(entry());
    for (let i = 1; i < sealed.byteLength; i++) {
      const tampered = sealed.slice();
      tampered[i]! ^= 0x01;
      expect(await decodeEntry(tampered, key), `byte ${i}`).toBeUndefined();
    }
    // Relabelled as plain, the sealed bytes are not a plain entry either.
    const relabelled = sealed.slice();
    relabelled[0] = 1;
    expect(await decodeEntry(relabelled, null)).toBeUndefined();
  });

  it("a sealed entry cut off at any length", async () => {
    const key = await encryptionKey("right", keys);
    const sealed = await encodeEntry(entry(), key);
    for (let n = 0; n < sealed.byteLength; n++) expect(await decodeEntry(sealed.subarray(0, n), key), `first ${n} bytes`).toBeUndefined();
  });

  it("a plain entry cut off at any length, inside the body too (never served short)", async () => {
    const plain = await encodeEntry(entry(), null);
    for (let n = 0; n < plain.byteLength; n++) expect(await decodeEntry(plain.subarray(0, n), null), `first ${n} bytes`).toBeUndefined();
    // Nor with bytes appended.
    const longer = new Uint8Array(plain.byteLength + 3);
    longer.set(plain);
    expect(await decodeEntry(longer, null)).toBeUndefined();
  });

  it("a plain entry read from the middle of a larger buffer still decodes (offsets are honoured)", async () => {
    const plain = await encodeEntry(entry(), null);
    const buffer = new Uint8Array(plain.byteLength + 10);
    buffer.set(plain, 7);
    expect(await decodeEntry(buffer.subarray(7, 7 + plain.byteLength), null)).toEqual(entry());
  });

  it("garbage: empty, a lone format byte, unknown formats, a huge meta length, meta that is not an entry's", async () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    const framed = (format: number, meta: string, body = "") => {
      const m = enc(meta);
      const out = new Uint8Array(5 + m.byteLength + body.length);
      out[0] = format;
      new DataView(out.buffer).setUint32(1, m.byteLength);
      out.set(m, 5);
      out.set(enc(body), 5 + m.byteLength);
      return out;
    };
    const good = '{"s":200,"h":[],"at":1,"ttl":60,"n":2}';
    // The framing helper is right: this one decodes, so the refusals below are about their one difference.
    expect(await decodeEntry(framed(1, good, "ok"), null)).toMatchObject({ status: 200, body: enc("ok") });
    const cases: [string, Uint8Array][] = [
      ["empty", new Uint8Array(0)],
      ["a lone plain format byte", Uint8Array.of(1)],
      ["a lone sealed format byte", Uint8Array.of(2)],
      ["format 0", framed(0, good, "ok")],
      ["format 3", framed(3, good, "ok")],
      ["a meta length past the end", Uint8Array.of(1, 0xff, 0xff, 0xff, 0xff, 0x7b, 0x7d)],
      ["meta that is not JSON", framed(1, "{not json", "ok")],
      ["meta that is null", framed(1, "null", "ok")],
      ["meta that is a list", framed(1, "[200]", "ok")],
      ["a status that is a string", framed(1, '{"s":"200","h":[],"at":1,"ttl":60,"n":2}', "ok")],
      ["headers that are not pairs", framed(1, '{"s":200,"h":[["a"]],"at":1,"ttl":60,"n":2}', "ok")],
      ["a header value that is a number", framed(1, '{"s":200,"h":[["a",1]],"at":1,"ttl":60,"n":2}', "ok")],
      ["no time stored", framed(1, '{"s":200,"h":[],"ttl":60,"n":2}', "ok")],
      ["no ttl", framed(1, '{"s":200,"h":[],"at":1,"n":2}', "ok")],
      ["no body length", framed(1, '{"s":200,"h":[],"at":1,"ttl":60}', "ok")],
      ["a body length that does not match", framed(1, good, "okay")],
      ["text", new TextEncoder().encode("hello, this is not an entry at all")],
    ];
    for (const [name, bytes] of cases) {
      expect(await decodeEntry(bytes, null), name).toBeUndefined();
      expect(await decodeEntry(bytes, await encryptionKey("right", keys)), `${name} (with a key)`).toBeUndefined();
    }
  });

  it("random bytes, whatever they hold", async () => {
    const key = await encryptionKey("right", keys);
    for (let i = 0; i < 200; i++) {
      const bytes = crypto.getRandomValues(new Uint8Array(1 + (i % 64)));
      expect(await decodeEntry(bytes, key)).toBeUndefined();
      expect(await decodeEntry(bytes, null)).toBeUndefined();
    }
  });
});
