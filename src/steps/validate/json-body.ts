/**
 * One pass over a JSON body that a route validates, before JSON.parse and the model see it: what makes a document
 * ambiguous between the validator and the backend, and what bounds the work an attacker can ask for. Pure and
 * linear (one Set of keys per open object); it judges structure only — JSON.parse still judges the grammar.
 *
 * - A duplicate key in one object: JSON.parse keeps the last value, so the model would judge `"role": "user"`
 *   while a backend that keeps the first acts on `"role": "admin"`. Keys are compared decoded (`"\u0061"` is `a`).
 * - An escaped lone surrogate (`"\ud800"`): backends disagree on it (U+FFFD, refusal, raw bytes). The text comes
 *   from a strict UTF-8 decode, so unescaped surrogates cannot occur.
 * - Depth, number of values and key length past the API's `settings.jsonLimits`.
 */
import type { BundleJsonLimits } from "../../config/bundle.ts";

/** Why `text` may not be validated (for `$context.error.validationErrorString`), or null. */
export function jsonBodyProblem(text: string, limits: BundleJsonLimits): string | null {
  // One entry per open container: its keys (objects), or null (arrays).
  const keys: (Set<string> | null)[] = [];
  let expectKey = false;
  let elements = 0;
  let inLiteral = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      inLiteral = false;
      const start = i + 1;
      let escaped = false;
      for (i = start; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 34) break;
        if (d !== 92 /* \ */) continue;
        escaped = true;
        const next = text.charCodeAt(i + 1);
        if (next === 117 /* u */) {
          const unit = parseInt(text.slice(i + 2, i + 6), 16);
          if (unit >= 0xdc00 && unit <= 0xdfff) return "[an unpaired surrogate escape]";
          if (unit >= 0xd800 && unit <= 0xdbff) {
            const low = text.slice(i + 6, i + 8) === "\\u" ? parseInt(text.slice(i + 8, i + 12), 16) : NaN;
            if (!(low >= 0xdc00 && low <= 0xdfff)) return "[an unpaired surrogate escape]";
            i += 6;
          }
          i += 5;
        } else i++;
      }
      const top = keys.length ? keys[keys.length - 1] : null;
      if (top && expectKey) {
        expectKey = false;
        const raw = text.slice(start, i);
        if (raw.length > limits.maxKeyLength && (!escaped || decode(raw).length > limits.maxKeyLength))
          return `[a key longer than ${limits.maxKeyLength} characters]`;
        const key = escaped ? decode(raw) : raw;
        if (top.has(key)) return `[duplicate key ${JSON.stringify(key.length > 64 ? key.slice(0, 64) + "…" : key)}]`;
        top.add(key);
      } else if (++elements > limits.maxElements) return `[more than ${limits.maxElements} values]`;
      continue;
    }
    if (c === 123 /* { */ || c === 91 /* [ */) {
      inLiteral = false;
      if (++elements > limits.maxElements) return `[more than ${limits.maxElements} values]`;
      if (keys.length >= limits.maxDepth) return `[nested deeper than ${limits.maxDepth}]`;
      keys.push(c === 123 ? new Set() : null);
      expectKey = c === 123;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      inLiteral = false;
      keys.pop();
      expectKey = false;
    } else if (c === 44 /* , */) {
      inLiteral = false;
      expectKey = keys.length > 0 && keys[keys.length - 1] !== null;
    } else if (c === 58 /* : */ || c === 32 || c === 9 || c === 10 || c === 13) {
      inLiteral = false;
    } else if (!inLiteral) {
      // The first character of a number, true, false or null.
      inLiteral = true;
      if (++elements > limits.maxElements) return `[more than ${limits.maxElements} values]`;
    }
  }
  return null;
}

/** A key's escapes decoded as JSON.parse would; a malformed one stays as written (JSON.parse refuses it later). */
function decode(raw: string): string {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}
