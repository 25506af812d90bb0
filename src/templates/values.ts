/**
 * Template values with the Java semantics Amazon's Velocity engine gives them: how each prints (a parsed map as
 * `{a=b, c=d}`, a parsed list as compact JSON, a list built in a template as `[a, b]`, null as nothing), what is
 * true in an `#if`, what `==` means (Velocity 1.7: numbers by value, other classes by their printed form — and, as
 * recorded on Amazon, null equal to the empty string), and Velocity's integer arithmetic.
 *
 * Values are plain JavaScript: null, string, boolean, number (or JNum), arrays (JsonList for parsed ones), Map
 * (OpaqueMap for the `$context` objects that print as nothing), and HostObject for `$input`, `$util`, `$foreach`.
 */
import { JNum, JsonList, javaNumber, toJson } from "./json.ts";

/** `$context.identity`, `$context.requestOverride` …: maps that, printed, render as nothing (recorded on Amazon). */
export class OpaqueMap extends Map<string, unknown> {}

/** A built-in object (`$input`, `$util`, `$foreach`): properties and methods, printed as nothing. */
export abstract class HostObject {
  /** `$obj.name`; undefined when there is no such property. */
  abstract property(name: string): unknown;
  /** `$obj.name(args)`; NO_METHOD when there is no such method. */
  abstract method(name: string, args: unknown[]): unknown;
}

/** Returned by HostObject.method when the method does not exist (a Java object without it: the call is null). */
export const NO_METHOD = Symbol("no such method");

export const isNumber = (v: unknown): v is number | JNum => typeof v === "number" || v instanceof JNum;
export const num = (v: number | JNum): number => (typeof v === "number" ? v : v.value);
/** A Java double (as opposed to an integer): a fraction, or a JNum marked double. */
export const isDouble = (v: number | JNum): boolean => (typeof v === "number" ? !Number.isInteger(v) : v.isDouble);

/** A double result, kept a double when its value is integral (so it prints `2.0`). */
export const double = (n: number): number | JNum => (Number.isInteger(n) ? new JNum(n, null) : n);

/** How a value prints into a template's output: null (and an unresolved reference) as nothing. */
export function render(value: unknown): string {
  return value === null || value === undefined ? "" : javaString(value);
}

/** Java's toString of a value (inside a map or list, null prints `null`). */
export function javaString(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (isNumber(value)) return javaNumber(value);
  if (value instanceof JsonList) return toJson(value);
  if (Array.isArray(value)) return "[" + value.map(javaString).join(", ") + "]";
  if (value instanceof OpaqueMap || value instanceof HostObject) return "";
  if (value instanceof Map) {
    const parts: string[] = [];
    for (const [k, v] of value) parts.push(`${k}=${v === value ? "(this Map)" : javaString(v)}`);
    return "{" + parts.join(", ") + "}";
  }
  return String(value);
}

/** Velocity 1.7's truth: null and false are false, everything else (the empty string too) is true. */
export function truthy(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === "boolean") return value;
  return true;
}

/** `==` as Amazon's Velocity evaluates it. */
export function equal(a: unknown, b: unknown): boolean {
  const aNull = a === null || a === undefined;
  const bNull = b === null || b === undefined;
  // Recorded on Amazon (rest-vtl-input-path-empty-body): an unresolved reference equals both $null and "".
  if (aNull || bNull) return (aNull || a === "") && (bNull || b === "");
  if (isNumber(a) && isNumber(b)) return num(a) === num(b);
  if (typeof a === typeof b && typeof a !== "object") return a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !equal(v, b.get(k))) return false;
    return true;
  }
  // Different classes: Velocity 1.7 compares their printed forms.
  return javaString(a) === javaString(b);
}

/** `<`, `<=`, `>`, `>=`: numbers only (Velocity logs and answers false for anything else). */
export function compare(op: string, a: unknown, b: unknown): boolean {
  if (!isNumber(a) || !isNumber(b)) return false;
  const x = num(a);
  const y = num(b);
  return op === "<" ? x < y : op === "<=" ? x <= y : op === ">" ? x > y : x >= y;
}

/**
 * Velocity arithmetic: integers stay integers (division truncates), a double anywhere makes a double; `+` with a
 * string concatenates; division or remainder by zero, or a non-number, is null.
 */
export function arithmetic(op: string, a: unknown, b: unknown): unknown {
  if (op === "+" && (typeof a === "string" || typeof b === "string") && a != null && b != null) return javaString(a) + javaString(b);
  if (!isNumber(a) || !isNumber(b)) return null;
  const x = num(a);
  const y = num(b);
  const asDouble = isDouble(a) || isDouble(b);
  if ((op === "/" || op === "%") && y === 0) return null;
  let r: number;
  switch (op) {
    case "+": r = x + y; break;
    case "-": r = x - y; break;
    case "*": r = x * y; break;
    case "/": r = asDouble ? x / y : Math.trunc(x / y); break;
    default: r = x % y;
  }
  return asDouble ? double(r) : r;
}

/** A list made in a template (an ArrayList: prints `[a, b]`), as opposed to a parsed JsonList. */
export const isList = (v: unknown): v is unknown[] => Array.isArray(v);
