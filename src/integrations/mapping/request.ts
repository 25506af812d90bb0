/**
 * Request mapping (Amazon's integration request): which request template applies (by Content-Type; none means
 * `application/json`), the passthrough behaviour (415 when the body may not pass), the content conversion, the
 * rendered body, the parameter mapping, and the overrides a template set in `$context.requestOverride`.
 * The result is the IntegrationRequest the integration sends; nothing here talks to a backend.
 */
import type { Bundle } from "../../config/bundle.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import { InputObject, TemplateLimitError, TemplateRuntimeError, evaluateJsonPath, javaString, toJson } from "../../templates/index.ts";
import type { HttpKey, HttpPart, Source } from "../../templates/expressions.ts";
import { bytesToBase64 } from "../../templates/util.ts";
import { matchesMediaType, mediaType } from "../../wire/media-types.ts";
import { convertIn, convertOut, ConversionError } from "./binary.ts";
import type { CompiledMapping } from "./compiled.ts";
import type { ContextMap, IntegrationRequest, MethodParams } from "../../pipeline/integration-request.ts";
import { buildContext, contextValue } from "./context.ts";
import { inputParams, methodParams } from "./params.ts";

/**
 * Headers whose mapping Amazon refuses at run time with 500 (recorded: rest-headers-*-map-*-500), by integration
 * kind. Other framing and hop-by-hop headers are dropped silently when mapped on HTTP integrations (recorded).
 */
const FORBIDDEN: Record<"http" | "custom" | "proxy", ReadonlySet<string>> = {
  http: new Set(["content-length", "transfer-encoding"]),
  custom: new Set(["content-length", "expect", "te", "transfer-encoding"]),
  proxy: new Set(["authorization", "connection", "content-length", "expect", "te", "transfer-encoding"]),
};

/** Mapped headers an HTTP backend never receives (recorded: sent by Amazon's mapping, absent at the backend). */
export const NEVER_SENT = new Set(["connection", "expect", "proxy-authenticate", "te", "via", "keep-alive", "host"]);

export function templateFailure(err: unknown, where: string): GatewayError {
  if (err instanceof TemplateLimitError || err instanceof TemplateRuntimeError || err instanceof ConversionError)
    return new GatewayError("API_CONFIGURATION_ERROR", { detail: `${where}: ${err.message}` });
  throw err;
}

/** Maps the method request; throws 415 for a body the passthrough behaviour refuses, 500 for a mapping that fails. */
export async function mapRequest(ctx: RequestContext, m: CompiledMapping, bundle: Bundle): Promise<IntegrationRequest> {
  const params = methodParams(ctx);
  const context = buildContext(ctx);
  const out: IntegrationRequest = {
    body: null,
    templated: false,
    contentType: ctx.request.headers.get("content-type"),
    headers: [],
    operations: [],
    query: [],
    pathParams: { ...ctx.pathParams },
    context,
    stageVariables: new Map(Object.entries(ctx.stageVariables)),
    params,
    asynchronous: false,
  };
  let bodyText: string | null = null;
  const readText = async (): Promise<string> => {
    if (bodyText === null) {
      const bytes = await ctx.readBody();
      bodyText = bytes ? new TextDecoder().decode(bytes) : "";
    }
    return bodyText;
  };

  if (m.kind === "full") {
    const type = mediaType(out.contentType) || "application/json";
    const template = m.templates.find(([t]) => t === type)?.[1];
    if (!template && (m.passthrough === "NEVER" || (m.passthrough === "WHEN_NO_TEMPLATES" && m.templates.length > 0)))
      throw new GatewayError("UNSUPPORTED_MEDIA_TYPE", { detail: `no request template for ${type} (passthroughBehavior ${m.passthrough})` });
    const bytes = (await ctx.readBody()) ?? new Uint8Array();
    const types = bundle.settings.binaryMediaTypes;
    const payload = convertIn(bytes, matchesMediaType(out.contentType, types), types.length > 0, m.contentHandling, true);
    try {
      if (template) {
        const text = payload.binary ? bytesToBase64(payload.bytes) : payload.text;
        bodyText = text;
        out.body = convertOut(template.render({ input: new InputObject(text, inputParams(params)), context, stageVariables: out.stageVariables }), m.contentHandling, false);
        out.templated = true;
        out.contentType ??= "application/json";
      } else if (bytes.byteLength > 0) out.body = payload.binary ? payload.bytes : convertOut(payload.text, m.contentHandling, false);
    } catch (err) {
      throw templateFailure(err, "request mapping");
    }
  }

  const kind = m.integration === "http" || m.integration === "http_proxy" ? "http" : m.kind === "full" ? "custom" : "proxy";
  for (const { target, source } of m.restParameters) {
    if (target.location === "header" && FORBIDDEN[kind].has(target.name.toLowerCase()))
      throw new GatewayError("API_CONFIGURATION_ERROR", { detail: `mapping the ${target.name} header is not allowed` });
    const values = await sourceValues(source, params, context, ctx, readText);
    if (values === null) continue;
    if (target.location === "header") {
      if (target.name.toLowerCase() === "x-amz-invocation-type") out.asynchronous = values.join(",") === "Event";
      out.headers.push([target.name.toLowerCase(), headerValue(values.join(","))]);
    } else if (target.location === "querystring") for (const v of values) out.query.push([target.name, v]);
    else out.pathParams[target.name] = values.join(",");
  }
  for (const { key, value } of m.httpParameters) out.operations.push({ key, value: await httpValue(value, params, context, ctx, readText) });
  if (m.kind === "full") applyRequestOverrides(out, context);
  return out;
}

