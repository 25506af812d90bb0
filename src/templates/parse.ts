/**
 * Compiling a mapping template: velocityjs parses Velocity's syntax (it reads Amazon's recorded templates); this
 * module turns its syntax tree into the one `evaluate.ts` runs, once per bundle, and reports problems with their
 * line and column: syntax errors, a block without its `#end` (or an `#end` with no block), a malformed literal
 * JSONPath in `$input.path('…')` / `$input.json('…')`, directives Amazon's engine has no use for (`#include`,
 * `#parse`, `#evaluate`).
 *
 * Whitespace follows Velocity 1.7, which Amazon runs: a line's newline right after a directive (`#set`, `#if`,
 * `#else`, `#end`, `#foreach` …) is not output, and the indentation before a `#set` on its own line is not either.
 */
import { parse as velocityParse } from "velocityjs";
import type { TemplateProblem } from "./errors.ts";
import { compileJsonPath, JsonPathError } from "./jsonpath.ts";

export interface Pos {
  line: number;
  column: number;
}

export type Node =
  | { t: "text"; s: string }
  | { t: "out"; ref: Ref }
  | { t: "set"; target: Ref; value: Expr; pos: Pos }
  | { t: "if"; branches: { cond: Expr | null; body: Node[] }[]; pos: Pos }
  | { t: "foreach"; name: string; from: Expr; body: Node[]; pos: Pos }
  | { t: "macro"; name: string; params: string[]; body: Node[] }
  | { t: "call"; name: string; args: Expr[]; text: string; pos: Pos }
  | { t: "define"; name: string; body: Node[] }
  | { t: "break" };

export type Access = { k: "prop"; name: string } | { k: "index"; key: Expr } | { k: "call"; name: string; args: Expr[] };

export interface Ref {
  t: "ref";
  root: string;
  path: Access[];
  /** The reference as written (`$input.path('$.a')`), for messages. */
  text: string;
  pos: Pos;
}

export type Expr =
  | Ref
  | { t: "lit"; v: unknown }
  | { t: "interp"; nodes: Node[] }
  | { t: "list"; items: Expr[] }
  | { t: "range"; from: Expr; to: Expr }
  | { t: "map"; entries: [string, Expr][] }
  | { t: "op"; op: string; args: Expr[] };

/** A compiled template: the program, and the names of variables it reads without setting (for warnings). */
export interface Program {
  nodes: Node[];
  /** Root variables read but never set, defined as a macro parameter or loop variable in the template. */
  freeVariables: string[];
}

const SENTINEL = "__porticoEndOfTemplate";
const UNSUPPORTED = new Set(["include", "parse", "evaluate"]);

// The velocityjs syntax tree, loosely typed: it is the library's, read defensively.
type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Compiles template text; returns the program or every problem found. */
export function compileProgram(text: string): { program: Program } | { problems: TemplateProblem[] } {
  let raw: unknown[];
  try {
    raw = velocityParse(text) as unknown[];
  } catch (err) {
    return { problems: [syntaxProblem(err)] };
  }
  const balance = checkBlocks(text);
  if (balance) return { problems: [balance] };
  const problems: TemplateProblem[] = [];
  const known = new Set<string>(["input", "context", "util", "stageVariables", "foreach", "velocityCount", "null"]);
  const read = new Set<string>();
  const c = new Converter(problems, known, read, text);
  const nodes = c.nodes(gobble(raw));
  if (problems.length) return { problems };
  const freeVariables = [...read].filter((name) => !known.has(name));
  return { program: { nodes, freeVariables } };
}

function syntaxProblem(err: unknown): TemplateProblem {
  const hash = (err as { hash?: { loc?: { first_line: number; first_column: number }; text?: string; expected?: string[] } }).hash;
  const loc = hash?.loc;
  const found = hash?.text ? `"${hash.text}"` : "end of template";
  return {
    message: `syntax error: unexpected ${found}`,
    line: loc?.first_line ?? 1,
    column: (loc?.first_column ?? 0) + 1,
  };
}

/**
 * velocityjs closes an unclosed block at the end of the template and drops everything after a stray `#end`,
 * silently. A sentinel reference appended to the text finds both: it must come back at the top level.
 */
