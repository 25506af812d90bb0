/**
 * Runs a compiled template (`parse.ts`) against its variables, with Amazon's Velocity semantics (`values.ts`,
 * `methods.ts`) and under a Budget: every reference, method call, directive and loop iteration is a step, every
 * character produced is counted, and a `#foreach` stops after its limit of iterations (Velocity's maxloops, which
 * Amazon sets to 1,000). Exceeding steps or characters throws TemplateLimitError.
 *
 * Velocity 1.7 details kept: `#set` with a null value leaves the variable as it was; a reference that resolves to
 * null prints nothing (Amazon renders it empty, not as its source text); macros see and change the global scope;
 * a call to an undefined macro prints as written.
 */
import { Budget, TemplateLimitError, TemplateRuntimeError, type TemplateLimits } from "./errors.ts";
import { callMethod, index, property } from "./methods.ts";
import type { Expr, Node, Program, Ref } from "./parse.ts";
import { HostObject, NO_METHOD, arithmetic, compare, double, equal, isNumber, javaString, num, render, truthy } from "./values.ts";

/** Largest `[a..b]` range a template may build. */
const MAX_RANGE = 10_000;

class ForeachInfo extends HostObject {
  constructor(readonly i: number, readonly size: number) {
    super();
  }
  property(name: string): unknown {
    switch (name) {
      case "hasNext": return this.i + 1 < this.size;
      case "count": return this.i + 1;
      case "index": return this.i;
      case "first": return this.i === 0;
      case "last": return this.i + 1 === this.size;
      default: return undefined;
    }
  }
  method(name: string, args: unknown[]): unknown {
    if (args.length) return NO_METHOD;
    const key = name.startsWith("get") ? name[3]!.toLowerCase() + name.slice(4) : name.startsWith("is") ? name[2]!.toLowerCase() + name.slice(3) : name;
    const value = this.property(key);
    return value === undefined ? NO_METHOD : value;
  }
}

/** A `#define` block: printing the reference renders the block. */
class Defined {
  constructor(readonly body: Node[]) {}
}

class Stop extends Error {}

/** Renders `program` with `variables` (`input`, `context`, `util`, `stageVariables`); throws on error or bound. */
export function evaluate(program: Program, variables: Map<string, unknown>, limits: TemplateLimits): string {
  const run = new Run(variables, new Budget(limits));
  run.collectMacros(program.nodes);
  try {
    run.nodes(program.nodes);
  } catch (err) {
    if (err instanceof Stop) return run.out.join("");
    if (err instanceof TemplateLimitError || err instanceof TemplateRuntimeError) throw err;
    // A runtime fault inside evaluation (a stack overflow from deep recursion, say) is the template's failure.
    throw new TemplateRuntimeError(`template evaluation failed: ${(err as Error).message ?? String(err)}`);
  }
  return run.out.join("");
}

class Run {
  out: string[] = [];
  breaking = false;
  depth = 0;
  readonly macros = new Map<string, Extract<Node, { t: "macro" }>>();

  constructor(
    readonly vars: Map<string, unknown>,
    readonly budget: Budget,
  ) {}

  collectMacros(nodes: Node[]): void {
    for (const n of nodes) {
      if (n.t === "macro") this.macros.set(n.name, n);
      else if (n.t === "if") n.branches.forEach((b) => this.collectMacros(b.body));
      else if (n.t === "foreach" || n.t === "define") this.collectMacros(n.body);
    }
  }

  emit(s: string): void {
    if (s) this.out.push(this.budget.produce(s));
  }

  nodes(nodes: Node[]): void {
    for (const node of nodes) {
      if (this.breaking) return;
      this.node(node);
    }
  }

  node(node: Node): void {
    this.budget.step();
    switch (node.t) {
      case "text":
        this.emit(node.s);
        return;
      case "out": {
        const value = this.ref(node.ref);
        if (value instanceof Defined) this.nodes(value.body);
        else this.emit(render(value));
        return;
      }
      case "set":
        this.set(node.target, this.expr(node.value));
        return;
      case "if":
        for (const branch of node.branches)
          if (branch.cond === null || truthy(this.expr(branch.cond))) {
            this.nodes(branch.body);
            return;
          }
        return;
      case "foreach":
        this.foreach(node);
        return;
      case "macro":
        return;
      case "call":
        this.call(node);
        return;
      case "define":
        this.vars.set(node.name, new Defined(node.body));
        return;
      case "break":
        this.breaking = true;
        return;
    }
  }

  foreach(node: Extract<Node, { t: "foreach" }>): void {
    const from = this.expr(node.from);
    const items = Array.isArray(from) ? from.slice() : from instanceof Map ? [...from.values()] : null;
    if (!items) return;
    const saved = [node.name, "foreach", "velocityCount"].map((k) => [k, this.vars.get(k)] as const);
    const n = Math.min(items.length, this.budget.limits.maxLoop);
    for (let i = 0; i < n; i++) {
      this.budget.step();
      this.vars.set(node.name, items[i]);
      this.vars.set("foreach", new ForeachInfo(i, n));
      this.vars.set("velocityCount", i + 1);
      this.nodes(node.body);
      if (this.breaking) {
        this.breaking = false;
        break;
      }
    }
    for (const [k, v] of saved) if (v === undefined) this.vars.delete(k);
    else this.vars.set(k, v);
  }

