/**
 * Importing an Amazon API Gateway API: an OpenAPI 3.0 or Swagger 2.0 export (REST or HTTP API) with Amazon's
 * `x-amazon-apigateway-*` extensions, or the API defined in a SAM/CloudFormation template, → a Portico definition,
 * plus everything that could not be carried over, each at its JSON path (issues.ts says which of those make the
 * result serve wrongly). Pure: it runs in Node (the CLI) and in workerd (tests) alike.
 */
import { checkDefinition, type CompileOptions } from "../compile.ts";
import { isObject, type FieldError } from "../field-errors.ts";
import type { ApiDefinition } from "../types.ts";
import { definitionWarnings } from "../warnings.ts";
import { Issues, SourceMap, type ImportIssue } from "./issues.ts";
import { convertDocument } from "./openapi.ts";
import type { ImportOptions } from "./options.ts";
import { detectExport, parseExportText, type ExportKind } from "./parse.ts";
import { RESIDUE_KEY } from "./residue.ts";
import { templateApi } from "./template.ts";

export { detectExport, parseExportText, type ExportKind } from "./parse.ts";
export { checkImportOptions, mergeImportOptions, type ImportOptions } from "./options.ts";
export { formatIssue, type ImportIssue } from "./issues.ts";

export interface ImportResult {
  /** What the input was; null when it is none of the three. */
  kind: ExportKind | null;
  /** The converted definition (undefined when nothing could be read). */
  definition: ApiDefinition | undefined;
  /** What was not carried over, in document order. */
  issues: ImportIssue[];
  /** Definition paths → source paths, for the compiler's errors. */
  origin: SourceMap;
}

/** Imports a parsed export or template. */
export function importApi(value: unknown, options: ImportOptions = {}): ImportResult {
  const origin = new SourceMap();
  const top = new Issues();
  const kind = detectExport(value, false);
  if (!kind) {
    top.error([], "not an OpenAPI 3.0 or Swagger 2.0 document, nor a CloudFormation or SAM template");
    return { kind, definition: undefined, issues: top.list, origin };
  }
  let doc = value as Record<string, unknown>;
  let body = new Issues();
  let extra: Partial<Parameters<typeof convertDocument>[0]> = {};
  if (kind === "cloudformation") {
    const api = templateApi(doc, options, top);
    if (!api) return { kind, definition: undefined, issues: top.list, origin };
    doc = api.doc;
    body = new Issues(api.docPath);
    // A name: the resource's Name, else the document's title, else (a title SAM fills at deploy time) the logical id.
    const titled = isObject(doc.info) && typeof doc.info.title === "string";
    const name = api.name ?? (titled ? undefined : api.logicalId);
    extra = { flavor: api.flavor, ...(name ? { name: nameOf(name) } : {}), stages: api.stages, functionIds: api.functionIds, ...(api.domainRouting ? { domainRouting: api.domainRouting } : {}) };
  } else if (typeof doc.openapi === "string" && !/^3\.0(\.\d+)?$/.test(doc.openapi)) {
    top.error(["openapi"], `OpenAPI ${doc.openapi}: Amazon API Gateway (and this import) reads 3.0 and Swagger 2.0`);
    return { kind, definition: undefined, issues: top.list, origin };
  }
  const definition = convertDocument({ doc, options, issues: body, origin, ...extra });
  // A Portico export carries everything Portico models: only what stops it from serving is worth saying.
  const bodyIssues = isObject(doc[RESIDUE_KEY]) ? body.list.filter((i) => i.severity === "error") : body.list;
  return { kind, definition, issues: [...top.list, ...bodyIssues], origin };
}

/** Reads and imports an export's or template's text. */
export function importText(text: string, options: ImportOptions = {}): ImportResult & { syntaxErrors: FieldError[] } {
  const parsed = parseExportText(text);
  if (parsed.errors.length) return { kind: null, definition: undefined, issues: [], origin: new SourceMap(), syntaxErrors: parsed.errors };
  return { ...importApi(parsed.value, options), syntaxErrors: [] };
}

/**
 * An import checked as a definition: errors are the issues that make it serve wrongly plus the converted
 * definition's own errors, placed at the source's JSON paths; warnings the other issues and the definition's.
 */
export function checkImport(result: ImportResult, options: CompileOptions = {}): { errors: FieldError[]; warnings: FieldError[] } {
  const errors: FieldError[] = result.issues.filter((i) => i.severity === "error").map((i) => ({ path: i.path, message: i.message }));
  const warnings: FieldError[] = result.issues.filter((i) => i.severity === "warning").map((i) => ({ path: i.path, message: i.message }));
  if (!result.definition) return { errors, warnings };
  const own = checkDefinition(result.definition, options);
  for (const e of own) errors.push({ path: result.origin.locate(e.path), message: e.message });
  if (!own.length) for (const w of definitionWarnings(result.definition)) warnings.push({ path: result.origin.locate(w.path), message: w.message });
  return { errors, warnings };
}

/** A template resource's `Name` as an API name. */
function nameOf(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63) || "imported-api";
}
