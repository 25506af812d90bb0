/**
 * HTTP's conditional requests and ranges for R2 objects (RFC 9110 §13, §14), pure: which precondition failed and
 * what that answers (412 for If-Match / If-Unmodified-Since, 304 for If-None-Match / If-Modified-Since on a read),
 * and the Content-Range of a ranged read.
 */

/** An entity tag list matches: `*`, or one of the tags (weak comparison for If-None-Match, strong for If-Match). */
function tagsMatch(header: string, etag: string, weak: boolean): boolean {
  const list = header.split(",").map((t) => t.trim()).filter(Boolean);
  if (list.includes("*")) return true;
  const bare = (t: string) => t.replace(/^W\//, "");
  return list.some((t) => (weak ? bare(t) === bare(etag) : !t.startsWith("W/") && t === etag));
}

/**
 * The status a precondition answers for an existing object (`etag` quoted, as R2's httpEtag), or null when the
 * request may go ahead. `read`: GET or HEAD (a failed If-None-Match is 304 there, 412 for a write).
 */
export function preconditionStatus(headers: Headers, etag: string, uploaded: Date, read: boolean): 304 | 412 | null {
  const ifMatch = headers.get("if-match");
  if (ifMatch !== null) {
    if (!tagsMatch(ifMatch, etag, false)) return 412;
  } else {
    const since = parseDate(headers.get("if-unmodified-since"));
    if (since !== null && seconds(uploaded) > since) return 412;
  }
  const ifNoneMatch = headers.get("if-none-match");
  if (ifNoneMatch !== null) {
    if (tagsMatch(ifNoneMatch, etag, true)) return read ? 304 : 412;
  } else if (read) {
    const since = parseDate(headers.get("if-modified-since"));
    if (since !== null && seconds(uploaded) <= since) return 304;
  }
  return null;
}

/** For a write to a key with no object: `If-Match` (any tag, `*` too) cannot hold. */
export function preconditionForAbsent(headers: Headers): 412 | null {
  return headers.has("if-match") ? 412 : null;
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

function parseDate(value: string | null): number | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

export type ByteRange = { offset: number; length: number } | { suffix: number };

/**
 * A single `Range: bytes=…` range, as R2 takes it; null for no Range header (or one this gateway does not honour:
 * another unit, or several ranges — RFC 9110 lets a server ignore those and answer the whole object); "invalid"
 * for a byte range that cannot be satisfied by any object (`bytes=5-2`).
 */
export function parseRange(header: string | null): ByteRange | null | "invalid" {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null;
  const [, first, last] = m;
  if (first === "" && last === "") return null;
  if (first === "") return Number(last) === 0 ? "invalid" : { suffix: Number(last) };
  const start = Number(first);
  if (last === "") return { offset: start, length: Number.MAX_SAFE_INTEGER };
  const end = Number(last);
  if (end < start) return "invalid";
  return { offset: start, length: end - start + 1 };
}

/** The range actually served from an object of `size` bytes, or null when none of it exists (416). */
export function resolveRange(range: ByteRange, size: number): { offset: number; length: number } | null {
  if ("suffix" in range) {
    if (size === 0) return null;
    const length = Math.min(range.suffix, size);
    return { offset: size - length, length };
  }
  if (range.offset >= size) return null;
  return { offset: range.offset, length: Math.min(range.length, size - range.offset) };
}
