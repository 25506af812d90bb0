/**
 * Compiler: API definition → bundle. `checkDefinition` finds every error (shape from the schema, then the rules
 * that span fields); `compileDefinition` resolves every default and computes the content id.
 * The rules are in `compile-rules.ts`, the building in `compile-bundle.ts`.
 */
import { bundleId, type Bundle } from "./bundle.ts";
import { checkDefinitionShape } from "./check.ts";
import { buildBundle } from "./compile-bundle.ts";
import { checkSemantics } from "./compile-rules.ts";
import { DefinitionError, type FieldError } from "./field-errors.ts";
import type { ApiDefinition } from "./types.ts";

export interface CompiledDefinition {
  id: string;
  bundle: Bundle;
}

/** Where the definition will run; by default, production rules. */
export interface CompileOptions {
  /**
   * Local development (the Worker's PORTICO_LOCAL_DEV, `portico dev`, `portico validate --local-dev`): backends,
   * JWKS endpoints and authorizer URLs may be on loopback or a private network, and identity providers on http://.
   */
  localDev?: boolean;
}

/** Every error in a definition, with field paths. An empty list means it compiles. */
export function checkDefinition(value: unknown, options: CompileOptions = {}): FieldError[] {
  const errors = checkDefinitionShape(value);
  if (value && typeof value === "object" && !Array.isArray(value)) checkSemantics(value as ApiDefinition, errors, options.localDev ?? false);
  return inDocumentOrder(value, errors);
}

/** Compiles a definition to a bundle and its content id, or throws DefinitionError listing every problem. */
export async function compileDefinition(value: unknown, options: CompileOptions = {}): Promise<CompiledDefinition> {
  const errors = checkDefinition(value, options);
  if (errors.length) throw new DefinitionError(errors);
  const bundle = buildBundle(value as ApiDefinition);
  return { id: await bundleId(bundle), bundle };
}

/** Sorts errors by where their fields appear in the document (stable), so a route's errors read together. */
export function inDocumentOrder(value: unknown, errors: FieldError[]): FieldError[] {
  const rank = (path: (string | number)[]): number[] => {
    const out: number[] = [];
    let node: unknown = value;
    for (const part of path.slice(0, 3)) {
      if (!node || typeof node !== "object") break;
      const keys = Array.isArray(node) ? null : Object.keys(node);
      out.push(typeof part === "number" ? part : keys ? keys.indexOf(part) : -1);
      node = (node as Record<string, unknown>)[part];
    }
    return out;
  };
  const ranked = errors.map((error, i) => ({ error, key: rank(error.path), i }));
  ranked.sort((a, b) => {
    for (let k = 0; k < Math.max(a.key.length, b.key.length); k++) {
      const d = (a.key[k] ?? -1) - (b.key[k] ?? -1);
      if (d) return d;
    }
    return a.i - b.i;
  });
  return ranked.map((r) => r.error);
}