function checkBlocks(text: string): TemplateProblem | null {
  const probe = velocityParse(`${text}\n$${SENTINEL}`) as unknown[];
  // An unclosed block ends up holding the sentinel (velocityjs then repeats its content after it).
  const open = findOpenBlock(probe);
  if (open) {
    const kind = String(open.type === "elseif" || open.type === "else" ? "if" : open.type);
    return { message: `#${kind} has no matching #end`, line: open.pos?.first_line ?? 1, column: (open.pos?.first_column ?? 0) + 1 };
  }
  const last = probe[probe.length - 1] as Raw | undefined;
  if (last && typeof last === "object" && !Array.isArray(last) && last.id === SENTINEL) return null;
  return { message: "#end without a matching #if, #foreach, #macro or #define", line: 1, column: 1 };
}

function findOpenBlock(list: unknown[]): Raw | null {
  for (const item of list) {
    if (!Array.isArray(item)) continue;
    const last = item[item.length - 1] as Raw | undefined;
    const inner = findOpenBlock(item.slice(1));
    if (inner) return inner;
    if (last && typeof last === "object" && !Array.isArray(last) && last.id === SENTINEL) return item[0] as Raw;
  }
  return null;
}

/**
 * Velocity 1.7 whitespace: velocityjs already drops the newline after a directive; this also drops the
 * indentation before a `#set` standing at the start of its line.
 */
function gobble(list: unknown[]): unknown[] {
  const out = list.map((item) => (Array.isArray(item) ? gobble(item) : item));
  for (let i = 1; i < out.length; i++) {
    const item = out[i] as Raw;
    const before = out[i - 1];
    if (item && typeof item === "object" && !Array.isArray(item) && item.type === "set" && typeof before === "string") {
      const m = /(^|\n)[ \t]+$/.exec(before);
      if (m && (m[1] === "\n" || i - 1 === 0)) out[i - 1] = before.slice(0, before.length - m[0].length + m[1]!.length);
    }
  }
  return out;
}

class Converter {
  private readonly lineStarts: number[] = [0];

  constructor(
    private readonly problems: TemplateProblem[],
    private readonly known: Set<string>,
    private readonly read: Set<string>,
    private readonly source: string,
  ) {
    for (let i = 0; i < source.length; i++) if (source[i] === "\n") this.lineStarts.push(i + 1);
  }

  /** The source text a node spans (velocityjs positions: 1-based lines, 0-based columns). */
  slice(at: Raw | undefined): string {
    if (!at) return "";
    const start = (this.lineStarts[at.first_line - 1] ?? 0) + at.first_column;
    const end = (this.lineStarts[at.last_line - 1] ?? 0) + at.last_column;
    return this.source.slice(start, end);
  }

  nodes(list: unknown[]): Node[] {
    const out: Node[] = [];
    for (const item of list) {
      if (typeof item === "string") {
        if (item) out.push({ t: "text", s: item });
      } else if (Array.isArray(item)) out.push(this.block(item));
      else {
        const node = this.node(item as Raw);
        if (node) out.push(node);
      }
    }
    return out;
  }

  node(raw: Raw): Node | null {
    switch (raw.type) {
      case "references":
        return { t: "out", ref: this.ref(raw) };
      case "set": {
        const [target, value] = raw.equal as [Raw, Raw];
        this.known.add(String(target.id));
        return { t: "set", target: this.ref(target, raw.pos), value: this.expr(value), pos: pos(raw.pos) };
      }
      case "comment":
        return null;
      case "raw":
        return { t: "text", s: String(raw.value) };
      case "break":
        return { t: "break" };
      case "macro_call": {
        const name = String(raw.id);
        if (UNSUPPORTED.has(name)) this.problem(`#${name} is not supported in mapping templates`, raw.pos);
        // A call to a macro that is never defined prints as written, as in Velocity.
        return { t: "call", name, args: (raw.args ?? []).map((a: Raw) => this.expr(a)), text: this.slice(raw.pos), pos: pos(raw.pos) };
      }
      default:
        this.problem(`unexpected ${String(raw.type)}`, raw.pos);
        return null;
    }
  }

  block(items: unknown[]): Node {
    const head = items[0] as Raw;
    const rest = items.slice(1);
    switch (head.type) {
      case "if": {
        const branches: { cond: Expr | null; body: Node[] }[] = [{ cond: this.expr(head.condition), body: [] }];
        let current: unknown[] = [];
        const bodies: unknown[][] = [current];
        for (const item of rest) {
          const r = item as Raw;
          if (r && typeof r === "object" && !Array.isArray(r) && (r.type === "elseif" || r.type === "else")) {
            branches.push({ cond: r.type === "elseif" ? this.expr(r.condition) : null, body: [] });
            bodies.push((current = []));
          } else current.push(item);
        }
        branches.forEach((b, i) => (b.body = this.nodes(bodies[i]!)));
        return { t: "if", branches, pos: pos(head.pos) };
      }
      case "foreach":
        this.known.add(String(head.to));
        return { t: "foreach", name: String(head.to), from: this.expr(head.from), body: this.nodes(rest), pos: pos(head.pos) };
      case "macro": {
        const params = (head.args ?? []).map((a: Raw) => String(a.id));
        params.forEach((p: string) => this.known.add(p));
        return { t: "macro", name: String(head.id), params, body: this.nodes(rest) };
      }
      case "define":
        this.known.add(String(head.id));
        return { t: "define", name: String(head.id), body: this.nodes(rest) };
      default:
        // #noescape and unknown blocks render their content.
        return { t: "if", branches: [{ cond: null, body: this.nodes(rest) }], pos: pos(head.pos) };
    }
  }

