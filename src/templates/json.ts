/**
 * JSON as Amazon's mapping templates see it. API Gateway parses payloads with json-smart behind Jayway JsonPath:
 * objects become ordered maps (a Java LinkedHashMap — keys keep their document order, numeric-looking keys too),
 * arrays become lists that print as compact JSON, and numbers keep Java's types. JavaScript's `JSON.parse` would
 * move integer-like keys first and round integers past 2^53, so payloads are parsed here: into `Map`s (no
 * prototype, so a key like `__proto__` is only data), `JsonList`s, and `JNum` where a JavaScript number would lose
 * the value's printed form. Depth is bounded: attacker-controlled input never recurses without limit.
 */

/** A JSON array as parsed: prints as compact JSON (json-smart's JSONArray), unlike a list made in a template. */
export class JsonList extends Array<unknown> {}

/**
 * A number whose JavaScript value would print differently from Java's: an integer past 2^53 (kept as its digits)
 * or a double with an integral value (`1.0`, printed `1.0` as Java does, where JavaScript prints `1`).
 */
export class JNum {
  constructor(
    /** The digits as written (integers) or the value (doubles). */
    readonly value: number,
    /** Exact digits of an integer too large for a double; null for doubles. */
    readonly digits: string | null,
  ) {}
  get isDouble(): boolean {
    return this.digits === null;
  }
}

export class JsonSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = "JsonSyntaxError";
  }
}

/** Deeper JSON than this is refused (as request validation does). */
export const MAX_JSON_DEPTH = 128;

/** Parses JSON text into template values; throws JsonSyntaxError on anything that is not one JSON value. */
export function parseJson(text: string): unknown {
  const p = new Parser(text);
  p.skip();
  const value = p.value(0);
  p.skip();
  if (p.i < text.length) throw new JsonSyntaxError("unexpected text after the JSON value", p.i);
  return value;
}

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  skip(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 32 || c === 10 || c === 13 || c === 9) this.i++;
      else break;
    }
  }

  fail(message: string): never {
    throw new JsonSyntaxError(message, this.i);
  }

  value(depth: number): unknown {
    if (depth > MAX_JSON_DEPTH) this.fail(`nested deeper than ${MAX_JSON_DEPTH}`);
    const c = this.s[this.i];
    switch (c) {
      case "{":
        return this.object(depth);
      case "[":
        return this.array(depth);
      case '"':
        return this.string();
      case "t":
        return this.word("true", true);
      case "f":
        return this.word("false", false);
      case "n":
        return this.word("null", null);
      default:
        if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.number();
        return this.fail(c === undefined ? "unexpected end of JSON" : `unexpected character ${JSON.stringify(c)}`);
    }
  }

  word<T>(word: string, value: T): T {
    if (!this.s.startsWith(word, this.i)) this.fail("invalid literal");
    this.i += word.length;
    return value;
  }

  object(depth: number): Map<string, unknown> {
    const map = new Map<string, unknown>();
    this.i++;
    this.skip();
    if (this.s[this.i] === "}") {
      this.i++;
      return map;
    }
    for (;;) {
      this.skip();
      if (this.s[this.i] !== '"') this.fail("expected a property name");
      const key = this.string();
      this.skip();
      if (this.s[this.i] !== ":") this.fail("expected ':'");
      this.i++;
      this.skip();
      map.set(key, this.value(depth + 1));
      this.skip();
      const c = this.s[this.i++];
      if (c === "}") return map;
      if (c !== ",") this.fail("expected ',' or '}'");
    }
  }

  array(depth: number): JsonList {
    const list = new JsonList();
    this.i++;
    this.skip();
    if (this.s[this.i] === "]") {
      this.i++;
      return list;
    }
    for (;;) {
      this.skip();
      list.push(this.value(depth + 1));
      this.skip();
      const c = this.s[this.i++];
      if (c === "]") return list;
      if (c !== ",") this.fail("expected ',' or ']'");
    }
  }

  string(): string {
    const s = this.s;
    let i = ++this.i;
    let out = "";
    let start = i;
    for (;;) {
      if (i >= s.length) this.fail("unterminated string");
      const c = s.charCodeAt(i);
      if (c === 34) break;
      if (c < 0x20) {
        this.i = i;
        this.fail("control character in string");
      }
      if (c !== 92) {
        i++;
        continue;
      }
      out += s.slice(start, i);
      const e = s[i + 1];
      i += 2;
      switch (e) {
        case '"': out += '"'; break;
        case "\\": out += "\\"; break;
        case "/": out += "/"; break;
        case "b": out += "\b"; break;
        case "f": out += "\f"; break;
        case "n": out += "\n"; break;
        case "r": out += "\r"; break;
        case "t": out += "\t"; break;
        case "u": {
          const hex = s.slice(i, i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            this.i = i;
            this.fail("invalid \\u escape");
          }
          out += String.fromCharCode(parseInt(hex, 16));
          i += 4;
          break;
        }
        default:
          this.i = i - 1;
          this.fail("invalid escape");
      }
      start = i;
    }
    this.i = i + 1;
    return out + s.slice(start, i);
  }

  number(): number | JNum {
    const m = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
    m.lastIndex = this.i;
    const found = m.exec(this.s);
    if (!found) this.fail("invalid number");
    this.i += found[0].length;
    const text = found[0];
    const value = Number(text);
    if (found[1] === undefined && found[2] === undefined) {
      // An integer: exact as a double up to 2^53; past that, keep the digits so it prints as written.
      return Number.isSafeInteger(value) ? value : new JNum(value, text);
    }
    // A double whose value is integral prints with ".0" in Java: remember it is a double.
    return Number.isInteger(value) ? new JNum(value, null) : value;
  }
}

