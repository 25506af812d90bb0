/**
 * Media-type matching for `binaryMediaTypes` (`image/png`, `image/*`, `*\/*`), with Amazon's rules as recorded:
 * a wildcard on the right (`application/*`) matches any subtype, `*\/*` matches everything, an entry with a wildcard
 * on the left (`*\/test`) matches nothing — not even an Accept of `*\/test`; and of an Accept list only the first
 * media type counts (`image/webp,image/png` is judged by `image/webp`).
 */

/** The bare, lower-cased media type of a Content-Type value: `application/json; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string | null): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

/** The first media type of an Accept header, bare and lower-cased: `image/webp,image/*;q=0.8` → `image/webp`. */
export function firstAcceptType(accept: string | null): string {
  return mediaType((accept ?? "").split(",")[0]!);
}

/** Whether a Content-Type (or one media type) is one of `patterns`. */
export function matchesMediaType(contentType: string | null, patterns: readonly string[]): boolean {
  if (!patterns.length) return false;
  const type = mediaType(contentType);
  if (!type) return false;
  const major = type.split("/")[0];
  return patterns.some((p) => {
    const pattern = p.toLowerCase();
    if (pattern === "*/*") return true;
    // Amazon does not support a wildcard on the left: such an entry matches nothing.
    if (pattern.startsWith("*/")) return false;
    return pattern === type || pattern === `${major}/*`;
  });
}

/** Whether the client's Accept header (its first media type) asks for a binary type. */
export function acceptsBinary(accept: string | null, patterns: readonly string[]): boolean {
  return patterns.length > 0 && matchesMediaType(firstAcceptType(accept), patterns);
}

/** JSON media types: `application/json` and `application/*+json`. */
export function isJsonMediaType(contentType: string | null): boolean {
  const type = mediaType(contentType);
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}