  call(node: Extract<Node, { t: "call" }>): void {
    const macro = this.macros.get(node.name);
    if (!macro) {
      this.emit(node.text);
      return;
    }
    if (++this.depth > this.budget.limits.maxDepth) throw new TemplateLimitError(`macros nested deeper than ${this.budget.limits.maxDepth}`);
    const args = node.args.map((a) => this.expr(a));
    const saved = macro.params.map((p) => [p, this.vars.get(p)] as const);
    macro.params.forEach((p, i) => this.vars.set(p, args[i] ?? null));
    try {
      this.nodes(macro.body);
    } finally {
      for (const [k, v] of saved) if (v === undefined) this.vars.delete(k);
      else this.vars.set(k, v);
      this.depth--;
    }
  }

  set(target: Ref, value: unknown): void {
    // Velocity 1.7 (directive.set.null.allowed = false): a null value leaves the target unchanged.
    if (value === null || value === undefined) return;
    if (target.path.length === 0) {
      this.vars.set(target.root, value);
      return;
    }
    const base = this.walk(target, target.path.length - 1);
    const last = target.path[target.path.length - 1]!;
    if (last.k === "call") throw new TemplateRuntimeError("cannot #set the result of a method call", target.pos.line, target.pos.column);
    const key = last.k === "prop" ? last.name : this.expr(last.key);
    if (base instanceof Map) base.set(javaString(key), value);
    else if (Array.isArray(base) && isNumber(key)) {
      const i = num(key);
      if (Number.isInteger(i) && i >= 0 && i < base.length) base[i] = value;
    }
  }

  ref(ref: Ref): unknown {
    return this.walk(ref, ref.path.length);
  }

  /** The value of `ref` after its first `steps` accesses. */
  walk(ref: Ref, steps: number): unknown {
    let value: unknown = this.vars.get(ref.root) ?? null;
    for (let i = 0; i < steps; i++) {
      if (value === null || value === undefined) return null;
      this.budget.step();
      const access = ref.path[i]!;
      try {
        if (access.k === "prop") value = property(value, access.name, this.budget);
        else if (access.k === "index") value = index(value, this.expr(access.key));
        else {
          const args = access.args.map((a) => this.expr(a));
          const result = callMethod(value, access.name, args, this.budget);
          value = result === NO_METHOD ? null : result;
        }
      } catch (err) {
        if (err instanceof TemplateRuntimeError && err.line === undefined) throw new TemplateRuntimeError(`${ref.text}: ${err.message}`, ref.pos.line, ref.pos.column);
        throw err;
      }
      if (value === undefined) value = null;
    }
    return value;
  }

  expr(e: Expr): unknown {
    switch (e.t) {
      case "ref":
        return this.ref(e);
      case "lit":
        return e.v;
      case "interp": {
        const saved = this.out;
        this.out = [];
        try {
          this.nodes(e.nodes);
          return this.out.join("");
        } finally {
          this.out = saved;
        }
      }
      case "list":
        return e.items.map((item) => this.expr(item));
      case "map":
        return new Map(e.entries.map(([k, v]) => [k, this.expr(v)]));
      case "range": {
        const from = this.expr(e.from);
        const to = this.expr(e.to);
        if (!isNumber(from) || !isNumber(to)) return null;
        const a = Math.trunc(num(from));
        const b = Math.trunc(num(to));
        const size = Math.abs(b - a) + 1;
        if (size > MAX_RANGE) throw new TemplateLimitError(`range of more than ${MAX_RANGE} numbers`);
        this.budget.step(size);
        return Array.from({ length: size }, (_, i) => (a <= b ? a + i : a - i));
      }
      case "op":
        return this.op(e.op, e.args);
    }
  }

  op(op: string, args: Expr[]): unknown {
    const [a, b] = args as [Expr, Expr];
    switch (op) {
      case "&&":
        return truthy(this.expr(a)) && truthy(this.expr(b));
      case "||":
        return truthy(this.expr(a)) || truthy(this.expr(b));
      case "not":
        return !truthy(this.expr(a));
      case "parenthesis":
        return this.expr(a);
      case "minus": {
        const v = this.expr(a);
        return isNumber(v) ? arithmetic("-", 0, v) : null;
      }
      case "double": {
        const v = this.expr(a);
        return isNumber(v) ? double(num(v)) : v;
      }
      case "==":
        return equal(this.expr(a), this.expr(b));
      case "!=":
        return !equal(this.expr(a), this.expr(b));
      case "<":
      case "<=":
      case ">":
      case ">=":
        return compare(op, this.expr(a), this.expr(b));
      default: {
        const result = arithmetic(op, this.expr(a), this.expr(b));
        return typeof result === "string" ? this.budget.produce(result) : result;
      }
    }
  }
}
