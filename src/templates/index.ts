/**
 * The mapping-template engine: Amazon API Gateway's Velocity (VTL) with its `$input`, `$util`, `$context` and
 * `$stageVariables`. Templates compile once per bundle (`compileTemplate`) and render per request under bounds
 * (`CompiledTemplate.render`). Pure: the caller builds the variables from the request (`InputObject`, the
 * `$context` map) and turns failures into gateway responses.
 *
 * Files: `parse.ts` (velocityjs's parser → our program, compile-time checks), `evaluate.ts` (the bounded
 * interpreter), `values.ts` (Java printing, truth, equality, arithmetic), `methods.ts` (Java methods),
 * `util.ts` (`$util`), `input.ts` (`$input`), `json.ts` / `jsonpath.ts` (ordered JSON and Jayway-style JSONPath).
 */
import { DEFAULT_LIMITS, type TemplateLimits, type TemplateProblem } from "./errors.ts";
import { evaluate } from "./evaluate.ts";
import { compileProgram, type Program } from "./parse.ts";
import { UtilObject } from "./util.ts";

export { DEFAULT_LIMITS, TemplateLimitError, TemplateRuntimeError, type TemplateLimits, type TemplateProblem } from "./errors.ts";
export { InputObject, jsonPath, type InputParams } from "./input.ts";
export { OpaqueMap, javaString, render } from "./values.ts";
export { JsonList, parseJson, toJson } from "./json.ts";
export { compileJsonPath, evaluateJsonPath, JsonPathError } from "./jsonpath.ts";

/** Amazon's limit on one mapping template's size. */
export const MAX_TEMPLATE_CHARS = 300 * 1024;

const UTIL = new UtilObject();

export interface TemplateVariables {
  input: unknown;
  context: unknown;
  stageVariables: Map<string, unknown>;
}

export class CompiledTemplate {
  constructor(
    readonly source: string,
    readonly program: Program,
  ) {}

  /** Renders the template; throws TemplateLimitError past a bound, TemplateRuntimeError when it fails. */
  render(variables: TemplateVariables, limits: TemplateLimits = DEFAULT_LIMITS): string {
    const vars = new Map<string, unknown>([
      ["input", variables.input],
      ["context", variables.context],
      ["util", UTIL],
      ["stageVariables", variables.stageVariables],
    ]);
    return evaluate(this.program, vars, limits);
  }

  /** Variables the template reads but never sets (they render as nothing). */
  get freeVariables(): string[] {
    return this.program.freeVariables;
  }
}

/** Compiles a template, or returns every problem found with its line and column. */
export function compileTemplate(source: string): { template: CompiledTemplate } | { problems: TemplateProblem[] } {
  if (source.length > MAX_TEMPLATE_CHARS) return { problems: [{ message: `longer than ${MAX_TEMPLATE_CHARS} characters (Amazon's limit)`, line: 1, column: 1 }] };
  const result = compileProgram(source);
  if ("problems" in result) return result;
  return { template: new CompiledTemplate(source, result.program) };
}
