/**
 * JSONPath as Amazon's `$input.path`, `$input.json`, `method.request.body.*` and `integration.response.body.*`
 * evaluate it (Jayway JsonPath): `$`, `$.a.b`, `$['a']`, `$["a b"]`, `$.a[0]`, `$.a[-1]`, `$.a[*]`, `$.*`,
 * `$..name`, `$.a[0,2]`, `$.a[1:3]`, `$['a','b']`; a path without `$` is read as `$.` + path, as Jayway does.
 * Filters (`[?(...)]`) and functions (`.length()`) are not supported and are refused when a template is compiled.
 *
 * A *definite* path (names and single indexes only) yields one value, or nothing when a step is missing; any
 * other path yields the list of every match (possibly empty), as Jayway does.
 */
import { JsonList } from "./json.ts";

type Step =
  | { kind: "name"; names: string[] }
  | { kind: "index"; indexes: number[] }
  | { kind: "slice"; from: number | null; to: number | null }
  | { kind: "wildcard" }
  | { kind: "scan"; then: Step };

export interface JsonPath {
  readonly text: string;
  readonly steps: readonly Step[];
  /** True when the path can only ever select one value. */
  readonly definite: boolean;
}

export class JsonPathError extends Error {
  constructor(message: string, readonly path: string) {
    super(`invalid JSONPath ${JSON.stringify(path)}: ${message}`);
    this.name = "JsonPathError";
  }
}

/** Longest path accepted: paths come from operator config or templates, but a template may build one at run time. */
const MAX_PATH_CHARS = 1024;

/** Parses a JSONPath; throws JsonPathError naming what is wrong. */
export function compileJsonPath(text: string): JsonPath {
  if (text.length > MAX_PATH_CHARS) throw new JsonPathError(`longer than ${MAX_PATH_CHARS} characters`, text.slice(0, 40));
  let s = text.trim();
  if (s === "") throw new JsonPathError("empty", text);
  if (!s.startsWith("$")) s = s.startsWith("[") ? "$" + s : "$." + s;
  const steps: Step[] = [];
  let i = 1;
  const fail = (message: string): never => {
    throw new JsonPathError(message, text);
  };
  const readName = (): string => {
    const start = i;
    while (i < s.length && s[i] !== "." && s[i] !== "[") i++;
    const name = s.slice(start, i);
    if (name === "") fail(`a name is missing at position ${start}`);
    if (name.endsWith(")")) fail("functions such as length() are not supported");
    return name;
  };
  const readBracket = (): Step => {
    const end = findClose(s, i);
    if (end < 0) fail("unclosed [");
    const inner = s.slice(i + 1, end).trim();
    i = end + 1;
    if (inner === "*") return { kind: "wildcard" };
    if (inner.startsWith("?")) fail("filter expressions are not supported");
    if (inner.startsWith("'") || inner.startsWith('"')) return { kind: "name", names: splitQuoted(inner, fail) };
    if (inner.includes(":")) {
      const [a, b, extra] = inner.split(":").map((x) => x.trim());
      if (extra !== undefined) fail("slice steps are not supported");
      return { kind: "slice", from: a ? toInt(a, fail) : null, to: b ? toInt(b, fail) : null };
    }
    if (inner === "") fail("empty brackets");
    return { kind: "index", indexes: inner.split(",").map((x) => toInt(x.trim(), fail)) };
  };
  while (i < s.length) {
    if (s.startsWith("..", i)) {
      i += 2;
      if (s[i] === "[") steps.push({ kind: "scan", then: readBracket() });
      else if (s[i] === "*") {
        i++;
        steps.push({ kind: "scan", then: { kind: "wildcard" } });
      } else steps.push({ kind: "scan", then: { kind: "name", names: [readName()] } });
    } else if (s[i] === ".") {
      i++;
      if (s[i] === "*") {
        i++;
        steps.push({ kind: "wildcard" });
      } else if (s[i] === "[") fail(`unexpected [ after . at position ${i}`);
      else steps.push({ kind: "name", names: [readName()] });
    } else if (s[i] === "[") steps.push(readBracket());
    else fail(`unexpected ${JSON.stringify(s[i])} at position ${i}`);
  }
  const definite = steps.every((st) => (st.kind === "name" && st.names.length === 1) || (st.kind === "index" && st.indexes.length === 1));
  return { text, steps, definite };
}

