/**
 * IP addresses and CIDR ranges for resource policies. Every address is held as 16 bytes (IPv6), with IPv4 as
 * the IPv4-mapped range `::ffff:a.b.c.d`, so `::ffff:203.0.113.7` and `203.0.113.7` are one address and match
 * the same rules — a mapped spelling cannot slip past an IPv4 deny (the hole in Hono's ipRestriction advisory).
 */

export interface CidrRange {
  bytes: Uint8Array;
  /** Prefix length in the 128-bit space (an IPv4 /24 is 96 + 24). */
  prefix: number;
}

function parseIpv4(text: string, into: Uint8Array, offset: number): boolean {
  const parts = text.split(".");
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    // Decimal only: no leading zeros (octal in some parsers), no empty parts.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return false;
    const n = Number(p);
    if (n > 255) return false;
    into[offset + i] = n;
  }
  return true;
}

/** Parses an IPv4 or IPv6 address into 16 bytes, or undefined. Zone ids and brackets are not accepted. */
export function parseIp(text: string): Uint8Array | undefined {
  const bytes = new Uint8Array(16);
  if (!text.includes(":")) {
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    return parseIpv4(text, bytes, 12) ? bytes : undefined;
  }
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string): string[] => (part === "" ? [] : part.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  // An IPv4 tail (`::ffff:1.2.3.4`) takes the last 4 bytes.
  const last = (halves.length === 2 ? tail : head).at(-1);
  let v4Tail: Uint8Array | undefined;
  if (last?.includes(".")) {
    v4Tail = new Uint8Array(16);
    if (!parseIpv4(last, v4Tail, 12)) return undefined;
    (halves.length === 2 ? tail : head).pop();
  }
  const totalGroups = v4Tail ? 6 : 8;
  if (halves.length === 1 && head.length !== totalGroups) return undefined;
  if (halves.length === 2 && head.length + tail.length > totalGroups - 1) return undefined;
  const all = halves.length === 2 ? [...head, ...new Array<string>(totalGroups - head.length - tail.length).fill("0"), ...tail] : head;
  for (let i = 0; i < all.length; i++) {
    const g = all[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const n = parseInt(g, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 0xff;
  }
  if (v4Tail) bytes.set(v4Tail.subarray(12), 12);
  return bytes;
}

/** Parses `203.0.113.0/24`, `2001:db8::/32` or a bare address (a /32 or /128). */
export function parseCidr(text: string): CidrRange | undefined {
  const slash = text.indexOf("/");
  const address = slash < 0 ? text : text.slice(0, slash);
  const bytes = parseIp(address);
  if (!bytes) return undefined;
  const isV4 = !address.includes(":");
  const max = isV4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > max) return undefined;
    prefix = Number(p);
  }
  return { bytes, prefix: isV4 ? 96 + prefix : prefix };
}

export function inRange(address: Uint8Array, range: CidrRange): boolean {
  let bits = range.prefix;
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((address[i]! & mask) !== (range.bytes[i]! & mask)) return false;
  }
  return true;
}
