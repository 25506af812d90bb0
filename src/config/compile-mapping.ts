/**
 * The mapping fields of integrations (Amazon's non-proxy model): every template compiled, every selection pattern
 * compiled, every parameter expression parsed — errors with their field path, and a template's own line and
 * column — and the bundle's form built (lists in definition order, since a canonical bundle sorts object keys).
 */
import { linearJavaPattern } from "../security/linear-regex.ts";
import { compileTemplate } from "../templates/index.ts";
import { parseHttpKey, parseHttpValue, parseResponseTarget, parseRestSource, parseRestTarget } from "../templates/expressions.ts";
import type { BundleIntegrationResponse, BundleMapping } from "./bundle-integrations.ts";
import { type FieldError, isObject } from "./field-errors.ts";
import type { Flavor } from "./types.ts";
import type { IntegrationDefinition, IntegrationResponseDefinition, MappingDefinition } from "./integration-types.ts";

type Path = (string | number)[];

/** Longest selection pattern: operator config, compiled once, but kept small. */
const MAX_PATTERN_CHARS = 1024;

/** Path parameters an integration maps (`integration.request.path.<name>`): its URI may use them. */
export function mappedPathParameters(integration: IntegrationDefinition): string[] {
  const params = (integration as MappingDefinition).requestParameters;
  if (!isObject(params)) return [];
  return Object.keys(params).flatMap((k) => {
    const m = /^integration\.request\.path\.(.+)$/.exec(k);
    return m ? [m[1]!] : [];
  });
}

/** Checks an integration's mapping fields; `params` are the route's path parameters. */
export function checkMapping(integration: IntegrationDefinition, flavor: Flavor, params: string[], at: Path, errors: FieldError[]): void {
  const def = integration as MappingDefinition & { type: string; payloadFormat?: string; responseParameters?: unknown; subtype?: string };
  // A subtype's requestParameters are its named parameters (compile-integrations.ts checks them).
  if (integration.type === "aws" && def.subtype !== undefined) return;
  const proxy = integration.type === "http_proxy" || (integration.type === "service" && def.payloadFormat !== "custom");
  const mapped = ["requestTemplates", "passthroughBehavior", "contentHandling", "responses"] as const;
  if (proxy)
    for (const field of mapped)
      if (def[field] !== undefined) {
        const why = integration.type === "service" ? "payloadFormat custom (Amazon's Lambda custom integration)" : "the http integration (non-proxy)";
        errors.push({ path: [...at, field], message: `proxy integrations pass requests and responses through unmapped; use ${why}` });
      }
  if (isObject(def.requestTemplates)) checkTemplates(def.requestTemplates, [...at, "requestTemplates"], errors);
  if (isObject(def.requestParameters)) {
    if (flavor === "http" && integration.type === "http_proxy") checkHttpParameters(def.requestParameters, "request", [...at, "requestParameters"], errors);
    else if (flavor === "http") errors.push({ path: [...at, "requestParameters"], message: "HTTP APIs map parameters on http_proxy integrations only" });
    else checkRestRequestParameters(def.requestParameters, params, [...at, "requestParameters"], errors);
  }
  if (def.responseParameters !== undefined && flavor !== "http")
    errors.push({ path: [...at, "responseParameters"], message: "is the HTTP flavour's mapping; on REST APIs map response headers in `responses`" });
  else if (isObject(def.responseParameters))
    for (const [status, mapping] of Object.entries(def.responseParameters))
      if (isObject(mapping)) checkHttpParameters(mapping as Record<string, unknown>, "response", [...at, "responseParameters", status], errors);
  if (isObject(def.responses)) checkResponses(def.responses, [...at, "responses"], errors);
}

function checkTemplates(templates: Record<string, unknown>, at: Path, errors: FieldError[]): void {
  for (const [contentType, text] of Object.entries(templates)) {
    if (typeof text !== "string") continue;
    const result = compileTemplate(text);
    if ("problems" in result)
      for (const p of result.problems) errors.push({ path: [...at, contentType], message: `line ${p.line}, column ${p.column}: ${p.message}` });
  }
}