/** A header value with the characters no header may hold replaced (a value can come from a client's JSON body). */
export const headerValue = (v: string): string => v.replace(/[\r\n\0]/g, " ");

async function sourceValues(source: Source, params: MethodParams, context: ContextMap, ctx: RequestContext, readText: () => Promise<string>): Promise<string[] | null> {
  switch (source.kind) {
    case "literal":
      return [source.value];
    case "stageVariable": {
      const v = ctx.stageVariables[source.name];
      return v === undefined ? null : [v];
    }
    case "context": {
      const v = contextValue(context, source.name);
      return v === null ? null : [v];
    }
    case "param": {
      if (source.location === "path") {
        const v = params.path[source.name];
        return v === undefined ? null : [v];
      }
      if (source.location === "querystring") {
        const values = params.query.get(source.name);
        if (!values) return null;
        return source.multi ? values : [values[values.length - 1]!];
      }
      const v = params.header.get(source.name.toLowerCase());
      return v === undefined ? null : [v];
    }
    case "body": {
      const text = await readText();
      if (!source.path) return [text];
      const input = new InputObject(text, { path: new Map(), querystring: new Map(), header: new Map() });
      const found = evaluateJsonPath(source.path, input.document());
      if (!found.found || found.value === null) return null;
      return [typeof found.value === "string" ? found.value : found.value instanceof Map || Array.isArray(found.value) ? toJson(found.value) : javaString(found.value)];
    }
  }
}

async function httpValue(parts: HttpPart[], params: MethodParams, context: ContextMap, ctx: RequestContext, readText: () => Promise<string>): Promise<string> {
  return headerValue(await httpText(parts, params, context, ctx, readText));
}

/**
 * HTTP-flavour values rendered for this request as text (not single-lined: an AWS subtype's parameters are body
 * fields, a MessageBody may hold newlines).
 */
export async function renderHttpValues(ctx: RequestContext, values: HttpPart[][]): Promise<string[]> {
  const params = methodParams(ctx);
  const context = buildContext(ctx);
  let bodyText: string | null = null;
  const readText = async (): Promise<string> => {
    if (bodyText === null) {
      const bytes = await ctx.readBody();
      bodyText = bytes ? new TextDecoder().decode(bytes) : "";
    }
    return bodyText;
  };
  const out: string[] = [];
  for (const parts of values) out.push(await httpText(parts, params, context, ctx, readText));
  return out;
}

async function httpText(parts: HttpPart[], params: MethodParams, context: ContextMap, ctx: RequestContext, readText: () => Promise<string>): Promise<string> {
  let out = "";
  for (const part of parts) {
    if (typeof part === "string") out += part;
    else if (part.kind === "path") out += ctx.path;
    else if (part.kind === "body") out += ((await sourceValues({ kind: "body", path: part.path }, params, context, ctx, readText)) ?? []).join(",");
    else if (part.kind === "header") out += params.header.get(part.name.toLowerCase()) ?? "";
    else if (part.kind === "querystring") out += (params.query.get(part.name) ?? []).join(",");
    else if (part.kind === "pathParam") out += params.path[part.name] ?? "";
    else if (part.kind === "stageVariable") out += ctx.stageVariables[part.name] ?? "";
    else out += contextValue(context, part.name) ?? "";
  }
  return out;
}

/** `$context.requestOverride.header|querystring|path.<name>` set by the request template win over the mapping. */
function applyRequestOverrides(out: IntegrationRequest, context: ContextMap): void {
  const overrides = context.get("requestOverride");
  if (!(overrides instanceof Map)) return;
  const section = (name: string): [string, unknown][] => {
    const s = overrides.get(name);
    return s instanceof Map ? [...s.entries()] : [];
  };
  for (const [name, value] of section("header"))
    if (value !== null && value !== undefined) {
      if (FORBIDDEN.http.has(name.toLowerCase())) throw new GatewayError("API_CONFIGURATION_ERROR", { detail: `overriding the ${name} header is not allowed` });
      out.headers.push([name.toLowerCase(), headerValue(Array.isArray(value) ? value.map(javaString).join(",") : javaString(value))]);
    }
  const query = section("querystring");
  if (query.length) {
    const names = new Set(query.map(([k]) => k));
    out.query = out.query.filter(([k]) => !names.has(k));
    for (const [name, value] of query)
      if (value !== null && value !== undefined) for (const v of Array.isArray(value) ? value : [value]) out.query.push([name, javaString(v)]);
  }
  for (const [name, value] of section("path")) if (value !== null && value !== undefined) out.pathParams[name] = javaString(value);
}
