/**
 * Sending a request to a backend, shared by every integration: over the network or through a service binding,
 * with the per-integration timeout, and with failures turned into Amazon's responses. Redirects are passed
 * back to the client, never followed.
 */
import { GatewayError } from "../pipeline/gateway-responses.ts";
import type { RequestContext } from "../pipeline/context.ts";
import { propagateTrace } from "../observability/request-trace.ts";

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

/** Why a race against the timeout was lost (compared by identity, never shown). */
const TIMED_OUT = new Error("integration timeout");

/**
 * The backend request for `out`: GET and HEAD without a body, redirects not followed, and a streamed body cut off
 * at the limit abandoning it (context.ts).
 */
export function outboundRequest(ctx: RequestContext, out: Omit<Outbound, "headers"> & { headers: HeadersInit }): Request {
  const bodyless = out.method === "GET" || out.method === "HEAD";
  const init: RequestInit = { method: out.method, headers: out.headers, body: bodyless ? null : out.body, redirect: "manual" };
  if (ctx.bodyLimitSignal) init.signal = ctx.bodyLimitSignal;
  return new Request(out.url, init);
}

/**
 * Sends `out` (or a request built by `outboundRequest`) and returns the backend's response once its headers
 * arrive (the body still streaming). `signed`: the request is signed (SigV4) and its headers are final — its
 * integration set the trace before signing (aws/index.ts), and nothing may change a header after.
 */
export async function sendToBackend(ctx: RequestContext, out: Outbound | Request, timeoutMs: number, service: string | null, signed = false): Promise<Response> {
  const target = service ? serviceBinding(ctx, service) : null;
  const request = out instanceof Request ? out : outboundRequest(ctx, out);
  // Every backend request carries the trace, the gateway as its parent (replacing whatever the client sent).
  if (!signed) propagateTrace(ctx, request.headers);
  if (ctx.explain) ctx.explain.integration = { type: ctx.route?.integrationType ?? "", target: describe(request.url, service) };
  const started = performance.now();
  // The timeout covers the wait for the response's headers only: a race, cleared once they arrive, so a body that
  // streams for longer is never cut. It passes no AbortSignal to fetch (in workerd a signal on a subrequest costs
  // more CPU than the rest of the transport): a backend that lost the race is abandoned with the request, since a
  // Worker's unfinished subrequests are cancelled when the request that made them ends.
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(TIMED_OUT), timeoutMs);
  });
  try {
    const res = await Promise.race([target ? target.fetch(request) : fetch(request), timeout]);
    if (ctx.bodyOverLimit) {
      // The backend answered a body cut off at the limit: its answer is about a request the client never sent.
      await res.body?.cancel();
      throw new GatewayError("REQUEST_TOO_LARGE");
    }
    if (res.status < 200 || res.status > 599) {
      // A final status no client can be given (600+, a bare 1xx: `100 Continue` with nothing after it, or a 101
      // to a request that asked for no upgrade — the gateway never forwards Upgrade): the backend broke HTTP.
      await res.body?.cancel().catch(() => {});
      throw new GatewayError("DEFAULT_5XX", { status: 502, detail: `${describe(request.url, service)} answered status ${res.status}` });
    }
    ctx.integrationStatus = res.status;
    if (ctx.explain?.integration) ctx.explain.integration.status = res.status;
    return res;
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    if (ctx.bodyOverLimit) throw new GatewayError("REQUEST_TOO_LARGE");
    if (err === TIMED_OUT) throw new GatewayError("INTEGRATION_TIMEOUT", { detail: `no response from ${describe(request.url, service)} in ${timeoutMs} ms` });
    throw new GatewayError("INTEGRATION_FAILURE", { detail: `${describe(request.url, service)}: ${(err as Error).message}` });
  } finally {
    clearTimeout(timer);
    ctx.integrationLatencyMs = performance.now() - started;
    if (ctx.explain?.integration) ctx.explain.integration.latencyMs = ctx.integrationLatencyMs;
  }
}

/** The backend for logs: origin and path only, since query strings can carry credentials. */
export function describe(url: string, service: string | null): string {
  const { origin, pathname } = new URL(url);
  return service ? `service ${service} (${pathname})` : origin + pathname;
}
