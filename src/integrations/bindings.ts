/**
 * The Cloudflare bindings an integration names (a queue producer, an R2 bucket, a Workflow): looked up by name at
 * request time, since a bundle only holds names. A Worker without the binding — or with something else under that
 * name — is a configuration error (500, Amazon's body): never a silent success. `portico validate` checks the names
 * against wrangler.toml first.
 */
import { GatewayError } from "../pipeline/gateway-responses.ts";
import type { RequestContext } from "../pipeline/context.ts";

/** The binding `name`, when it has the method that kind of binding has (`send`, `get`, `create`); else a 500. */
export function bindingOf<T>(ctx: RequestContext, name: string, method: string, noun: string): T {
  const binding = ctx.env[name] as Record<string, unknown> | undefined;
  if (!binding || typeof binding[method] !== "function") throw new GatewayError("API_CONFIGURATION_ERROR", { detail: `no ${noun} binding named ${name}` });
  return binding as T;
}

/** A JSON answer of the gateway's own (the integration response of the binding integrations). */
export function jsonResponse(value: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json", ...headers } });
}

/**
 * The gateway's own JSON answer as the integration response: its bytes handed to the response mapping too, which
 * then reads them without a stream (as a mock's are).
 */
export function ownAnswer(ctx: RequestContext, value: unknown, status = 200): Response {
  const text = JSON.stringify(value);
  if (ctx.integrationRequest) ctx.integrationPayload = new TextEncoder().encode(text);
  return new Response(text, { status, headers: { "content-type": "application/json" } });
}

/** A binding call that threw: the service failed or refused, reported as Amazon reports a failed call (504). */
export function bindingFailure(name: string, err: unknown): GatewayError {
  return new GatewayError("INTEGRATION_FAILURE", { detail: `${name}: ${(err as Error)?.message ?? String(err)}` });
}
