/**
 * Response mapping (Amazon's integration responses): the response whose selection pattern matches — the backend
 * status for HTTP and mock integrations, the error message for a Lambda-style handler that threw (a result that
 * returned is matched as an empty message, so only `.*`-like patterns and `default` take it) — then its content
 * conversion, response template (by the client's first Accept type; `application/json` without one; else the first
 * template), response parameters, and the overrides a template set in `$context.responseOverride`.
 */
import type { Bundle } from "../../config/bundle.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import { InputObject, evaluateJsonPath, javaString, parseJson, toJson } from "../../templates/index.ts";
import type { Source } from "../../templates/expressions.ts";
import { readAtMost } from "../../util/read-bounded.ts";
import { acceptsBinary, firstAcceptType, matchesMediaType } from "../../wire/media-types.ts";
import { convertIn, convertOut } from "./binary.ts";
import type { CompiledMapping, CompiledResponse } from "./compiled.ts";
import { contextValue } from "./context.ts";
import { mappedResponseHeader } from "./headers.ts";
import { inputParams } from "./params.ts";
import type { IntegrationRequest } from "../../pipeline/integration-request.ts";
import { headerValue, templateFailure } from "./request.ts";

/** What the integration answered, before mapping. */
export interface IntegrationResult {
  response: Response;
  /** A Lambda-style handler's errorMessage when it threw; null when it returned (or for other integrations). */
  errorMessage: string | null;
  /** True for Lambda-style results: selection patterns see the error message, not the status. */
  lambda: boolean;
  /** The body's bytes when the integration has them at hand (a mock's): no stream to read. */
  payload?: Uint8Array;
}

const NULL_BODY = new Set([204, 205, 304]);

export async function mapResponse(ctx: RequestContext, m: CompiledMapping, request: IntegrationRequest, result: IntegrationResult, bundle: Bundle): Promise<Response> {
  if (!m.responses) {
    let res = m.integration === "http" || m.integration === "aws" ? statusAndBody(result.response) : result.response;
    // An integration whose request method is its own (an AWS action, a queue, a Workflow) answers HEAD with a body.
    if (ctx.request.method === "HEAD" && res.body) {
      await res.body.cancel().catch(() => {});
      res = new Response(null, { status: res.status, headers: res.headers });
    }
    const override = overridesOf(request);
    if (!override) return res;
    const status = override.status ?? res.status;
    const out = new Response(NULL_BODY.has(status) || ctx.request.method === "HEAD" ? null : res.body, { status, headers: res.headers });
    applyHeaderOverrides(out.headers, override.headers);
    return out;
  }
  const selected = select(m.responses, result);
  if (!selected) {
    await result.response.body?.cancel();
    throw new GatewayError("API_CONFIGURATION_ERROR", { detail: `no integration response matches ${describe(result)} and there is no default` });
  }
  const res = result.response;
  const bytes = result.payload ?? (await readAtMost(res.body, bundle.settings.maxBodyBytes));
  if (!bytes) throw new GatewayError("DEFAULT_5XX", { status: 502, detail: `integration response larger than ${bundle.settings.maxBodyBytes} bytes` });
  const types = bundle.settings.binaryMediaTypes;
  const accept = ctx.request.headers.get("accept");
  const wantsBinary = acceptsBinary(accept, types);
  const payload = convertIn(bytes, matchesMediaType(res.headers.get("content-type"), types), types.length > 0, selected.contentHandling, wantsBinary);
  const headers = new Headers();
  let body: string | Uint8Array;
  let contentType = res.headers.get("content-type") ?? "application/json";
  const rawText = payload.binary ? "" : payload.text;
  try {
    if (payload.binary) body = payload.bytes;
    else {
      const wanted = firstAcceptType(accept) || "application/json";
      const chosen = selected.templates.find(([t]) => t === wanted) ?? selected.templates[0];
      let text = payload.text;
      if (chosen) {
        contentType = chosen[0];
        text = chosen[1].render({ input: new InputObject(text, inputParams(request.params)), context: request.context, stageVariables: request.stageVariables });
      }
      body = convertOut(text, selected.contentHandling, wantsBinary);
    }
  } catch (err) {
    throw templateFailure(err, "response mapping");
  }
  headers.set("content-type", contentType);
  for (const { header, source } of selected.parameters) {
    const value = responseSource(source, res, rawText, result, request, ctx);
    if (value !== null) mappedResponseHeader(headers, header, headerValue(value));
  }
  const override = overridesOf(request);
  const status = override?.status ?? selected.statusCode;
  if (override) applyHeaderOverrides(headers, override.headers);
  const noBody = ctx.request.method === "HEAD" || NULL_BODY.has(status);
  return new Response(noBody ? null : body, { status, headers });
}

