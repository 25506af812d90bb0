/**
 * `x-amazon-apigateway-gateway-responses` → `gatewayResponses`: the status, the headers (`gatewayresponse.header.X`
 * from a literal, `context.x` or `stageVariables.x`, which Portico substitutes as Amazon does) and the body
 * template (the `application/json` one, else the first, its content type kept).
 */
import { isObject } from "../field-errors.ts";
import { GATEWAY_RESPONSE_TYPES, type GatewayResponseDefinition, type GatewayResponseType } from "../types.ts";
import type { Issues, JsonPath } from "./issues.ts";

const OVERRIDABLE = new Set<string>(GATEWAY_RESPONSE_TYPES.filter((t) => t !== "INVALID_PATH" && t !== "STAGE_NOT_FOUND"));

export function convertGatewayResponses(value: unknown, at: JsonPath, issues: Issues): Partial<Record<GatewayResponseType, GatewayResponseDefinition>> | undefined {
  if (!isObject(value)) return undefined;
  const out: Partial<Record<GatewayResponseType, GatewayResponseDefinition>> = {};
  for (const [type, r] of Object.entries(value)) {
    const here = [...at, type];
    if (!OVERRIDABLE.has(type)) {
      issues.warn(here, type === "WAF_FILTERED" ? "not carried over: Portico has no WAF (Cloudflare's WAF answers before the Worker)" : `not carried over: Portico raises no ${type} response`);
      continue;
    }
    if (!isObject(r)) continue;
    const response: GatewayResponseDefinition = {};
    if (r.statusCode !== undefined) {
      const status = Number(r.statusCode);
      if (Number.isInteger(status) && status >= 100 && status <= 599) response.status = status;
      else issues.error([...here, "statusCode"], "must be a status code");
    }
    const headers: Record<string, string> = {};
    if (isObject(r.responseParameters))
      for (const [key, source] of Object.entries(r.responseParameters)) {
        const name = /^gatewayresponse\.header\.(.+)$/.exec(key)?.[1];
        const value = typeof source === "string" ? headerValue(source) : undefined;
        if (!name) issues.warn([...here, "responseParameters", key], "not carried over: gateway responses map headers (gatewayresponse.header.<name>)");
        else if (value === undefined)
          issues.warn([...here, "responseParameters", key], `not carried over: ${String(source)} — a gateway response's header takes a 'literal', context.<name> or stageVariables.<name>`);
        else headers[name] = value;
      }
    if (Object.keys(headers).length) response.headers = headers;
    if (isObject(r.responseTemplates)) {
      const entries = Object.entries(r.responseTemplates).filter(([, t]) => typeof t === "string") as [string, string][];
      const [type, body] = entries.find(([t]) => t.toLowerCase() === "application/json") ?? entries[0] ?? [];
      if (body !== undefined) {
        response.body = body;
        if (type && type.toLowerCase() !== "application/json" && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) response.headers = { ...response.headers, "content-type": type };
      }
      for (const [other] of entries)
        if (other !== type) issues.warn([...here, "responseTemplates", other], `not carried over: Portico answers gateway errors with one body (${type})`);
    }
    for (const key of Object.keys(r))
      if (!["statusCode", "responseParameters", "responseTemplates"].includes(key)) issues.warn([...here, key], "not carried over: a field Portico does not know");
    out[type as GatewayResponseType] = response;
  }
  return Object.keys(out).length ? out : undefined;
}

/** `'literal'` → literal; `context.x` → `$context.x`; `stageVariables.x` → `$stageVariables.x`; anything else: undefined. */
function headerValue(source: string): string | undefined {
  const literal = /^'(.*)'$/s.exec(source);
  if (literal) return literal[1]!;
  if (/^(context|stageVariables)\.[A-Za-z0-9._-]+$/.test(source)) return `$${source}`;
  return undefined;
}
