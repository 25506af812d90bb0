/**
 * Reading a definition file for the CLI: every error printed as `field.path: what is wrong`, never a stack. An
 * Amazon export or SAM/CloudFormation template (detected by its shape) is converted on the fly, as `portico import`
 * converts it: what is not carried over comes back as errors (it would serve wrongly) and warnings, at the
 * source's JSON paths.
 */
import { readFile } from "node:fs/promises";
import { stringify } from "yaml";
import { compileDefinitionText, parseDefinitionText } from "../src/config/load.ts";
import { checkDefinition, compileDefinition, inDocumentOrder, type CompiledDefinition, type CompileOptions } from "../src/config/compile.ts";
import { checkImport, detectExport, importApi, parseExportText, type ExportKind, type ImportOptions } from "../src/config/import/index.ts";
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

export interface CheckedFile {
  /** The definition (converted, for an export). */
  value: unknown;
  errors: FieldError[];
  warnings: FieldError[];
  /** What the file is when it is not a Portico definition. */
  kind: ExportKind | null;
  /** For an export: a definition path → the export's JSON path (for errors found later, e.g. bindings). */
  locate: (path: (string | number)[]) => (string | number)[];
  /** The definition's text as a Portico definition (an export's converted definition, as YAML). */
  text: string;
}

/**
 * The parsed definition, every error in it (syntax errors, or the schema's and the compiler's) and, when it has
 * none, the definition's own warnings (config/warnings.ts). `options.localDev`: checked as a Worker running with
 * PORTICO_LOCAL_DEV would (loopback and private backends allowed). An export is converted with `importOptions`.
 */
export async function checkFile(file: string, options: CompileOptions = {}, importOptions: ImportOptions = {}): Promise<CheckedFile> {
  const text = await readDefinitionFile(file);
  const plain = parseDefinitionText(text);
  // A template's short-form tags (!Sub) are only warnings to the plain parser: detect first, then read them as tags.
  const exported = plain.errors.length ? parseExportText(text) : plain;
  const kind = exported.errors.length ? null : detectExport(exported.value, true);
  if (kind) {
    const imported = importApi(exported.value, importOptions);
    const { errors, warnings } = checkImport(imported, options);
    return { value: imported.definition, errors, warnings, kind, locate: (p) => imported.origin.locate(p), text: imported.definition ? stringify(imported.definition, { lineWidth: 0 }) : "" };
  }
  const same = (p: (string | number)[]) => p;
  if (plain.errors.length) return { ...plain, warnings: [], kind: null, locate: same, text };
  // An OpenAPI 3 document with none of Amazon's extensions is no export to serve as it is: say what to do.
  if (!exported.errors.length && detectExport(exported.value, false))
    return { value: undefined, errors: [{ path: [], message: "an OpenAPI document without Amazon's x-amazon-apigateway-* extensions: `portico import` converts it (and lists what it cannot)" }], warnings: [], kind: null, locate: same, text };
  const errors = checkDefinition(plain.value, options);
  return { value: plain.value, errors, warnings: errors.length ? [] : definitionWarnings(plain.value), kind: null, locate: same, text };
}

export async function compileFile(file: string, options: CompileOptions = {}, importOptions: ImportOptions = {}): Promise<CompiledDefinition> {
  const text = await readDefinitionFile(file);
  const exported = parseExportText(text);
  if (!exported.errors.length && detectExport(exported.value, true)) {
    const checked = await checkFile(file, options, importOptions);
    if (checked.errors.length) throw definitionError(file, checked.errors);
    return compileDefinition(checked.value, options);
  }
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
