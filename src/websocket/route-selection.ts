/**
 * Route selection for WebSocket messages (Amazon's `routeSelectionExpression`): `$request.body.action`, or a
 * template of `${request.body.<path>}` parts and literal text (`${request.body.type}:${request.body.action}`).
 * Parsed once per bundle; evaluated per message against the message's JSON body, parsed at most once.
 * Pure: no bindings, tested with plain values, and imported by the compiler (which runs in Node too).
 */
export type SelectionPart = string | { path: string[] };

export interface RouteSelection {
  /** Literal text and body paths, in order. */
  parts: SelectionPart[];
  /** True when some part reads the body (then a message that is not JSON selects `$default`). */
  readsBody: boolean;
}

const PATH = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const TEMPLATE_PART = /\$\{request\.body\.([^}]*)\}/g;

/** Parses an expression, or returns why it cannot be used. */
export function parseRouteSelection(expression: string): RouteSelection | { error: string } {
  if (expression.startsWith("$request.body.")) {
    const path = expression.slice("$request.body.".length);
    if (!PATH.test(path)) return { error: `"${path}" is not a body field path (letters, digits, _ and -, joined by dots)` };
    return { parts: [{ path: path.split(".") }], readsBody: true };
  }
  const parts: SelectionPart[] = [];
  let last = 0;
  for (const m of expression.matchAll(TEMPLATE_PART)) {
    if (!PATH.test(m[1]!)) return { error: `"${m[1]}" is not a body field path (letters, digits, _ and -, joined by dots)` };
    if (m.index > last) parts.push(expression.slice(last, m.index));
    parts.push({ path: m[1]!.split(".") });
    last = m.index + m[0].length;
  }
  if (last < expression.length) parts.push(expression.slice(last));
  if (!parts.some((p) => typeof p !== "string"))
    return { error: "must read the message body: `$request.body.<field>` or a template with `${request.body.<field>}` parts" };
  if (parts.some((p) => typeof p === "string" && p.includes("$")))
    return { error: "only `${request.body.<field>}` references are supported in a template" };
  return { parts, readsBody: true };
}

/**
 * The route key a message selects, or undefined when a field is missing, not a scalar, or the body is not a JSON
 * object (the caller then uses `$default`, as Amazon does for non-JSON messages).
 */
export function selectRouteKey(selection: RouteSelection, body: unknown): string | undefined {
  if (!body || typeof body !== "object" || Array.isArray(body)) return undefined;
  let key = "";
  for (const part of selection.parts) {
    if (typeof part === "string") {
      key += part;
      continue;
    }
    let node: unknown = body;
    for (const name of part.path) {
      if (!node || typeof node !== "object" || Array.isArray(node) || !Object.hasOwn(node, name)) return undefined;
      node = (node as Record<string, unknown>)[name];
    }
    if (typeof node === "string") key += node;
    else if (typeof node === "number" || typeof node === "boolean") key += String(node);
    else return undefined;
  }
  return key;
}
