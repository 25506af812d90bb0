/**
 * HTTP APIs' response parameter mapping on HTTP_PROXY integrations (REST proxies map no response): for the
 * backend's status code, `overwrite:statuscode` and `append:` / `overwrite:` / `remove:` on headers, with values
 * from `$response.header.<name>`, `$response.body.<JSONPath>` (the body read, at most 100 KB, as Amazon truncates),
 * `$context.<name>` and `$stageVariables.<name>`. Without a mapping for the status, the response streams through.
 */
import type { RequestContext } from "../../pipeline/context.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import { InputObject, evaluateJsonPath, javaString, toJson } from "../../templates/index.ts";
import type { HttpPart } from "../../templates/expressions.ts";
import { readAtMost } from "../../util/read-bounded.ts";
import type { CompiledMapping } from "./compiled.ts";
import { contextValue } from "./context.ts";
import type { IntegrationRequest } from "../../pipeline/integration-request.ts";
import { headerValue } from "./request.ts";

/** Amazon truncates the body at 100 KB before evaluating `$response.body.<path>`. */
const BODY_FOR_PATHS = 100 * 1024;
const NULL_BODY = new Set([204, 205, 304]);

export async function mapProxyResponse(ctx: RequestContext, m: CompiledMapping, request: IntegrationRequest, res: Response): Promise<Response> {
  const params = m.httpResponseParameters.get(String(res.status));
  if (!params || params.length === 0) return res;
  const needsBody = params.some(({ value }) => value.some((p) => typeof p !== "string" && p.kind === "body"));
  let body: ReadableStream<Uint8Array> | Uint8Array | null = res.body;
  let doc: unknown = null;
  if (needsBody) {
    const bytes = await readAtMost(res.body, ctx.maxBodyBytes);
    if (!bytes) throw new GatewayError("DEFAULT_5XX", { status: 502, detail: "backend response too large to map" });
    body = bytes;
    doc = new InputObject(new TextDecoder().decode(bytes.subarray(0, BODY_FOR_PATHS)), { path: new Map(), querystring: new Map(), header: new Map() }).document();
  }
  const headers = new Headers(res.headers);
  let status = res.status;
  const value = (parts: HttpPart[]): string => {
    let out = "";
    for (const p of parts) {
      if (typeof p === "string") out += p;
      else if (p.kind === "header") out += res.headers.get(p.name) ?? "";
      else if (p.kind === "stageVariable") out += ctx.stageVariables[p.name] ?? "";
      else if (p.kind === "context") out += contextValue(request.context, p.name) ?? "";
      else if (p.kind === "body") {
        const found = p.path ? evaluateJsonPath(p.path, doc) : { found: true as const, value: doc };
        if (found.found && found.value !== null) out += typeof found.value === "string" ? found.value : found.value instanceof Map || Array.isArray(found.value) ? toJson(found.value) : javaString(found.value);
      }
    }
    return headerValue(out);
  };
  for (const { key, value: parts } of params) {
    if (key.location === "statuscode") {
      const n = Number(value(parts).trim());
      if (!Number.isInteger(n) || n < 200 || n > 599) throw new GatewayError("API_CONFIGURATION_ERROR", { detail: "overwrite:statuscode is not a status code" });
      status = n;
    } else if (key.action === "remove") headers.delete(key.name);
    else if (key.action === "append") headers.append(key.name, value(parts));
    else headers.set(key.name, value(parts));
  }
  return new Response(NULL_BODY.has(status) || ctx.request.method === "HEAD" ? null : body, { status, headers });
}
