/**
 * Sending a request to a backend, shared by every integration: over the network or through a service binding,
 * with the per-integration timeout, and with failures turned into Amazon's responses. Redirects are passed
 * back to the client, never followed.
 */
import { GatewayError } from "../pipeline/gateway-responses.ts";
import type { RequestContext } from "../pipeline/context.ts";

export interface Outbound {
  url: string;
  method: string;
  headers: Headers;
  body: ReadableStream<Uint8Array> | Uint8Array | string | null;
}

/** The service binding named by an integration, or a 500 when the Worker has no such binding. */
export function serviceBinding(ctx: RequestContext, name: string): Fetcher {
  const binding = ctx.env[name] as Fetcher | undefined;
  if (!binding || typeof binding.fetch !== "function")
    throw new GatewayError("API_CONFIGURATION_ERROR", { detail: `no service binding named ${name}` });
  return binding;
}

/** Sends `out` and returns the backend's response once its headers arrive (the body still streaming). */
export async function sendToBackend(ctx: RequestContext, out: Outbound, timeoutMs: number, service: string | null): Promise<Response> {
  const target = service ? serviceBinding(ctx, service) : null;
  // The timeout covers the wait for the response's headers only: its timer is cleared once they arrive, so a
  // body that streams for longer is never cut (an AbortSignal.timeout would abort the body too).
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const started = performance.now();
  const bodyless = out.method === "GET" || out.method === "HEAD";
  const init: RequestInit = {
    method: out.method,
    headers: out.headers,
    body: bodyless ? null : out.body,
    redirect: "manual",
    signal: ctx.bodyLimitSignal ? AbortSignal.any([controller.signal, ctx.bodyLimitSignal]) : controller.signal,
  };
  try {
    const res = await (target ? target.fetch(out.url, init) : fetch(out.url, init));
    if (ctx.bodyOverLimit) {
      // The backend answered a body cut off at the limit: its answer is about a request the client never sent.
      await res.body?.cancel();
      throw new GatewayError("REQUEST_TOO_LARGE");
    }
    return res;
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    if (ctx.bodyOverLimit) throw new GatewayError("REQUEST_TOO_LARGE");
    if (timedOut) throw new GatewayError("INTEGRATION_TIMEOUT", { detail: `no response from ${describe(out.url, service)} in ${timeoutMs} ms` });
    throw new GatewayError("INTEGRATION_FAILURE", { detail: `${describe(out.url, service)}: ${(err as Error).message}` });
  } finally {
    clearTimeout(timer);
    ctx.integrationLatencyMs = performance.now() - started;
  }
}

/** The backend for logs: origin and path only, since query strings can carry credentials. */
function describe(url: string, service: string | null): string {
  const { origin, pathname } = new URL(url);
  return service ? `service ${service} (${pathname})` : origin + pathname;
}
