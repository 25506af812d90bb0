/**
 * Request validation as Amazon does it (`x-amazon-apigateway-request-validators` and `-request-validator`): the
 * required headers and query strings, and the JSON body's model, of methods whose validator asks for them.
 */
import { isObject } from "../field-errors.ts";
import type { ValidateDefinition } from "../types.ts";
import type { Issues, JsonPath } from "./issues.ts";
import { routeSchema, type ModelSet } from "./models.ts";
import { resolveLocal } from "./refs.ts";

export interface ValidationContext {
  doc: Record<string, unknown>;
  issues: Issues;
  models: ModelSet;
}

/**
 * Request validation as Amazon does it: only with a request validator (the operation's
 * `x-amazon-apigateway-request-validator`, else the document's), whose `validateRequestParameters` checks the
 * required headers and query strings and `validateRequestBody` the JSON body's model. undefined: it cannot be
 * carried (the route is then left out, never served unvalidated).
 */
export function validationOf(op: Record<string, unknown>, item: Record<string, unknown>, opAt: JsonPath, ctx: ValidationContext): { validate?: ValidateDefinition } | undefined {
  const { doc, issues } = ctx;
  const name = op["x-amazon-apigateway-request-validator"] ?? doc["x-amazon-apigateway-request-validator"];
  if (name === undefined) return {};
  const nameAt = op["x-amazon-apigateway-request-validator"] !== undefined ? [...opAt, "x-amazon-apigateway-request-validator"] : ["x-amazon-apigateway-request-validator"];
  const validators = isObject(doc["x-amazon-apigateway-request-validators"]) ? doc["x-amazon-apigateway-request-validators"] : {};
  const validator = typeof name === "string" ? validators[name] : undefined;
  if (!isObject(validator)) {
    issues.error(nameAt, `no request validator ${JSON.stringify(name)} in x-amazon-apigateway-request-validators: the route is not carried over`);
    return undefined;
  }
  const validate: ValidateDefinition = {};
  if (validator.validateRequestParameters === true) {
    const headers: string[] = [];
    const query: string[] = [];
    for (const p of parameters(op, item, opAt, ctx)) {
      if (p.required !== true || typeof p.name !== "string") continue;
      if (p.in === "header") headers.push(p.name);
      else if (p.in === "query") query.push(p.name);
    }
    if (headers.length) validate.headers = headers;
    if (query.length) validate.query = query;
  }
  if (validator.validateRequestBody === true) {
    const body = bodySchema(op, opAt, ctx);
    if (body === null) return undefined;
    if (body) validate.body = body;
  }
  return Object.keys(validate).length ? { validate } : {};
}

/** The operation's parameters over its path item's (same name and place: the operation's wins), `$ref`s followed. */
function parameters(op: Record<string, unknown>, item: Record<string, unknown>, opAt: JsonPath, ctx: ValidationContext): Record<string, unknown>[] {
  const byKey = new Map<string, Record<string, unknown>>();
  const add = (list: unknown, at: JsonPath) => {
    if (!Array.isArray(list)) return;
    list.forEach((raw, i) => {
      const p = resolveLocal(raw, ctx.doc);
      if (!isObject(p)) {
        ctx.issues.error([...at, i], isObject(raw) && typeof raw.$ref === "string" ? `${raw.$ref} points to nothing in this document` : "not a parameter");
        return;
      }
      byKey.set(`${p.in}:${String(p.name).toLowerCase()}`, p);
    });
  };
  add(item.parameters, opAt.slice(0, 2).concat("parameters"));
  add(op.parameters, [...opAt, "parameters"]);
  return [...byKey.values()];
}

/** The JSON body's schema (a model name or an inline schema); undefined: none; null: one that cannot be carried. */
function bodySchema(op: Record<string, unknown>, opAt: JsonPath, ctx: ValidationContext): string | Record<string, unknown> | undefined | null {
  const { doc, issues } = ctx;
  if (doc.swagger !== undefined) {
    const list = Array.isArray(op.parameters) ? op.parameters : [];
    const index = list.findIndex((p) => isObject(resolveLocal(p, doc)) && (resolveLocal(p, doc) as Record<string, unknown>).in === "body");
    if (index < 0) return undefined;
    const schema = (resolveLocal(list[index], doc) as Record<string, unknown>).schema;
    if (schema === undefined) return undefined;
    return routeSchema(schema, doc, ctx.models, [...opAt, "parameters", index, "schema"], issues) ?? null;
  }
  const body = resolveLocal(op.requestBody, doc);
  if (!isObject(body) || !isObject(body.content)) return undefined;
  const content = body.content as Record<string, unknown>;
  const json = Object.keys(content).find((t) => /^application\/(?:[\w.+-]+\+)?json$/i.test(t));
  for (const other of Object.keys(content))
    if (other !== json && isObject(content[other]) && (content[other] as Record<string, unknown>).schema !== undefined)
      issues.warn([...opAt, "requestBody", "content", other], "not carried over: Portico validates JSON bodies (and answers 415 to other content types on a validated route)");
  if (!json || !isObject(content[json]) || (content[json] as Record<string, unknown>).schema === undefined) return undefined;
  return routeSchema((content[json] as Record<string, unknown>).schema, doc, ctx.models, [...opAt, "requestBody", "content", json, "schema"], issues) ?? null;
}
