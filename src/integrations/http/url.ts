/** Backend URL and header rendering shared by the `http` and `http_proxy` integrations. */
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import { applyBackendHeaders } from "../../wire/headers.ts";
import { compileTemplate, renderTemplate, type TemplatePart } from "../template.ts";
import { classifyHost, classRefusal, isLocalDev, type HostClass } from "../../security/outbound.ts";

/**
 * Rendered URIs already checked, with their href (fragment dropped), whether it has a query, and where it points
 * (security/outbound.ts); bounded in count, and URIs longer than CHECKED_MAX_CHARS (long path parameters) are
 * parsed every time rather than held.
 */
const checked = new Map<string, { href: string; hasQuery: boolean; target: HostClass; credentials: boolean }>();
const CHECKED_MAX = 1000;
const CHECKED_MAX_CHARS = 512;

/**
 * The rendered URI as a URL, with the client's raw query string (`?a=1`, or "") appended to any query the URI has.
 * A URI that does not render to an http(s) URL (a stage variable missing, say) is a configuration error: 500,
 * with the detail only in the logs. Each rendered URI is parsed and its host classed once per isolate.
 *
 * `env` is given when the request goes over the network (not through a service binding): a URI that renders to
 * a metadata, loopback or private address, or with credentials in it, is refused the same way (500, and no
 * request to it) — a stage variable can name any host, and the definition was only checked where it was literal.
 */
export function backendUrl(rendered: string, clientSearch: string, env: Record<string, unknown> | null): string {
  let base = checked.get(rendered);
  if (!base) {
    let url: URL;
    try {
      url = new URL(rendered);
    } catch {
      throw new GatewayError("API_CONFIGURATION_ERROR", { detail: `integration URI does not render to a URL: ${rendered.split("?")[0]}` });
    }
    if (url.protocol !== "http:" && url.protocol !== "https:")
      throw new GatewayError("API_CONFIGURATION_ERROR", { detail: `integration URI is not http(s): ${url.protocol}` });
    url.hash = "";
    base = { href: url.href, hasQuery: url.href.includes("?"), target: classifyHost(url.hostname), credentials: !!(url.username || url.password) };
    if (rendered.length <= CHECKED_MAX_CHARS) {
      if (checked.size >= CHECKED_MAX) checked.clear();
      checked.set(rendered, base);
    }
  }
  if (env && (base.target !== "public" || base.credentials)) {
    const why = base.credentials ? "carries credentials (user@host)" : classRefusal(base.target, isLocalDev(env));
    if (why) throw new GatewayError("API_CONFIGURATION_ERROR", { detail: `integration URI renders to a refused target: ${why}` });
  }
  if (!clientSearch) return base.href;
  return base.href + (base.hasQuery ? "&" : "?") + clientSearch.slice(1);
}

export type HeaderTemplates = [string, TemplatePart[]][];

export function compileHeaderTemplates(headers: Record<string, string>): HeaderTemplates {
  return Object.entries(headers).map(([name, value]) => [name, compileTemplate(value)]);
}

/**
 * Sets configured headers, then the pipeline's backend headers (identity claims), which win. A configured value
 * that renders to something no header may hold is a configuration error.
 */
export function setTemplatedHeaders(headers: Headers, templates: HeaderTemplates, ctx: RequestContext): void {
  for (const [name, parts] of templates) {
    const value = renderTemplate(parts, ctx.stageVariables, ctx.pathParams);
    try {
      headers.set(name, value);
    } catch {
      throw new GatewayError("API_CONFIGURATION_ERROR", { detail: `header ${name} renders to an invalid value` });
    }
  }
  applyBackendHeaders(headers, ctx.backendHeaders);
}
