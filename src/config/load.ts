/**
 * Reads a definition file's text (YAML or JSON; YAML 1.2 is a superset of JSON) into a value, turning syntax
 * errors into field errors with line and column. Anchors and aliases are bounded so a small file cannot
 * expand into a huge one.
 */
import { parseDocument } from "yaml";
import { checkDefinition, compileDefinition, type CompiledDefinition, type CompileOptions } from "./compile.ts";
import { DefinitionError, type FieldError } from "./field-errors.ts";

export const MAX_DEFINITION_BYTES = 5 * 1024 * 1024;

export function parseDefinitionText(text: string): { value: unknown; errors: FieldError[] } {
  if (text.length > MAX_DEFINITION_BYTES / 3 && new TextEncoder().encode(text).byteLength > MAX_DEFINITION_BYTES)
    return { value: undefined, errors: [{ path: [], message: `file is larger than ${MAX_DEFINITION_BYTES} bytes` }] };
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length) {
    return {
      value: undefined,
      errors: doc.errors.map((e) => {
        const at = e.linePos?.[0];
        const message = e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:$/, "");
        return { path: [], message: `${at ? `line ${at.line}, column ${at.col}: ` : ""}${message}` };
      }),
    };
  }
  try {
    return { value: doc.toJS({ maxAliasCount: 100 }), errors: [] };
  } catch (err) {
    return { value: undefined, errors: [{ path: [], message: (err as Error).message }] };
  }
}

/** Parse and check: every error in the file, or none. */
export function checkDefinitionText(text: string, options: CompileOptions = {}): FieldError[] {
  const { value, errors } = parseDefinitionText(text);
  return errors.length ? errors : checkDefinition(value, options);
}

/** Parse and compile, or throw DefinitionError with every error. */
export async function compileDefinitionText(text: string, options: CompileOptions = {}): Promise<CompiledDefinition> {
  const { value, errors } = parseDefinitionText(text);
  if (errors.length) throw new DefinitionError(errors);
  return compileDefinition(value, options);
}
