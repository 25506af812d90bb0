/**
 * Models: JSON Schemas for request validation, checked when a bundle is compiled and turned into validators
 * once per bundle per isolate (never per request).
 *
 * Models refer to each other as `#/models/Name` or with Amazon's URL form
 * `https://apigateway.amazonaws.com/restapis/<api-id>/models/Name`; both are rewritten at compile time to one
 * absolute URI that each validator registers every model under.
 *
 * `pattern` and `patternProperties` run on the linear-time engine (security/linear-regex.ts): a pattern it cannot
 * run is a compile error at the pattern's own path, and a string longer than `maxPatternInputLength` fails the
 * pattern instead of being matched.
 */
import { Validator, type Schema } from "@cfworker/json-schema";
import { linearPattern, PatternInputTooLong, withLinearRegExp, type LinearPattern } from "../security/linear-regex.ts";
import type { FieldError } from "./field-errors.ts";
import type { JsonSchema } from "./types.ts";

const MODEL_BASE = "https://models.portico.invalid/";
const AMAZON_REF = /^https:\/\/apigateway\.amazonaws\.com\/restapis\/[^/]+\/models\/([A-Za-z0-9]+)$/;
const LOCAL_REF = /^#\/models\/([A-Za-z0-9]+)$/;

type Draft = "4" | "7" | "2019-09" | "2020-12";

function modelRefTarget(ref: string): string | undefined {
  return (AMAZON_REF.exec(ref) ?? LOCAL_REF.exec(ref))?.[1];
}

/** Copies a schema with model references rewritten to their canonical URI. */
export function rewriteModelRefs(schema: unknown): JsonSchema {
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (!node || typeof node !== "object") return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      const target = key === "$ref" && typeof value === "string" ? modelRefTarget(value) : undefined;
      out[key] = target ? MODEL_BASE + target : visit(value);
    }
    return out;
  };
  return visit(schema) as JsonSchema;
}

function collectRefs(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => collectRefs(n, found));
  else if (node && typeof node === "object")
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string") found.push(value);
      else collectRefs(value, found);
    }
  return found;
}

/** Keywords whose value is one subschema, a list of them, or a map of them (JSON Schema drafts 4 to 2020-12). */
const ONE_SCHEMA = ["additionalProperties", "additionalItems", "items", "contains", "not", "if", "then", "else", "propertyNames", "unevaluatedItems", "unevaluatedProperties", "contentSchema"];
const SCHEMA_LIST = ["allOf", "anyOf", "oneOf", "prefixItems", "items"];
const SCHEMA_MAP = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies"];

/**
 * Every regular expression a schema runs — `pattern` values and `patternProperties` keys — with its path inside
 * the schema. Walks subschemas only, so a `default` or `const` that happens to hold a `pattern` key is not one.
 */
export function schemaPatterns(schema: unknown, path: (string | number)[] = [], out: { source: string; path: (string | number)[] }[] = []) {
  if (!schema || typeof schema !== "object" || Array.isArray(schema)) return out;
  const node = schema as Record<string, unknown>;
  if (typeof node.pattern === "string") out.push({ source: node.pattern, path: [...path, "pattern"] });
  if (node.patternProperties && typeof node.patternProperties === "object")
    for (const source of Object.keys(node.patternProperties)) out.push({ source, path: [...path, "patternProperties", source] });
  for (const key of ONE_SCHEMA) schemaPatterns(node[key], [...path, key], out);
  for (const key of SCHEMA_LIST)
    if (Array.isArray(node[key])) (node[key] as unknown[]).forEach((sub, i) => schemaPatterns(sub, [...path, key, i], out));
  for (const key of SCHEMA_MAP)
    if (node[key] && typeof node[key] === "object" && !Array.isArray(node[key]))
      for (const [name, sub] of Object.entries(node[key] as Record<string, unknown>)) schemaPatterns(sub, [...path, key, name], out);
  return out;
}

/** Model references must name existing models; a schema must be usable by the validator. */
export function checkModels(models: Record<string, unknown>, errors: FieldError[]): void {
  const names = Object.keys(models);
  for (const [name, schema] of Object.entries(models)) checkModelSchema(schema, names, ["models", name], errors);
}

