/** Reading a definition file for the CLI: every error printed as `field.path: what is wrong`, never a stack. */
import { readFile } from "node:fs/promises";
import { compileDefinitionText, parseDefinitionText } from "../src/config/load.ts";
import { checkDefinition, inDocumentOrder, type CompiledDefinition, type CompileOptions } from "../src/config/compile.ts";
import { definitionWarnings } from "../src/config/warnings.ts";
import { DefinitionError, formatFieldError, formatPath, type FieldError } from "../src/config/field-errors.ts";
import { CliError, EXIT } from "./errors.ts";

export { CliError } from "./errors.ts";

export async function readDefinitionFile(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
  }
}

/** `file: N errors` then one `  path: message` line per error, and `  warning: path: message` per warning. */
export function formatErrors(file: string, errors: FieldError[], warnings: FieldError[] = []): string {
  const counts = [errors.length ? plural(errors.length, "error") : "", warnings.length ? plural(warnings.length, "warning") : ""].filter(Boolean);
  return (
    `${file}: ${errors.length ? counts.join(", ") : `valid (${counts.join("")})`}\n` +
    [...errors.map((e) => `  ${formatFieldError(e)}`), ...warnings.map((w) => `  warning: ${formatFieldError(w)}`)].join("\n")
  );
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * The parsed definition, every error in it (syntax errors, or the schema's and the compiler's) and, when it has
 * none, the definition's own warnings (config/warnings.ts). `options.localDev`: checked as a Worker running with
 * PORTICO_LOCAL_DEV would (loopback and private backends allowed).
 */
export async function checkFile(file: string, options: CompileOptions = {}): Promise<{ value: unknown; errors: FieldError[]; warnings: FieldError[] }> {
  const parsed = parseDefinitionText(await readDefinitionFile(file));
  if (parsed.errors.length) return { ...parsed, warnings: [] };
  const errors = checkDefinition(parsed.value, options);
  return { value: parsed.value, errors, warnings: errors.length ? [] : definitionWarnings(parsed.value) };
}

export async function compileFile(file: string, options: CompileOptions = {}): Promise<CompiledDefinition> {
  const text = await readDefinitionFile(file);
  try {
    return await compileDefinitionText(text, options);
  } catch (err) {
    if (err instanceof DefinitionError) throw definitionError(file, err.errors);
    throw err;
  }
}

/** An invalid definition as a CliError: the summary line, then the field errors. */
export function definitionError(file: string, errors: FieldError[]): CliError {
  return new CliError(`${file}: ${plural(errors.length, "error")}`, EXIT.refused, errors.map((e) => ({ path: formatPath(e.path), message: e.message })));
}

export { inDocumentOrder };