/** With no integration responses, an HTTP (or AWS) integration's client gets the backend's status, Content-Type and body. */
function statusAndBody(res: Response): Response {
  return new Response(res.body, { status: res.status, headers: { "content-type": res.headers.get("content-type") ?? "application/json" } });
}

function describe(result: IntegrationResult): string {
  return result.lambda ? (result.errorMessage === null ? "a returned result" : "the handler's error message") : `status ${result.response.status}`;
}

/** The first response whose pattern matches the whole selection input, else the default (null: none fits). */
function select(responses: CompiledResponse[], result: IntegrationResult): CompiledResponse | null {
  const input = result.lambda ? (result.errorMessage ?? "") : String(result.response.status);
  for (const r of responses) if (r.pattern && r.pattern.matches(input)) return r;
  return responses.find((r) => r.pattern === null) ?? null;
}

function responseSource(source: Source, res: Response, text: string, result: IntegrationResult, request: IntegrationRequest, ctx: RequestContext): string | null {
  switch (source.kind) {
    case "literal":
      return source.value;
    case "stageVariable":
      return ctx.stageVariables[source.name] ?? null;
    case "context":
      return contextValue(request.context, source.name);
    case "param":
      return res.headers.get(source.name);
    case "body": {
      if (!source.path) return text;
      let doc = new InputObject(text, { path: new Map(), querystring: new Map(), header: new Map() }).document();
      // Amazon deserialises a Lambda custom error's JSON errorMessage for body-to-header mappings.
      if (result.errorMessage !== null && doc instanceof Map && typeof doc.get("errorMessage") === "string") {
        try {
          const copy = new Map(doc as Map<string, unknown>);
          copy.set("errorMessage", parseJson(copy.get("errorMessage") as string));
          doc = copy;
        } catch {
          // Not JSON: the message stays a string.
        }
      }
      const found = evaluateJsonPath(source.path, doc);
      if (!found.found || found.value === null) return null;
      const v = found.value;
      return typeof v === "string" ? v : v instanceof Map || Array.isArray(v) ? toJson(v) : javaString(v);
    }
  }
}

/** `$context.responseOverride.status` and `.header.<name>`, set by either template, are final; null when none is set. */
function overridesOf(request: IntegrationRequest): { status: number | null; headers: Map<string, unknown> | null } | null {
  const overrides = request.context.get("responseOverride");
  if (!(overrides instanceof Map)) return null;
  const status = overrides.get("status");
  const headers = overrides.get("header");
  const hasHeaders = headers instanceof Map && headers.size > 0;
  if ((status === null || status === undefined) && !hasHeaders) return null;
  let code: number | null = null;
  if (status !== null && status !== undefined) {
    const n = Number(javaString(status));
    if (!Number.isInteger(n) || n < 200 || n > 599) throw new GatewayError("API_CONFIGURATION_ERROR", { detail: `responseOverride.status ${javaString(status)} is not a status code` });
    code = n;
  }
  return { status: code, headers: hasHeaders ? (headers as Map<string, unknown>) : null };
}

function applyHeaderOverrides(target: Headers, headers: Map<string, unknown> | null): void {
  if (headers) for (const [name, value] of headers) if (value !== null && value !== undefined) mappedResponseHeader(target, name, headerValue(javaString(value)));
}
