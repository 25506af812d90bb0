/**
 * Reads a definition file's text (YAML or JSON; YAML 1.2 is a superset of JSON) into a value, turning syntax
 * errors into field errors with line and column. Anchors and aliases are bounded so a small file cannot
 * expand into a huge one.
 */
import { parseDocument } from "yaml";
import { checkDefinition, compileDefinition, type CompiledDefinition, type CompileOptions } from "./compile.ts";
import { DefinitionError, type FieldError } from "./field-errors.ts";
import { definitionWarnings } from "./warnings.ts";

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
  return checkDefinitionTextWithWarnings(text, options).errors;
}

/** Parse and check: every error, and — when there are none — every warning (config/warnings.ts). */
export function checkDefinitionTextWithWarnings(text: string, options: CompileOptions = {}): { errors: FieldError[]; warnings: FieldError[] } {
  const { value, errors } = parseDefinitionText(text);
  const all = errors.length ? errors : checkDefinition(value, options);
  return { errors: all, warnings: all.length ? [] : definitionWarnings(value) };
}

/** Parse and compile, or throw DefinitionError with every error. */
export async function compileDefinitionText(text: string, options: CompileOptions = {}): Promise<CompiledDefinition> {
  const { value, errors } = parseDefinitionText(text);
  if (errors.length) throw new DefinitionError(errors);
  return compileDefinition(value, options);
}
