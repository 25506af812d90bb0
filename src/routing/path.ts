/**
 * The one path normalisation every request gets before routing (docs/architecture.md, security rules). The segments it
 * returns are the ones matched *and* the ones forwarded, so a policy guarding a route cannot be walked around
 * with a spelling the backend reads differently.
 *
 * The URL parser has already resolved `.` and `..` segments, including `%2e` spellings (WHATWG URL). What is
 * left: doubled and trailing slashes are collapsed (Amazon routes `/stage//x` as `/x`); percent-encoded
 * unreserved characters are decoded and other escapes upper-cased (RFC 3986 §6.2.2), so `/%61dmin` is `/admin`
 * to the router exactly as it is to a backend — otherwise it would miss a guarded `/admin` route, fall to a
 * greedy one and be decoded into `/admin` behind it; every other escape stays as sent (Amazon keeps `%2B`); and
 * spellings a backend could read as a different path are refused: an encoded slash or backslash, an encoded NUL
 * or control character, `;` and `%3B` (servlet containers strip it as a path parameter, so `/admin;x` would
 * reach `/admin`, and a framework that decodes before it strips reads `/admin%3Bx` the same way), and a segment
 * that decodes to `.` or `..`.
 */

export type NormalizedPath =
  | { ok: true; segments: string[]; trailingSlash: boolean }
  | { ok: false; reason: string };

// %2F / %5C (slashes), %00-%1F and %7F (controls), ';' raw and as %3B, raw controls and backslash.
const REFUSED = /%(?:2f|5c|3b|[01][0-9a-f]|7f)|[\u0000-\u001f\u007f\\;]/i;

const ESCAPE = /%([0-9a-fA-F]{2})/g;
const UNRESERVED = /[A-Za-z0-9._~-]/;

function canonicalEscapes(part: string): string {
  return part.replace(ESCAPE, (escape, hex: string) => {
    const char = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : escape.toUpperCase();
  });
}

/** Splits a URL pathname (as `new URL().pathname` gives it) into raw segments, or refuses it. */
export function normalizePath(pathname: string): NormalizedPath {
  if (REFUSED.test(pathname)) return { ok: false, reason: "refused character sequence in path" };
  const escaped = pathname.includes("%");
  const segments: string[] = [];
  for (const raw of pathname.split("/")) {
    if (raw === "") continue;
    const part = escaped ? canonicalEscapes(raw) : raw;
    if (part === "." || part === "..") return { ok: false, reason: "dot segment in path" };
    segments.push(part);
  }
  return { ok: true, segments, trailingSlash: pathname.length > 1 && pathname.endsWith("/") };
}