function checkResponses(responses: Record<string, unknown>, at: Path, errors: FieldError[]): void {
  for (const [pattern, response] of Object.entries(responses)) {
    const here = [...at, pattern];
    if (pattern !== "default") {
      if (pattern === "") errors.push({ path: here, message: "an empty selection pattern is the default response: name it `default`" });
      else if (pattern.length > MAX_PATTERN_CHARS) errors.push({ path: here, message: `selection pattern longer than ${MAX_PATTERN_CHARS} characters` });
      else {
        const problem = patternProblem(pattern);
        if (problem) errors.push({ path: here, message: `selection pattern does not compile: ${problem}` });
      }
    }
    if (!isObject(response)) continue;
    const r = response as unknown as IntegrationResponseDefinition;
    if (isObject(r.responseTemplates)) checkTemplates(r.responseTemplates, [...here, "responseTemplates"], errors);
    if (isObject(r.responseParameters))
      for (const [target, source] of Object.entries(r.responseParameters)) {
        const t = parseResponseTarget(target);
        if ("error" in t) errors.push({ path: [...here, "responseParameters", target], message: t.error });
        if (typeof source !== "string") continue;
        const s = parseRestSource(source, "response");
        if ("error" in s) errors.push({ path: [...here, "responseParameters", target], message: s.error });
      }
  }
}

/** Why a selection pattern does not compile (RE2 syntax), or null. */
export function patternProblem(pattern: string): string | null {
  const compiled = linearJavaPattern(pattern);
  return typeof compiled === "string" ? compiled : null;
}

function checkRestRequestParameters(params: Record<string, unknown>, routeParams: string[], at: Path, errors: FieldError[]): void {
  for (const [target, source] of Object.entries(params)) {
    const here = [...at, target];
    const t = parseRestTarget(target);
    if ("error" in t) errors.push({ path: here, message: t.error });
    if (typeof source !== "string") continue;
    const s = parseRestSource(source, "request");
    if ("error" in s) errors.push({ path: here, message: s.error });
    else if (s.ok.kind === "param" && s.ok.location === "path" && !routeParams.includes(s.ok.name))
      errors.push({ path: here, message: `{${s.ok.name}} is not a path parameter of this route` });
  }
}

function checkHttpParameters(params: Record<string, unknown>, side: "request" | "response", at: Path, errors: FieldError[]): void {
  for (const [key, value] of Object.entries(params)) {
    const here = [...at, key];
    const k = parseHttpKey(key, side);
    if ("error" in k) errors.push({ path: here, message: k.error });
    if (typeof value !== "string") continue;
    const v = parseHttpValue(value, side);
    if ("error" in v) errors.push({ path: here, message: v.error });
    else if ("ok" in k && k.ok.location === "statuscode" && !/^[2-5][0-9][0-9]$/.test(value.trim()) && v.ok.every((p) => typeof p === "string"))
      errors.push({ path: here, message: "must be a status code from 200 to 599" });
  }
}

const entries = (record: Record<string, string> | undefined): [string, string][] => Object.entries(record ?? {});

/** The bundle's form of an integration's mapping; null when it maps nothing. */
export function buildMapping(integration: IntegrationDefinition): BundleMapping | null {
  const def = integration as MappingDefinition & { responseParameters?: Record<string, Record<string, string>> };
  const any =
    def.requestTemplates || def.passthroughBehavior || def.contentHandling || def.requestParameters || def.responses || def.responseParameters;
  if (!any) return null;
  return {
    requestTemplates: entries(def.requestTemplates).map(([type, text]) => [type.toLowerCase(), text]),
    passthroughBehavior: def.passthroughBehavior ?? "WHEN_NO_MATCH",
    contentHandling: def.contentHandling ?? null,
    requestParameters: entries(def.requestParameters),
    responses: def.responses ? Object.entries(def.responses).map(([pattern, r]) => buildResponse(pattern, r)) : null,
    responseParametersByStatus: Object.entries(def.responseParameters ?? {}).map(([status, m]) => [status, entries(m)]),
  };
}

function buildResponse(pattern: string, r: IntegrationResponseDefinition): BundleIntegrationResponse {
  return {
    pattern: pattern === "default" ? null : pattern,
    statusCode: Number(r.statusCode),
    responseTemplates: entries(r.responseTemplates).map(([type, text]) => [type.toLowerCase(), text]),
    responseParameters: entries(r.responseParameters),
    contentHandling: r.contentHandling ?? null,
  };
}
