/**
 * `$util`: Amazon's helper functions, with the Java libraries' exact behaviour — `escapeJavaScript` is Apache
 * Commons Lang 2's (single quotes and `/` escaped, non-ASCII as `\uXXXX`), `urlEncode`/`urlDecode` are Java's
 * URLEncoder/URLDecoder (form encoding: a space is `+`), `base64Encode`/`base64Decode` work on UTF-8 text.
 * A function given a non-string uses its printed form; given null it returns null (renders as nothing).
 */
import { TemplateRuntimeError } from "./errors.ts";
import { parseJson, JsonSyntaxError } from "./json.ts";
import { HostObject, javaString, NO_METHOD } from "./values.ts";

export class UtilObject extends HostObject {
  property(): unknown {
    return undefined;
  }

  method(name: string, args: unknown[]): unknown {
    const arg = args[0];
    if (arg === null || arg === undefined) return name in FUNCTIONS ? null : NO_METHOD;
    const fn = FUNCTIONS[name];
    return fn ? fn(javaString(arg)) : NO_METHOD;
  }
}

const FUNCTIONS: Record<string, (s: string) => unknown> = {
  escapeJavaScript,
  urlEncode,
  urlDecode,
  base64Encode,
  base64Decode,
  parseJson: (s) => {
    try {
      return parseJson(s);
    } catch (err) {
      if (err instanceof JsonSyntaxError) throw new TemplateRuntimeError(`$util.parseJson: ${err.message}`);
      throw err;
    }
  },
};

const hex = (c: number) => c.toString(16).toUpperCase();

/** Commons Lang 2 StringEscapeUtils.escapeJavaScript. */
export function escapeJavaScript(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xfff) out += "\\u" + hex(c);
    else if (c > 0xff) out += "\\u0" + hex(c);
    else if (c > 0x7f) out += "\\u00" + hex(c);
    else if (c < 32) {
      switch (c) {
        case 8: out += "\\b"; break;
        case 10: out += "\\n"; break;
        case 9: out += "\\t"; break;
        case 12: out += "\\f"; break;
        case 13: out += "\\r"; break;
        default: out += (c > 0xf ? "\\u00" : "\\u000") + hex(c);
      }
    } else if (c === 39) out += "\\'";
    else if (c === 34) out += '\\"';
    else if (c === 92) out += "\\\\";
    else if (c === 47) out += "\\/";
    else out += s[i];
  }
  return out;
}

/** java.net.URLEncoder.encode(s, "UTF-8"): only `a-zA-Z0-9.-*_` stay, a space is `+`. */
export function urlEncode(s: string): string {
  // Lone surrogates cannot be UTF-8 encoded: Java writes "?" for them.
  const wellFormed = s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "?");
  return encodeURIComponent(wellFormed)
    .replace(/[!'()~]/g, (c) => "%" + hex(c.charCodeAt(0)))
    .replace(/%20/g, "+");
}

/** java.net.URLDecoder.decode(s, "UTF-8"): `+` is a space; a malformed escape is an error. */
export function urlDecode(s: string): string {
  const bytes: number[] = [];
  let out = "";
  const flush = () => {
    if (bytes.length) out += new TextDecoder().decode(new Uint8Array(bytes));
    bytes.length = 0;
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "%") {
      const h = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new TemplateRuntimeError("$util.urlDecode: malformed % escape");
      bytes.push(parseInt(h, 16));
      i += 2;
      continue;
    }
    flush();
    out += c === "+" ? " " : c;
  }
  flush();
  return out;
}

/** Base64 of the text's UTF-8 bytes. */
export function base64Encode(s: string): string {
  return bytesToBase64(new TextEncoder().encode(s));
}

/** The UTF-8 text of base64-decoded bytes (invalid sequences become U+FFFD). Not base64: an error. */
export function base64Decode(s: string): string {
  const bytes = base64ToBytes(s);
  if (!bytes) throw new TemplateRuntimeError("$util.base64Decode: not base64");
  return new TextDecoder().decode(bytes);
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Standard base64 (padding optional, no other characters); null when the text is not base64. */
export function base64ToBytes(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.replace(/=+$/, "").length % 4 === 1) return null;
  let binary: string;
  try {
    binary = atob(s.replace(/=+$/, ""));
  } catch {
    return null;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