/**
 * Checks one schema — a model, or a body schema written inline on a route — against the API's model names.
 * An unresolved reference must fail here: at request time the validator would throw instead of answering 400.
 */
export function checkModelSchema(schema: unknown, modelNames: readonly string[], path: (string | number)[], errors: FieldError[]): void {
  if (!schema || typeof schema !== "object") return;
  for (const ref of collectRefs(schema)) {
    const target = modelRefTarget(ref);
    if (target !== undefined && !modelNames.includes(target))
      errors.push({ path, message: `$ref to unknown model "${target}"` });
    else if (target === undefined && !ref.startsWith("#"))
      errors.push({
        path,
        message: `$ref "${ref}" cannot be resolved: refer to models as "#/models/Name" (remote references are never fetched)`,
      });
    else if (target === undefined && !resolvesLocally(schema, ref))
      errors.push({ path, message: `$ref "${ref}" points to nothing in this schema` });
  }
  try {
    new Validator(schema as Schema, draftOf(schema));
  } catch (err) {
    errors.push({ path, message: `not a usable JSON Schema (${(err as Error).message})` });
  }
  for (const pattern of schemaPatterns(schema)) {
    const compiled = linearPattern(pattern.source);
    if (typeof compiled === "string") errors.push({ path: [...path, ...pattern.path], message: compiled });
  }
}

/** Whether a `#/a/b` JSON pointer (RFC 6901) names something inside `schema`; `#` alone is the schema itself. */
function resolvesLocally(schema: object, ref: string): boolean {
  if (ref === "#") return true;
  if (!ref.startsWith("#/")) return true; // `#anchor` forms are left to the validator
  let node: unknown = schema;
  for (const raw of ref.slice(2).split("/")) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (!node || typeof node !== "object" || !Object.hasOwn(node, key)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

function draftOf(schema: unknown): Draft {
  const declared = schema && typeof schema === "object" ? (schema as { $schema?: unknown }).$schema : undefined;
  if (typeof declared !== "string") return "2020-12";
  if (declared.includes("draft-04")) return "4";
  if (declared.includes("draft-06") || declared.includes("draft-07")) return "7";
  if (declared.includes("2019-09")) return "2019-09";
  return "2020-12";
}

export interface ModelValidator {
  validate(instance: unknown): { valid: boolean; error: string };
}

/**
 * A validator for one model, with every other model of the bundle registered for references. Every pattern of the
 * bundle's models is compiled here for the linear engine (a reference can reach any model); one it cannot run —
 * only in a bundle written before patterns were checked — throws, so the route answers 500, never a backtracking
 * match.
 */
export function buildModelValidator(models: Record<string, JsonSchema>, name: string, maxPatternInput: number): ModelValidator {
  const schema = models[name];
  const validator = new Validator(schema as Schema, draftOf(schema), true);
  for (const [other, otherSchema] of Object.entries(models))
    if (typeof otherSchema === "object") validator.addSchema(otherSchema as Schema, MODEL_BASE + other);
  const patterns = new Map<string, LinearPattern>();
  for (const [model, modelSchema] of Object.entries(models))
    for (const { source } of schemaPatterns(modelSchema)) {
      const compiled = linearPattern(source);
      if (typeof compiled === "string") throw new Error(`model ${model}: pattern ${JSON.stringify(source)} ${compiled}`);
      patterns.set(source, compiled);
    }
  return {
    validate(instance) {
      let result: ReturnType<Validator["validate"]>;
      try {
        result = patterns.size ? withLinearRegExp(patterns, maxPatternInput, () => validator.validate(instance)) : validator.validate(instance);
      } catch (err) {
        if (err instanceof PatternInputTooLong) return { valid: false, error: `[a string longer than ${maxPatternInput} characters met a pattern]` };
        throw err;
      }
      if (result.valid) return { valid: true, error: "" };
      // Amazon's $context.error.validationErrorString: the first failures, for logs and custom gateway responses.
      const error = result.errors
        .slice(0, 3)
        .map((e) => `${e.instanceLocation}: ${e.error}`)
        .join("; ");
      return { valid: false, error: `[${error}]` };
    },
  };
}
