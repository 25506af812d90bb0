/**
 * Regular expressions from configuration (model `pattern` and `patternProperties`, a custom authorizer's
 * `validationExpression`) run on request input, so they run on a linear-time engine: RE2 (re2js, pure
 * JavaScript, runs in workerd). `^(a+)+$` against a long string is then one pass, not an exponential search.
 *
 * Patterns are written in ECMA-262 (JSON Schema says so; JavaScript with the `u` flag is what a user tests with),
 * so each is first checked by the JavaScript engine, then translated to RE2 syntax keeping ECMA's meaning where
 * the two differ — `.` (no \r, U+2028, U+2029), `\s` (Unicode spaces and U+FEFF), `\uXXXX` and `\u{…}`, `\cX`,
 * `\0`, `[^]`, `[]`, named groups — and compiled once. What RE2 cannot run is refused with a reason, for `validate`
 * to report at the pattern's field path: lookaround, backreferences, inline modifiers, lone surrogate escapes,
 * Unicode property names RE2 does not know, repeat counts over 1000.
 *
 * Amazon's own regexes (integration-response selection patterns, the regexes mapping templates call) are Java's
 * and run on the same engine without translation: `linearJavaPattern`.
 */
import { RE2JS } from "re2js";

/** A compiled pattern: an unanchored search, like RegExp.prototype.test. */
export interface LinearPattern {
  test(input: string): boolean;
}

/** ECMA-262 WhiteSpace and LineTerminator: what `\s` matches in JavaScript. */
const WHITESPACE: [number, number][] = [
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
];
const hex = (n: number) => `\\x{${n.toString(16)}}`;
const span = ([a, b]: [number, number]) => (a === b ? hex(a) : `${hex(a)}-${hex(b)}`);
const SPACE_MEMBERS = WHITESPACE.map(span).join("");
const NOT_SPACE_MEMBERS = (() => {
  const out: [number, number][] = [];
  let next = 0;
  for (const [a, b] of WHITESPACE) {
    if (a > next) out.push([next, a - 1]);
    next = b + 1;
  }
  out.push([next, 0x10ffff]);
  return out.map(span).join("");
})();
/** ECMA's `.` without the s flag: anything but a line terminator. */
const DOT = "[^\\n\\r\\x{2028}\\x{2029}]";
const ANY = "[\\x{0}-\\x{10ffff}]";
const NOTHING = "[^\\x{0}-\\x{10ffff}]";

class Unsupported extends Error {}

/** Reads `\u…` at `i` (just after the backslash and `u`): the code point and where it ends. */
function readUnicodeEscape(src: string, i: number): { code: number; end: number } {
  if (src[i] === "{") {
    const close = src.indexOf("}", i);
    return { code: parseInt(src.slice(i + 1, close), 16), end: close + 1 };
  }
  const unit = parseInt(src.slice(i, i + 4), 16);
  if (unit >= 0xd800 && unit <= 0xdbff && src.slice(i + 4, i + 6) === "\\u") {
    const low = parseInt(src.slice(i + 6, i + 10), 16);
    if (low >= 0xdc00 && low <= 0xdfff) return { code: 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00), end: i + 10 };
  }
  if (unit >= 0xd800 && unit <= 0xdfff) throw new Unsupported("a lone surrogate escape (\\uD800–\\uDFFF without its pair)");
  return { code: unit, end: i + 4 };
}

