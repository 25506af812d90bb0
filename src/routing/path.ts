/**
 * The one path normalisation every request gets before routing (DESIGN.md, security rules). The segments it
 * returns are the ones matched *and* the ones forwarded, so a policy guarding a route cannot be walked around
 * with a spelling the backend reads differently.
 *
 * The URL parser has already resolved `.` and `..` segments, including `%2e` spellings (WHATWG URL). What is
 * left: doubled and trailing slashes are collapsed (Amazon routes `/stage//x` as `/x`); segments are never
 * percent-decoded (Amazon keeps `%2B` as sent); and spellings a backend could read as a different path are
 * refused: an encoded slash or backslash, an encoded NUL or control character, and `;` (which servlet
 * containers strip as a path parameter, so `/admin;x` would reach `/admin`).
 */

export type NormalizedPath =
  | { ok: true; segments: string[]; trailingSlash: boolean }
  | { ok: false; reason: string };

// %2F / %5C (slashes), %00-%1F and %7F (controls), raw controls, backslash and ';'.
const REFUSED = /%(?:2f|5c|[01][0-9a-f]|7f)|[\u0000-\u001f\u007f\\;]/i;

/** Splits a URL pathname (as `new URL().pathname` gives it) into raw segments, or refuses it. */
export function normalizePath(pathname: string): NormalizedPath {
  if (REFUSED.test(pathname)) return { ok: false, reason: "refused character sequence in path" };
  const segments: string[] = [];
  for (const part of pathname.split("/")) if (part !== "") segments.push(part);
  return { ok: true, segments, trailingSlash: pathname.length > 1 && pathname.endsWith("/") };
}