  ref(raw: Raw, at?: Raw): Ref {
    const root = String(raw.id);
    this.read.add(root);
    const path: Access[] = [];
    for (const step of (raw.path ?? []) as Raw[]) {
      if (step.type === "property") path.push({ k: "prop", name: String(step.id) });
      else if (step.type === "index") path.push({ k: "index", key: this.expr(step.id) });
      else path.push({ k: "call", name: String(step.id), args: Array.isArray(step.args) ? step.args.map((a: Raw) => this.expr(a)) : [] });
    }
    const ref: Ref = { t: "ref", root, path, text: refText(raw), pos: pos(raw.pos ?? at?.pos) };
    if (root === "input") this.checkLiteralPaths(ref, raw.pos ?? at?.pos);
    return ref;
  }

  /** `$input.path('$.a')` and `$input.json('$.a')` with a literal path: the path is checked now. */
  checkLiteralPaths(ref: Ref, at: Raw | undefined): void {
    const first = ref.path[0];
    if (first?.k !== "call" || (first.name !== "path" && first.name !== "json")) return;
    const arg = first.args[0];
    if (arg?.t !== "lit" || typeof arg.v !== "string") return;
    try {
      compileJsonPath(arg.v);
    } catch (err) {
      if (err instanceof JsonPathError) this.problem(err.message, at);
      else throw err;
    }
  }

  expr(raw: Raw): Expr {
    if (raw === null || raw === undefined) return { t: "lit", v: null };
    switch (raw.type) {
      case "references":
        return this.ref(raw);
      case "string": {
        const value = String(raw.value);
        if (!raw.isEval || (!value.includes("$") && !value.includes("#"))) return { t: "lit", v: value };
        let inner: unknown[];
        try {
          inner = velocityParse(value) as unknown[];
        } catch {
          return { t: "lit", v: value };
        }
        return { t: "interp", nodes: this.nodes(inner) };
      }
      case "integer":
        return { t: "lit", v: Number(raw.value) };
      case "decimal": {
        const v = Number(raw.value);
        // An integral double literal (2.0) stays a double: it prints "2.0".
        return Number.isInteger(v) ? { t: "op", op: "double", args: [{ t: "lit", v }] } : { t: "lit", v };
      }
      case "bool":
        return { t: "lit", v: raw.value === "true" ? true : raw.value === "false" ? false : null };
      case "array":
        if (raw.isRange) {
          const [from, to] = (raw.value as unknown[]).map((v) => (typeof v === "string" || typeof v === "number" ? ({ t: "lit", v: Number(v) } as Expr) : this.expr(v as Raw)));
          return { t: "range", from: from!, to: to! };
        }
        return { t: "list", items: ((raw.value ?? []) as Raw[]).map((v) => this.expr(v)) };
      case "map":
        return { t: "map", entries: Object.entries((raw.value ?? {}) as Record<string, Raw>).map(([k, v]) => [k, this.expr(v)]) };
      case "math":
        return { t: "op", op: String(raw.operator), args: ((raw.expression ?? []) as Raw[]).map((e) => this.expr(e)) };
      default:
        this.problem(`unsupported expression ${String(raw.type)}`, raw.pos);
        return { t: "lit", v: null };
    }
  }

  problem(message: string, at: Raw | undefined): void {
    const p = pos(at);
    this.problems.push({ message, line: p.line, column: p.column });
  }
}

function pos(raw: Raw | undefined): Pos {
  return { line: raw?.first_line ?? 1, column: (raw?.first_column ?? 0) + 1 };
}

function refText(raw: Raw): string {
  let text = `$${raw.id}`;
  for (const step of (raw.path ?? []) as Raw[]) {
    if (step.type === "property") text += `.${step.id}`;
    else if (step.type === "index") text += "[…]";
    else text += `.${step.id}(…)`;
  }
  return text;
}