function findClose(s: string, open: number): number {
  let quote: string | null = null;
  for (let i = open + 1; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "]") return i;
  }
  return -1;
}

function splitQuoted(inner: string, fail: (m: string) => never): string[] {
  const names: string[] = [];
  const re = /\s*(['"])((?:\\.|(?!\1).)*)\1\s*(,|$)/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < inner.length && (m = re.exec(inner))) {
    names.push(m[2]!.replace(/\\(.)/g, "$1"));
    if (m[3] === "") break;
  }
  if (re.lastIndex !== inner.length || names.length === 0) fail(`malformed property list [${inner}]`);
  return names;
}

function toInt(text: string, fail: (m: string) => never): number {
  if (!/^-?\d{1,9}$/.test(text)) fail(`${JSON.stringify(text)} is not an index`);
  return Number(text);
}

/** What a path selects: `{ found: false }` when a definite path misses. */
export type PathResult = { found: true; value: unknown } | { found: false };

/** Evaluates a compiled path against a parsed document (maps and lists from `json.ts`). */
export function evaluateJsonPath(path: JsonPath, root: unknown): PathResult {
  if (path.definite) {
    let node = root;
    for (const step of path.steps) {
      const next = selectOne(node, step);
      if (!next.found) return next;
      node = next.value;
    }
    return { found: true, value: node };
  }
  let nodes: unknown[] = [root];
  for (const step of path.steps) {
    const next: unknown[] = [];
    for (const node of nodes) selectAll(node, step, next);
    nodes = next;
  }
  const list = new JsonList();
  list.push(...nodes);
  return { found: true, value: list };
}

function selectOne(node: unknown, step: Step): PathResult {
  if (step.kind === "name" && node instanceof Map) {
    const key = step.names[0]!;
    return node.has(key) ? { found: true, value: node.get(key) } : { found: false };
  }
  if (step.kind === "index" && Array.isArray(node)) {
    const n = step.indexes[0]!;
    const i = n < 0 ? node.length + n : n;
    return i >= 0 && i < node.length ? { found: true, value: node[i] } : { found: false };
  }
  return { found: false };
}

function selectAll(node: unknown, step: Step, out: unknown[]): void {
  switch (step.kind) {
    case "name":
      if (node instanceof Map) for (const name of step.names) if (node.has(name)) out.push(node.get(name));
      return;
    case "index":
      if (Array.isArray(node))
        for (const n of step.indexes) {
          const i = n < 0 ? node.length + n : n;
          if (i >= 0 && i < node.length) out.push(node[i]);
        }
      return;
    case "slice": {
      if (!Array.isArray(node)) return;
      const len = node.length;
      const norm = (v: number) => (v < 0 ? Math.max(0, len + v) : Math.min(v, len));
      const from = step.from === null ? 0 : norm(step.from);
      const to = step.to === null ? len : norm(step.to);
      for (let i = from; i < to; i++) out.push(node[i]);
      return;
    }
    case "wildcard":
      if (node instanceof Map) out.push(...node.values());
      else if (Array.isArray(node)) out.push(...node);
      return;
    case "scan":
      scan(node, step.then, out, 0);
  }
}

/** Deep scan: the step applied at this node and every node below it, in document order. */
function scan(node: unknown, then: Step, out: unknown[], depth: number): void {
  if (depth > 512) return;
  selectAll(node, then, out);
  const children = node instanceof Map ? node.values() : Array.isArray(node) ? node : null;
  if (children) for (const child of children) if (child instanceof Map || Array.isArray(child)) scan(child, then, out, depth + 1);
}
