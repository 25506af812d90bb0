/**
 * What an import could not carry over, each with the JSON path of the part of the source document it is about.
 * Nothing is dropped silently: every field of an export that has no Portico equivalent, or that Portico serves
 * differently, is listed here.
 *
 * Two severities, and they decide `portico import`'s exit code:
 * - `error`: the result would serve wrongly — a route that cannot be served as Amazon serves it (an integration
 *   Portico cannot express, an authorization that cannot be carried, validation that would be lost), an API that
 *   would become public where Amazon's was private, a definition that does not compile. Such routes are left
 *   out (never served unprotected or to the wrong backend) and the import exits 1.
 * - `warning`: not carried over, or carried with a documented difference, where what clients get is still right
 *   (documentation, tags, compression, Amazon-only account settings, a JWKS URL to check).
 */
import { formatPath, type FieldError } from "../field-errors.ts";

export type JsonPath = (string | number)[];

export interface ImportIssue {
  /** Where in the source document (an export, or a CloudFormation template). */
  path: JsonPath;
  message: string;
  severity: "error" | "warning";
}

/** Collects issues under a base path (the API's body inside a template, or the document root). */
export class Issues {
  readonly list: ImportIssue[] = [];
  constructor(readonly base: JsonPath = []) {}

  error(path: JsonPath, message: string): void {
    this.list.push({ path: [...this.base, ...path], message, severity: "error" });
  }

  warn(path: JsonPath, message: string): void {
    this.list.push({ path: [...this.base, ...path], message, severity: "warning" });
  }

  /** Issues already holding absolute paths (from the template layer). */
  add(issue: ImportIssue): void {
    this.list.push(issue);
  }

  get hasErrors(): boolean {
    return this.list.some((i) => i.severity === "error");
  }
}

/** `paths["/pets"].get["x-amazon-apigateway-integration"].uri: …` */
export function formatIssue(issue: ImportIssue): string {
  return `${formatPath(issue.path)}: ${issue.message}`;
}

/** As the loader's field errors, so the CLI prints import problems like any other. */
export const asFieldErrors = (issues: readonly ImportIssue[]): FieldError[] => issues.map((i) => ({ path: i.path, message: i.message }));

/**
 * Where each part of the produced definition came from, so an error the compiler finds in the converted
 * definition (a template that does not compile, a pattern RE2 refuses) is reported at the source's JSON path.
 * Prefixes are registered as parts are converted; the longest registered prefix of an error's path wins.
 */
export class SourceMap {
  readonly #prefixes = new Map<string, JsonPath>();

  set(definitionPath: JsonPath, sourcePath: JsonPath): void {
    this.#prefixes.set(JSON.stringify(definitionPath), sourcePath);
  }

  /** The source path of a definition path; unmapped paths are kept as they are (they name the definition). */
  locate(definitionPath: JsonPath): JsonPath {
    for (let n = definitionPath.length; n >= 0; n--) {
      const source = this.#prefixes.get(JSON.stringify(definitionPath.slice(0, n)));
      if (source) return [...source, ...definitionPath.slice(n).map(renameField)];
    }
    return definitionPath;
  }
}

/** Portico field names that Amazon spells differently, for the tail of a mapped path. */
const AMAZON_NAMES: Record<string, string> = {
  timeoutMs: "timeoutInMillis",
  method: "httpMethod",
  status: "statusCode",
  body: "responseTemplates",
  service: "uri",
  authorizer: "security",
  apiKeyRequired: "security",
  validate: "x-amazon-apigateway-request-validator",
};
const renameField = (part: string | number) => (typeof part === "string" && AMAZON_NAMES[part]) || part;
