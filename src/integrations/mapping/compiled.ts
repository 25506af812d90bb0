/**
 * A route's mapping made ready to serve, once per bundle: templates compiled, selection patterns compiled (RE2:
 * linear time, anchored to the whole string as Amazon's Java `matches()` is), parameter expressions parsed.
 * The bundle was checked when it was compiled, so a failure here means a bundle written by another version:
 * it is reported and the route answers 500 rather than guessing.
 */
import type { RE2JS } from "re2js";
import { linearJavaPattern } from "../../security/linear-regex.ts";
import type { BundleIntegration, BundleMapping } from "../../config/bundle-integrations.ts";
import type { Flavor } from "../../config/types.ts";
import type { ContentHandling, PassthroughBehavior } from "../../config/integration-types.ts";
import { compileTemplate, type CompiledTemplate } from "../../templates/index.ts";
import {
  parseHttpKey,
  parseHttpValue,
  parseResponseTarget,
  parseRestSource,
  parseRestTarget,
  type HttpKey,
  type HttpPart,
  type Parsed,
  type RestTarget,
  type Source,
} from "../../templates/expressions.ts";

export interface CompiledResponse {
  /** null: the default response. */
  pattern: RE2JS | null;
  statusCode: number;
  templates: [string, CompiledTemplate][];
  parameters: { header: string; source: Source }[];
  contentHandling: ContentHandling | null;
}

export interface CompiledMapping {
  /** `full`: templates and integration responses apply (http, mock, service custom, aws, queue, workflow); `params`: parameters only (proxies). */
  kind: "full" | "params";
  flavor: Flavor;
  /** The integration type, for the header rules that differ by type. */
  integration: BundleIntegration["type"];
  templates: [string, CompiledTemplate][];
  passthrough: PassthroughBehavior;
  contentHandling: ContentHandling | null;
  restParameters: { target: RestTarget; source: Source }[];
  httpParameters: { key: HttpKey; value: HttpPart[] }[];
  /** null: none configured (the integration's answer passes through). */
  responses: CompiledResponse[] | null;
  httpResponseParameters: Map<string, { key: HttpKey; value: HttpPart[] }[]>;
}

export class MappingCompileError extends Error {}

function ok<T>(result: Parsed<T>, what: string): T {
  if ("error" in result) throw new MappingCompileError(`${what}: ${result.error}`);
  return result.ok;
}

function templates(list: [string, string][], where: string): [string, CompiledTemplate][] {
  return list.map(([type, text]) => {
    const result = compileTemplate(text);
    if ("problems" in result) throw new MappingCompileError(`${where} template for ${type}: ${result.problems[0]!.message}`);
    return [type, result.template];
  });
}

function selectionPattern(source: string): RE2JS {
  const compiled = linearJavaPattern(source);
  if (typeof compiled === "string") throw new MappingCompileError(`selection pattern ${source}: ${compiled}`);
  return compiled;
}

/** Compiles an integration's mapping; null when the integration has none and is a proxy (nothing to do). */
export function compileMapping(spec: BundleIntegration, flavor: Flavor): CompiledMapping | null {
  const full =
    spec.type === "http" ||
    spec.type === "mock" ||
    (spec.type === "service" && spec.payloadFormat === "custom") ||
    (spec.type === "aws" && spec.subtype === null) ||
    spec.type === "queue" ||
    spec.type === "workflow";
  const mapping: BundleMapping | null = spec.mapping;
  if (!mapping && !full) return null;
  const m: BundleMapping = mapping ?? {
    requestTemplates: [],
    passthroughBehavior: "WHEN_NO_MATCH",
    contentHandling: null,
    requestParameters: [],
    responses: null,
    responseParametersByStatus: [],
  };
  const httpStyle = flavor === "http";
  return {
    kind: full ? "full" : "params",
    flavor,
    integration: spec.type,
    templates: templates(m.requestTemplates, "request"),
    passthrough: m.passthroughBehavior,
    contentHandling: m.contentHandling,
    restParameters: httpStyle
      ? []
      : m.requestParameters.map(([target, source]) => ({ target: ok(parseRestTarget(target), target), source: ok(parseRestSource(source, "request"), target) })),
    httpParameters: httpStyle
      ? m.requestParameters.map(([key, value]) => ({ key: ok(parseHttpKey(key, "request"), key), value: ok(parseHttpValue(value, "request"), key) }))
      : [],
    responses: m.responses
      ? m.responses.map((r) => ({
          pattern: r.pattern === null ? null : selectionPattern(r.pattern),
          statusCode: r.statusCode,
          templates: templates(r.responseTemplates, `response ${r.statusCode}`),
          parameters: r.responseParameters.map(([target, source]) => ({ header: ok(parseResponseTarget(target), target), source: ok(parseRestSource(source, "response"), target) })),
          contentHandling: r.contentHandling,
        }))
      : null,
    httpResponseParameters: new Map(
      m.responseParametersByStatus.map(([status, params]) => [status, params.map(([key, value]) => ({ key: ok(parseHttpKey(key, "response"), key), value: ok(parseHttpValue(value, "response"), key) }))]),
    ),
  };
}
