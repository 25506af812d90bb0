/**
 * The Java methods templates call on values: String, Number, Boolean, List and Map methods, as Velocity finds them
 * on the Java objects Amazon hands templates. A method that does not exist yields null (the reference prints as
 * nothing); one that throws in Java (an index out of range) fails the template, as it fails Amazon's.
 *
 * Regular expressions (`matches`, `replaceAll`, `replaceFirst`, `split`) run on RE2 (re2js): linear time whatever
 * the pattern and the input, so neither a template nor a client can make one run away. RE2 has no backreferences
 * or lookaround, which Java's engine has: such a pattern fails the template.
 */
import type { RE2JS } from "re2js";
import { linearJavaPattern } from "../security/linear-regex.ts";
import type { Budget } from "./errors.ts";
import { TemplateRuntimeError } from "./errors.ts";
import { JNum, JsonList } from "./json.ts";
import { HostObject, NO_METHOD, OpaqueMap, double, equal, isNumber, javaString, num } from "./values.ts";

const MAX_REGEX_CHARS = 1024;

/** A Java regex a template passes, on the linear engine (memoised there: a template's patterns repeat). */
function regex(pattern: unknown): RE2JS {
  const text = javaString(pattern);
  if (text.length > MAX_REGEX_CHARS) throw new TemplateRuntimeError(`regular expression longer than ${MAX_REGEX_CHARS} characters`);
  const re = linearJavaPattern(text);
  if (typeof re === "string") throw new TemplateRuntimeError(`invalid regular expression: ${re}`);
  return re;
}

const int = (v: unknown, what: string): number => {
  if (!isNumber(v) || !Number.isInteger(num(v))) throw new TemplateRuntimeError(`${what} must be an integer`);
  return num(v);
};

const str = (v: unknown): string => (v === null || v === undefined ? "null" : javaString(v));

/** Calls `name(args)` on `target`; NO_METHOD when the target's class has no such method. */
export function callMethod(target: unknown, name: string, args: unknown[], budget: Budget): unknown {
  if (target instanceof HostObject) return target.method(name, args);
  if (name === "toString" && args.length === 0) return javaString(target);
  if (name === "equals" && args.length === 1) return equal(target, args[0]);
  if (name === "hashCode" && args.length === 0) return hashCode(javaString(target));
  if (name === "getClass") return null;
  if (typeof target === "string") return stringMethod(target, name, args, budget);
  if (Array.isArray(target)) return listMethod(target, name, args, budget);
  if (target instanceof Map) return mapMethod(target, name, args);
  if (isNumber(target)) return numberMethod(target, name, args);
  if (typeof target === "boolean" && name === "booleanValue") return target;
  return NO_METHOD;
}

function stringMethod(s: string, name: string, args: unknown[], budget: Budget): unknown {
  const [a, b] = args;
  switch (`${name}/${args.length}`) {
    case "length/0": return s.length;
    case "isEmpty/0": return s.length === 0;
    case "isBlank/0": return s.trim().length === 0;
    case "contains/1": return s.includes(str(a));
    case "startsWith/1": return s.startsWith(str(a));
    case "startsWith/2": return s.startsWith(str(a), int(b, "offset"));
    case "endsWith/1": return s.endsWith(str(a));
    case "indexOf/1": return s.indexOf(str(a));
    case "indexOf/2": return s.indexOf(str(a), int(b, "fromIndex"));
    case "lastIndexOf/1": return s.lastIndexOf(str(a));
    case "charAt/1": {
      const i = int(a, "index");
      if (i < 0 || i >= s.length) throw new TemplateRuntimeError(`String index out of range: ${i}`);
      return s[i];
    }
    case "substring/1":
    case "substring/2": {
      const begin = int(a, "beginIndex");
      const end = args.length === 2 ? int(b, "endIndex") : s.length;
      if (begin < 0 || end > s.length || begin > end) throw new TemplateRuntimeError(`String index out of range: begin ${begin}, end ${end}, length ${s.length}`);
      return s.slice(begin, end);
    }
    case "toLowerCase/0": return s.toLowerCase();
    case "toUpperCase/0": return s.toUpperCase();
    case "trim/0": return s.replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, "");
    case "strip/0": return s.trim();
    case "concat/1": return budget.produce(s + str(a));
    case "equalsIgnoreCase/1": return typeof a === "string" && a.toLowerCase() === s.toLowerCase();
    case "compareTo/1": return compareStrings(s, str(a));
    case "replace/2": return budget.produce(s.split(str(a)).join(str(b)));
    case "replaceAll/2": return budget.produce(regex(a).matcher(s).replaceAll(str(b)));
    case "replaceFirst/2": return budget.produce(regex(a).matcher(s).replaceFirst(str(b)));
    case "matches/1": return regex(a).matches(s);
    case "split/1": return regex(a).split(s, 0);
    case "split/2": return regex(a).split(s, int(b, "limit"));
    case "toCharArray/0": return [...s];
    case "getBytes/0": return [...new TextEncoder().encode(s)];
    default: return NO_METHOD;
  }
}

