/**
 * Path normalisation (path.ts) with random input from fast-check: it never throws, and what it returns is
 * canonical — no empty, `.` or `..` segment, no slash inside a segment, no refused sequence, no escape of an
 * unreserved character — and stable: normalising its own output gives it back.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizePath } from "./path.ts";

/** Pieces that matter to a path parser, mixed with arbitrary text. */
const piece = fc.oneof(
  fc.constantFrom("admin", "a", ".", "..", "%2e", "%2E%2e", "%2f", "%2F", "%5c", "%00", "%1f", "%7f", ";", "\\", "%25", "%61", "%7E", "%7e", "%C3%A9", "é", "%", "%zz", "~", "-", "_", " ", "%20", "\t"),
  fc.string({ maxLength: 6 }),
  fc.string({ unit: "grapheme", maxLength: 4 }),
);
const pathname = fc.array(fc.tuple(piece, fc.constantFrom("/", "//", "")), { maxLength: 8 }).map((parts) => "/" + parts.map(([p, sep]) => p + sep).join(""));

describe("normalizePath, property-based", () => {
  it("never throws, and returns canonical segments that normalise to themselves", () => {
    fc.assert(
      fc.property(fc.oneof(pathname, fc.string()), (input) => {
        const result = normalizePath(input);
        if (!result.ok) {
          expect(typeof result.reason).toBe("string");
          return;
        }
        for (const segment of result.segments) {
          expect(segment).not.toBe("");
          expect(segment).not.toMatch(/^\.\.?$/);
          expect(segment).not.toContain("/");
          expect(segment).not.toMatch(/[\u0000-\u001f\u007f\\;]|%(?:2f|5c|3b|[01][0-9a-f]|7f)/i);
          // Unreserved characters are never left escaped, so two spellings of one path cannot route apart.
          expect(segment).not.toMatch(/%(?:4[1-9a-f]|5[0-9a]|6[1-9a-f]|7[0-9a]|3[0-9]|2d|2e|5f|7e)/i);
        }
        const again = normalizePath("/" + result.segments.join("/"));
        expect(again).toEqual({ ok: true, segments: result.segments, trailingSlash: false });
      }),
      { numRuns: 2000 },
    );
  });
});