/** One escape at `i` (the character after `\`), outside or inside a class: RE2 text and where it ends. */
function translateEscape(src: string, i: number, inClass: boolean): { out: string; end: number } {
  const c = src[i]!;
  switch (c) {
    case "d":
    case "D":
    case "w":
    case "W":
    case "t":
    case "n":
    case "v":
    case "f":
    case "r":
      return { out: "\\" + c, end: i + 1 };
    case "b":
    case "B":
      // Inside a class ECMA's \b is a backspace.
      return { out: inClass ? hex(8) : "\\" + c, end: i + 1 };
    case "s":
      return { out: inClass ? SPACE_MEMBERS : `[${SPACE_MEMBERS}]`, end: i + 1 };
    case "S":
      return { out: inClass ? NOT_SPACE_MEMBERS : `[${NOT_SPACE_MEMBERS}]`, end: i + 1 };
    case "0":
      return { out: hex(0), end: i + 1 };
    case "c":
      return { out: hex(src.charCodeAt(i + 1) % 32), end: i + 2 };
    case "x":
      return { out: hex(parseInt(src.slice(i + 1, i + 3), 16)), end: i + 3 };
    case "u": {
      const { code, end } = readUnicodeEscape(src, i + 1);
      return { out: hex(code), end };
    }
    case "p":
    case "P": {
      const close = src.indexOf("}", i);
      // ECMA's `Script=Greek`, `sc=Greek`, `General_Category=L`, `gc=L` are RE2's `Greek` and `L`.
      const name = src.slice(i + 2, close).replace(/^(Script|sc|General_Category|gc)=/, "");
      if (name.includes("=")) throw new Unsupported(`the Unicode property \\${c}{${src.slice(i + 2, close)}}`);
      return { out: `\\${c}{${name}}`, end: close + 1 };
    }
    case "k":
      throw new Unsupported("a backreference (\\k<name>)");
    default:
      if (c >= "1" && c <= "9") throw new Unsupported(`a backreference (\\${c})`);
      // A syntax character (or `-` in a class) escaped: the same in RE2.
      return { out: "\\" + c, end: i + 1 };
  }
}

/** A character class starting at `i` (just after `[`): RE2 text and where it ends (after `]`). */
function translateClass(src: string, i: number): { out: string; end: number } {
  let negated = false;
  if (src[i] === "^") {
    negated = true;
    i++;
  }
  if (src[i] === "]") return { out: negated ? ANY : NOTHING, end: i + 1 };
  let out = negated ? "[^" : "[";
  while (i < src.length && src[i] !== "]") {
    const c = src[i]!;
    if (c === "\\") {
      const escaped = translateEscape(src, i + 1, true);
      out += escaped.out;
      i = escaped.end;
    } else if (c === "[") {
      out += "\\[";
      i++;
    } else {
      const code = src.codePointAt(i)!;
      out += String.fromCodePoint(code);
      i += code > 0xffff ? 2 : 1;
    }
  }
  return { out: out + "]", end: i + 1 };
}

/** The RE2 form of an ECMA-262 (`u` flag) pattern that JavaScript has already accepted. */
function translate(src: string): string {
  let out = "";
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === "\\") {
      const escaped = translateEscape(src, i + 1, false);
      out += escaped.out;
      i = escaped.end;
    } else if (c === "[") {
      const cls = translateClass(src, i + 1);
      out += cls.out;
      i = cls.end;
    } else if (c === ".") {
      out += DOT;
      i++;
    } else if (c === "(" && src[i + 1] === "?") {
      const rest = src.slice(i + 2, i + 4);
      if (rest[0] === ":") {
        out += "(?:";
        i += 3;
      } else if (rest === "<=" || rest === "<!" || rest[0] === "=" || rest[0] === "!") {
        throw new Unsupported("lookahead or lookbehind ((?=, (?!, (?<=, (?<!)");
      } else if (rest[0] === "<") {
        out += "(?P<";
        i += 3;
      } else {
        throw new Unsupported("an inline modifier group ((?i: …))");
      }
    } else {
      const code = src.codePointAt(i)!;
      out += String.fromCodePoint(code);
      i += code > 0xffff ? 2 : 1;
    }
  }
  return out;
}

const compiled = new Map<string, LinearPattern | string>();
const MAX_COMPILED = 2000;

/**
 * The linear-time form of an ECMA-262 pattern, or why there is none (a sentence for a field error). Memoised per
 * isolate by source, since bundles share patterns.
 */