function listMethod(list: unknown[], name: string, args: unknown[], budget: Budget): unknown {
  const [a, b] = args;
  const index = (v: unknown, size: number) => {
    const i = int(v, "index");
    if (i < 0 || i >= size) throw new TemplateRuntimeError(`Index ${i} out of bounds for length ${list.length}`);
    return i;
  };
  switch (`${name}/${args.length}`) {
    case "size/0": return list.length;
    case "isEmpty/0": return list.length === 0;
    case "get/1": return list[index(a, list.length)];
    case "contains/1": return list.some((x) => equal(x, a));
    case "indexOf/1": return list.findIndex((x) => equal(x, a));
    case "add/1": budget.step(); list.push(a); return true;
    case "add/2": list.splice(index(a, list.length + 1), 0, b); return null;
    case "addAll/1":
      if (!Array.isArray(a)) return NO_METHOD;
      budget.step(a.length);
      list.push(...a);
      return true;
    case "set/2": {
      const i = index(a, list.length);
      const old = list[i];
      list[i] = b;
      return old;
    }
    case "remove/1": {
      if (isNumber(a)) return list.splice(index(a, list.length), 1)[0];
      const i = list.findIndex((x) => equal(x, a));
      if (i >= 0) list.splice(i, 1);
      return i >= 0;
    }
    case "clear/0": list.length = 0; return null;
    case "subList/2": {
      const from = int(a, "fromIndex");
      const to = int(b, "toIndex");
      if (from < 0 || to > list.length || from > to) throw new TemplateRuntimeError(`subList(${from}, ${to}) out of bounds for length ${list.length}`);
      const out = list instanceof JsonList ? new JsonList() : [];
      out.push(...list.slice(from, to));
      return out;
    }
    default: return NO_METHOD;
  }
}

function mapMethod(map: Map<string, unknown>, name: string, args: unknown[]): unknown {
  const [a, b] = args;
  const key = (v: unknown) => str(v);
  switch (`${name}/${args.length}`) {
    case "size/0": return map.size;
    case "isEmpty/0": return map.size === 0;
    case "get/1": return map.get(key(a)) ?? null;
    case "getOrDefault/2": return map.has(key(a)) ? map.get(key(a)) : b;
    case "containsKey/1": return map.has(key(a));
    case "containsValue/1": return [...map.values()].some((v) => equal(v, a));
    case "put/2": {
      const k = key(a);
      const old = map.get(k) ?? null;
      map.set(k, b);
      return old;
    }
    case "putAll/1":
      if (!(a instanceof Map)) return NO_METHOD;
      for (const [k, v] of a) map.set(k, v);
      return null;
    case "remove/1": {
      const k = key(a);
      const old = map.get(k) ?? null;
      map.delete(k);
      return old;
    }
    case "clear/0": map.clear(); return null;
    case "keySet/0": return [...map.keys()];
    case "values/0": return [...map.values()];
    case "entrySet/0": return [...map.entries()].map(([k, v]) => new MapEntry(map, k, v));
    default: return NO_METHOD;
  }
}

function numberMethod(n: number | JNum, name: string, args: unknown[]): unknown {
  if (args.length) return NO_METHOD;
  switch (name) {
    case "intValue":
    case "longValue":
      return Math.trunc(num(n));
    case "doubleValue":
    case "floatValue":
      return double(num(n));
    default:
      return NO_METHOD;
  }
}

/** A Map.Entry from entrySet(): `$e.key`, `$e.value`, `$e.getKey()`, `$e.setValue(v)`. */
class MapEntry extends HostObject {
  constructor(private readonly map: Map<string, unknown>, readonly key: string, private value: unknown) {
    super();
  }
  property(name: string): unknown {
    return name === "key" ? this.key : name === "value" ? this.value : undefined;
  }
  method(name: string, args: unknown[]): unknown {
    if (name === "getKey") return this.key;
    if (name === "getValue") return this.value;
    if (name === "setValue" && args.length === 1) {
      const old = this.value;
      this.value = args[0];
      this.map.set(this.key, args[0]);
      return old;
    }
    return NO_METHOD;
  }
}

/** `$a.name` without parentheses on a Java object: a map's entry, or the `getName()`/`isName()` a bean would have. */
export function property(target: unknown, name: string, budget: Budget): unknown {
  if (target instanceof HostObject) return target.property(name);
  if (target instanceof Map) return target.get(name) ?? null;
  if (target === null || target === undefined) return null;
  const getter = `get${name[0]?.toUpperCase() ?? ""}${name.slice(1)}`;
  const is = `is${name[0]?.toUpperCase() ?? ""}${name.slice(1)}`;
  for (const method of [getter, is]) {
    const result = callMethod(target, method, [], budget);
    if (result !== NO_METHOD) return result;
  }
  // A bean property Velocity finds by its plain name too (`$list.empty` → isEmpty()).
  return null;
}

/** `$a[key]`: a list's element (null when out of range) or a map's entry. */
export function index(target: unknown, key: unknown): unknown {
  if (Array.isArray(target)) {
    if (!isNumber(key)) return null;
    const i = num(key);
    return Number.isInteger(i) && i >= 0 && i < target.length ? target[i] : null;
  }
  if (target instanceof Map) return target.get(str(key)) ?? null;
  return null;
}

export { OpaqueMap };

function hashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a.charCodeAt(i) !== b.charCodeAt(i)) return a.charCodeAt(i) - b.charCodeAt(i);
  return a.length - b.length;
}
