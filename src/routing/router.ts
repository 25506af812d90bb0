/**
 * The route table: a segment trie built once per bundle, matched with Amazon's precedence.
 *
 * - A static segment beats a parameter, a parameter beats a greedy `{proxy+}` (which needs at least one segment).
 * - Resources are tried most specific first, and a resource only matches when it has the method (exact or ANY):
 *   when `/part1/{x}` lacks POST, a root `/{proxy+}` that has it serves (recorded REST behaviour).
 * - On one resource, an exact method beats ANY.
 * - `$default` (HTTP flavour) serves whatever nothing else matched.
 */
import { DEFAULT_ROUTE, type Segment } from "./route-key.ts";

export interface RouteEntry<T> {
  method: string;
  path: string;
  segments: Segment[];
  value: T;
}

export interface RouteMatch<T> {
  value: T;
  params: Record<string, string>;
}

interface MethodTable<T> {
  exact: Map<string, T>;
  any: T | undefined;
}

interface TrieNode<T> {
  statics: Map<string, TrieNode<T>>;
  param: { name: string; node: TrieNode<T> } | undefined;
  greedy: { name: string; methods: MethodTable<T> } | undefined;
  methods: MethodTable<T> | undefined;
}

const newNode = <T>(): TrieNode<T> => ({ statics: new Map(), param: undefined, greedy: undefined, methods: undefined });
const newTable = <T>(): MethodTable<T> => ({ exact: new Map(), any: undefined });

function addMethod<T>(table: MethodTable<T>, method: string, value: T): void {
  if (method === "ANY") table.any = value;
  else table.exact.set(method, value);
}

function pick<T>(table: MethodTable<T> | undefined, method: string): T | undefined {
  if (!table) return undefined;
  return table.exact.get(method) ?? table.any;
}

export class Router<T> {
  readonly #root: TrieNode<T> = newNode();
  #fallback: T | undefined;

  /** Entries must already be valid (the compiler checks keys, duplicates and sibling parameter names). */
  constructor(entries: Iterable<RouteEntry<T>>) {
    for (const entry of entries) this.#add(entry);
  }

  #add(entry: RouteEntry<T>): void {
    if (entry.path === DEFAULT_ROUTE) {
      this.#fallback = entry.value;
      return;
    }
    let node = this.#root;
    for (const segment of entry.segments) {
      if (segment.kind === "static") {
        let next = node.statics.get(segment.value);
        if (!next) node.statics.set(segment.value, (next = newNode()));
        node = next;
      } else if (segment.kind === "param") {
        node.param ??= { name: segment.name, node: newNode() };
        node = node.param.node;
      } else {
        node.greedy ??= { name: segment.name, methods: newTable() };
        addMethod(node.greedy.methods, entry.method, entry.value);
        return;
      }
    }
    node.methods ??= newTable();
    addMethod(node.methods, entry.method, entry.value);
  }

  /** Matches raw (not decoded) path segments; parameters come back exactly as sent. */
  match(method: string, segments: readonly string[]): RouteMatch<T> | undefined {
    const captured: string[] = [];
    const value = search(this.#root, segments, 0, method, captured);
    if (value !== undefined) {
      const params: Record<string, string> = {};
      for (let i = 0; i < captured.length; i += 2) params[captured[i]!] = captured[i + 1]!;
      return { value, params };
    }
    return this.#fallback === undefined ? undefined : { value: this.#fallback, params: {} };
  }
}

function search<T>(node: TrieNode<T>, segments: readonly string[], i: number, method: string, captured: string[]): T | undefined {
  if (i === segments.length) return pick(node.methods, method);
  const segment = segments[i]!;
  const child = node.statics.get(segment);
  if (child) {
    const found = search(child, segments, i + 1, method, captured);
    if (found !== undefined) return found;
  }
  if (node.param) {
    captured.push(node.param.name, segment);
    const found = search(node.param.node, segments, i + 1, method, captured);
    if (found !== undefined) return found;
    captured.length -= 2;
  }
  if (node.greedy) {
    const found = pick(node.greedy.methods, method);
    if (found !== undefined) {
      captured.push(node.greedy.name, segments.slice(i).join("/"));
      return found;
    }
  }
  return undefined;
}