/** Java's Double.toString: `1.0`, `1.5`, `1.0E10`, `1.0E-5`, `NaN`, `Infinity`. */
export function javaDouble(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (!Number.isFinite(n)) return n > 0 ? "Infinity" : "-Infinity";
  if (n === 0) return Object.is(n, -0) ? "-0.0" : "0.0";
  const abs = Math.abs(n);
  if (abs >= 1e-3 && abs < 1e7) return Number.isInteger(n) ? `${n}.0` : String(n);
  const [mantissa, exponent] = n.toExponential().split("e") as [string, string];
  return `${mantissa.includes(".") ? mantissa : mantissa + ".0"}E${Number(exponent)}`;
}

/** A number as Java prints it: integers as digits, doubles in Double.toString form. */
export function javaNumber(n: number | JNum): string {
  if (n instanceof JNum) return n.digits ?? javaDouble(n.value);
  return Number.isInteger(n) ? String(n) : javaDouble(n);
}

/**
 * Compact JSON as json-smart writes it (`JSONValue.toJSONString`): no spaces, strings escaped with `\uXXXX` for
 * control and invisible characters. Maps (parsed or made in a template) become objects, lists arrays.
 */
export function toJson(value: unknown): string {
  const out: string[] = [];
  writeJson(value, out, 0);
  return out.join("");
}

function writeJson(value: unknown, out: string[], depth: number): void {
  // Template code can build a cycle (`$m.put("self", $m)`): bounded like parsing.
  if (depth > MAX_JSON_DEPTH * 4) throw new JsonSyntaxError("value nested too deeply to write as JSON", 0);
  if (value === null || value === undefined) out.push("null");
  else if (typeof value === "string") out.push(quoteJson(value));
  else if (typeof value === "number" || value instanceof JNum) out.push(javaNumber(value));
  else if (typeof value === "boolean") out.push(String(value));
  else if (Array.isArray(value)) {
    out.push("[");
    value.forEach((v, i) => {
      if (i) out.push(",");
      writeJson(v, out, depth + 1);
    });
    out.push("]");
  } else if (value instanceof Map) {
    out.push("{");
    let first = true;
    for (const [k, v] of value) {
      if (!first) out.push(",");
      first = false;
      out.push(quoteJson(String(k)), ":");
      writeJson(v, out, depth + 1);
    }
    out.push("}");
  } else out.push(quoteJson(String(value)));
}

/** A JSON string literal, escaped as json-smart does. */
export function quoteJson(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | null = null;
    if (c === 34) rep = '\\"';
    else if (c === 92) rep = "\\\\";
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x2000 && c <= 0x20ff)) {
      rep = c === 10 ? "\\n" : c === 13 ? "\\r" : c === 9 ? "\\t" : c === 8 ? "\\b" : c === 12 ? "\\f" : "\\u" + c.toString(16).toUpperCase().padStart(4, "0");
    }
    if (rep !== null) {
      out += s.slice(start, i) + rep;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}
