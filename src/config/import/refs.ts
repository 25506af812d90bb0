/** Local JSON references inside an export (`#/components/…`, `#/parameters/…`). */
import { isObject } from "../field-errors.ts";

/** Follows a local `$ref` (`#/…`) once; anything else is returned as it is. */
export function resolveLocal(node: unknown, doc: Record<string, unknown>): unknown {
  if (!isObject(node) || typeof node.$ref !== "string" || !node.$ref.startsWith("#/")) return node;
  let target: unknown = doc;
  for (const raw of node.$ref.slice(2).split("/")) {
    const part = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (!isObject(target) || !Object.hasOwn(target, part)) return undefined;
    target = target[part];
  }
  return target;
}