export function linearPattern(source: string): LinearPattern | string {
  let result = compiled.get(source);
  if (result !== undefined) return result;
  try {
    new RegExp(source, "u");
  } catch (err) {
    result = `not a valid regular expression (${(err as Error).message})`;
  }
  if (result === undefined)
    try {
      const re = RE2JS.compile(translate(source));
      result = { test: (input: string) => re.test(input) };
    } catch (err) {
      let why = err instanceof Unsupported ? err.message : (err as Error).message.replace(/^error parsing regexp: /, "");
      if (why.includes("\\p{") || why.includes("\\P{")) why += " (RE2 knows one- and two-letter categories and script names: \\p{L}, \\p{Lu}, \\p{Greek})";
      result = `cannot run on the linear-time regex engine (RE2): ${why}. Rewrite it without this (see docs/definition.md#validation-and-models)`;
    }
  if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
  compiled.set(source, result);
  return result;
}

/** Thrown by a pattern given a string longer than the bound: the caller fails validation instead of matching. */
export class PatternInputTooLong extends Error {}

const NativeRegExp = RegExp;

/**
 * Runs `fn` (synchronous) with the global `RegExp` constructor answering the listed sources with their linear
 * form, each refusing inputs longer than `maxInput` (PatternInputTooLong).
 *
 * Why swap a global: @cfworker/json-schema builds `new RegExp(pattern, "u")` for `pattern` and
 * `patternProperties` inside its validate function, with no hook for another engine. Validation is synchronous,
 * so no other code runs while the swap is in place, and it is undone before `fn`'s result is returned or its
 * error thrown. A source that is not listed (the `regex` format only compiles a client's string to see whether
 * it is valid) gets the engine's own compile check and a `test` that refuses to run, so an unlisted pattern can
 * never be executed by the backtracking engine.
 */
export function withLinearRegExp<T>(patterns: ReadonlyMap<string, LinearPattern>, maxInput: number, fn: () => T): T {
  const global = globalThis as { RegExp: RegExpConstructor };
  function LinearRegExp(source: unknown, flags?: string): LinearPattern {
    const listed = patterns.get(String(source));
    if (listed)
      return {
        test(input: string) {
          if (input.length > maxInput) throw new PatternInputTooLong();
          return listed.test(input);
        },
      };
    new NativeRegExp(source as string, flags);
    return {
      test() {
        throw new Error("a pattern that was not compiled for the linear engine");
      },
    };
  }
  global.RegExp = LinearRegExp as unknown as RegExpConstructor;
  try {
    return fn();
  } finally {
    global.RegExp = NativeRegExp;
  }
}

const javaCompiled = new Map<string, RE2JS | string>();
/** Fewer than MAX_COMPILED: a template may take its pattern from the request, so a client can fill this memo. */
const MAX_JAVA_COMPILED = 256;

/**
 * The linear-time form of a regex written in Java's syntax, or why there is none (RE2's reason, for a field error
 * or a template failure). Amazon's own regexes are Java's (`java.util.regex`): integration-response selection
 * patterns and what a mapping template passes to `matches`, `replaceAll`, `replaceFirst` and `split`. They run on
 * the same engine as the ECMA-262 patterns above, but are compiled as written — re2js is RE2/J's port and reads
 * Java's common syntax and `matches()`/`split` semantics — rather than translated; what RE2 cannot run
 * (lookaround, backreferences, possessive quantifiers) has no form. Memoised per isolate by source (bounded: the
 * bundle's compiled mapping holds its own selection patterns, so only templates' patterns are looked up again).
 */
export function linearJavaPattern(source: string): RE2JS | string {
  let result = javaCompiled.get(source);
  if (result !== undefined) return result;
  try {
    result = RE2JS.compile(source);
  } catch (err) {
    result = (err as Error).message;
  }
  if (javaCompiled.size >= MAX_JAVA_COMPILED) javaCompiled.delete(javaCompiled.keys().next().value!);
  javaCompiled.set(source, result);
  return result;
}
