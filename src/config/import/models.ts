/**
 * Request models: an export's schemas (`definitions` in Swagger 2, `components.schemas` in OpenAPI 3) become
 * Portico models, JSON Schema draft 4 as on Amazon, with every `$ref` rewritten: to a whole schema → `#/models/Name`;
 * into a schema (`#/definitions/Pet/properties/id`) → the target copied inline; Amazon's own model URLs are kept
 * (Portico reads them). A `$ref` that leads nowhere, or outside the document, is an error at its JSON path, and
 * whatever validates with it is not carried over.
 */
import { isObject } from "../field-errors.ts";
import type { JsonSchema } from "../types.ts";
import type { Issues, JsonPath } from "./issues.ts";

export const DRAFT_04 = "http://json-schema.org/draft-04/schema#";
/** A Portico export marks a model that had no `$schema` (Portico's default draft, not Amazon's draft 4). */
export const PORTICO_DEFAULT_DRAFT = "x-portico-default-draft";
const AMAZON_MODEL = /^https:\/\/apigateway\.amazonaws\.com\/restapis\/[^/]+\/models\/[A-Za-z0-9]+$/;
const MAX_INLINE_DEPTH = 32;

export interface ModelSet {
  models: Record<string, JsonSchema>;
  /** Source schema name → model name (names are alphanumeric in Portico, as on Amazon). */
  names: Map<string, string>;
  /** Where the schemas live in the document: `definitions` or `components.schemas`. */
  at: JsonPath;
}

/** The document's schemas as models. */
export function convertModels(doc: Record<string, unknown>, issues: Issues): ModelSet {
  const at: JsonPath = doc.swagger !== undefined ? ["definitions"] : ["components", "schemas"];
  const source = (at.length === 1 ? doc.definitions : isObject(doc.components) ? doc.components.schemas : undefined) as Record<string, unknown> | undefined;
  const set: ModelSet = { models: {}, names: new Map(), at };
  if (!isObject(source)) return set;
  const taken = new Set<string>();
  for (const name of Object.keys(source)) {
    let safe = name.replace(/[^A-Za-z0-9]/g, "").slice(0, 64) || "Model";
    for (let n = 2; taken.has(safe); n++) safe = `${safe.slice(0, 60)}${n}`;
    taken.add(safe);
    set.names.set(name, safe);
    if (safe !== name) issues.warn([...at, name], `model names are alphanumeric (as on Amazon): imported as ${safe}`);
  }
  for (const [name, schema] of Object.entries(source)) {
    if (!isObject(schema) && typeof schema !== "boolean") {
      issues.error([...at, name], "a model must be a JSON Schema object");
      continue;
    }
    const rewritten = rewriteRefs(schema, doc, set, [...at, name], issues);
    if (rewritten !== undefined) set.models[set.names.get(name)!] = withDraft(rewritten);
  }
  return set;
}

/** Amazon's models are draft 4: say so, unless the schema names its draft (or a Portico export kept the default). */
export function withDraft(schema: JsonSchema): JsonSchema {
  if (!isObject(schema)) return schema;
  if (schema[PORTICO_DEFAULT_DRAFT] === true) {
    const { [PORTICO_DEFAULT_DRAFT]: _, ...rest } = schema;
    return rest;
  }
  return typeof schema.$schema === "string" ? schema : { $schema: DRAFT_04, ...schema };
}

/**
 * A copy of `schema` with its `$ref`s rewritten for Portico; undefined (and an error at the reference's path) when
 * one cannot be resolved.
 */
export function rewriteRefs(schema: unknown, doc: Record<string, unknown>, set: ModelSet, path: JsonPath, issues: Issues, depth = 0): JsonSchema | undefined {
  let failed = false;
  const visit = (node: unknown, here: JsonPath): unknown => {
    if (Array.isArray(node)) return node.map((n, i) => visit(n, [...here, i]));
    if (!isObject(node)) return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key !== "$ref" || typeof value !== "string") {
        out[key] = visit(value, [...here, key]);
        continue;
      }
      const target = refTarget(value, doc, set);
      if ("model" in target) out.$ref = `#/models/${target.model}`;
      else if ("keep" in target) out.$ref = value;
      else if ("inline" in target) {
        if (depth >= MAX_INLINE_DEPTH) {
          issues.error([...here, "$ref"], `${value}: references nest deeper than ${MAX_INLINE_DEPTH} (a cycle through a part of a schema)`);
          failed = true;
          continue;
        }
        const inlined = rewriteRefs(target.inline, doc, set, [...here, "$ref"], issues, depth + 1);
        if (inlined === undefined) failed = true;
        else if (isObject(inlined)) Object.assign(out, inlined);
      } else {
        issues.error([...here, "$ref"], target.error);
        failed = true;
      }
    }
    return out;
  };
  const result = visit(schema, path);
  return failed ? undefined : (result as JsonSchema);
}

type RefTarget = { model: string } | { keep: true } | { inline: unknown } | { error: string };

function refTarget(ref: string, doc: Record<string, unknown>, set: ModelSet): RefTarget {
  if (AMAZON_MODEL.test(ref) || /^#\/models\/[A-Za-z0-9]+$/.test(ref)) return { keep: true };
  if (!ref.startsWith("#/")) return { error: `${ref}: only references inside this document are followed (remote references are never fetched)` };
  const parts = ref.slice(2).split("/").map((p) => decodeURIComponent(p).replace(/~1/g, "/").replace(/~0/g, "~"));
  const prefix = set.at.length;
  const inModels = parts.length > prefix && set.at.every((p, i) => parts[i] === p);
  if (inModels && parts.length === prefix + 1) {
    const model = set.names.get(parts[prefix]!);
    return model ? { model } : { error: `${ref} points to nothing: there is no schema "${parts[prefix]}"` };
  }
  let node: unknown = doc;
  for (const part of parts) {
    if (!isObject(node) && !Array.isArray(node)) return { error: `${ref} points to nothing in this document` };
    if (!Object.hasOwn(node as object, part)) return { error: `${ref} points to nothing in this document` };
    node = (node as Record<string, unknown>)[part];
  }
  return { inline: node };
}

/** A schema used by a route: a model's name when it is exactly a `$ref` to one, else the inline schema rewritten. */
export function routeSchema(schema: unknown, doc: Record<string, unknown>, set: ModelSet, path: JsonPath, issues: Issues): string | Record<string, unknown> | undefined {
  if (isObject(schema) && Object.keys(schema).length === 1 && typeof schema.$ref === "string") {
    const target = refTarget(schema.$ref, doc, set);
    // A model that failed to convert has its own error; the route that uses it is not carried either.
    if ("model" in target) return Object.hasOwn(set.models, target.model) ? target.model : undefined;
    if ("keep" in target) {
      const name = /models\/([A-Za-z0-9]+)$/.exec(schema.$ref)![1]!;
      if (Object.hasOwn(set.models, name)) return name;
    }
  }
  const rewritten = rewriteRefs(schema, doc, set, path, issues);
  if (rewritten === undefined) return undefined;
  return isObject(rewritten) ? (withDraft(rewritten) as Record<string, unknown>) : undefined;
}
