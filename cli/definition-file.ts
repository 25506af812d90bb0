/** Reading a definition file for the CLI: every error printed as `field.path: what is wrong`, never a stack. */
import { readFile } from "node:fs/promises";
import { compileDefinitionText, checkDefinitionTextWithWarnings } from "../src/config/load.ts";
import { DefinitionError, formatFieldError, type FieldError } from "../src/config/field-errors.ts";
import type { CompiledDefinition, CompileOptions } from "../src/config/compile.ts";

export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

export async function readDefinitionFile(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
  }
}

export function formatErrors(file: string, errors: FieldError[]): string {
  return `${file}: ${errors.length} error${errors.length === 1 ? "" : "s"}\n` + errors.map((e) => `  ${formatFieldError(e)}`).join("\n");
}

/** `file: 1 warning` and one indented line per warning: printed by validate, never failing it. */
export function formatWarnings(file: string, warnings: FieldError[]): string {
  return `${file}: ${warnings.length} warning${warnings.length === 1 ? "" : "s"}\n` + warnings.map((w) => `  ${formatFieldError(w)}`).join("\n");
}

export async function checkFile(file: string, options: CompileOptions = {}): Promise<{ errors: FieldError[]; warnings: FieldError[] }> {
  return checkDefinitionTextWithWarnings(await readDefinitionFile(file), options);
}

export async function compileFile(file: string, options: CompileOptions = {}): Promise<CompiledDefinition> {
  const text = await readDefinitionFile(file);
  try {
    return await compileDefinitionText(text, options);
  } catch (err) {
    if (err instanceof DefinitionError) throw new CliError(formatErrors(file, err.errors));
    throw err;
  }
}
