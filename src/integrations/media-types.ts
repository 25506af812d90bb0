/** Media-type matching for `binaryMediaTypes` (`image/png`, `image/*`, `*\/*`). */

/** The bare, lower-cased media type of a Content-Type value: `application/json; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string | null): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

export function matchesMediaType(contentType: string | null, patterns: readonly string[]): boolean {
  const type = mediaType(contentType);
  if (!type) return false;
  const [major] = type.split("/");
  return patterns.some((p) => {
    const pattern = p.toLowerCase();
    return pattern === "*/*" || pattern === type || pattern === `${major}/*`;
  });
}

/** JSON media types: `application/json` and `application/*+json`. */
export function isJsonMediaType(contentType: string | null): boolean {
  const type = mediaType(contentType);
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}
