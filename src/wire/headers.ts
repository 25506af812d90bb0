/**
 * Header hygiene shared by the proxying integrations: hop-by-hop headers (RFC 9110 §7.6.1) belong to one
 * connection and are never forwarded, in either direction; neither are the headers a Connection header names.
 * On the way in, what a client may never send a backend or an authorizer (Portico's namespace, aliases of the
 * headers the gateway sets, other gateways' internal headers) is decided by `security/client-headers.ts`.
 */
import { DEFAULT_HEADER_POLICY, dropsClientHeader, type ClientHeaderPolicy } from "../security/client-headers.ts";

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Request headers the platform sets or that describe the client's hop to Cloudflare. (The gateway's own control
 * headers, `x-portico-*`, go with the rest of its namespace: client-headers.ts.)
 */
export const NOT_FORWARDED = new Set(["host", "content-length", "cf-connecting-ip", "cf-ipcountry", "cf-ray", "cf-visitor", "cf-worker", "x-real-ip"]);

/**
 * The end-to-end headers of `from`: hop-by-hop ones, those in `drop` and those named in Connection removed, in
 * `into` — a copy of `from` to change in place (by default a new one). The copy is the runtime's own (Set-Cookie
 * lines stay separate); the names present are walked once, and only the few that must go are deleted — deleting
 * every listed name blindly, or copying header by header in JavaScript, each cost more.
 */
export function endToEndHeaders(from: Headers, drop: ReadonlySet<string> = HOP_BY_HOP, into: Headers = new Headers(from)): Headers {
  let named: string | null = null;
  for (const name of from.keys()) {
    if (name === "connection") named = from.get(name);
    if (HOP_BY_HOP.has(name) || drop.has(name)) into.delete(name);
  }
  if (named) deleteNamed(named, into);
  return into;
}

/** Deletes the headers a Connection header names. */
function deleteNamed(connection: string, into: Headers): void {
  // Only valid header names: `Connection: close,` or a stray space must not make delete() throw.
  for (const token of connection.split(",")) {
    const name = token.trim().toLowerCase();
    if (TOKEN.test(name)) into.delete(name);
  }
}

/**
 * A backend's response as the client gets it: status, status text, headers and the body still streaming, with
 * hop-by-hop headers removed. One native copy (`new Response(body, res)`) changed in place: a second copy of the
 * headers costs more than the rest of a proxied response.
 */
export function proxiedResponse(res: Response): Response {
  const out = new Response(res.body, res);
  endToEndHeaders(res.headers, HOP_BY_HOP, out.headers);
  return out;
}

/** Request headers never sent to a backend, beyond hop-by-hop ones: the platform's, Set-Cookie. */
const NOT_SENT = new Set([...NOT_FORWARDED, "set-cookie"]);
/** What an alias must not stand in for either: hop-by-hop and platform names. */
const PLATFORM = new Set([...HOP_BY_HOP, ...NOT_SENT]);

/**
 * The names `clientRequestHeaders` drops by name: hop-by-hop and platform ones plus `extra` — for an integration
 * that never carries more of the client's headers on (Amazon's rules for HTTP_PROXY and Lambda events). Built once
 * per module, so the extra names cost nothing per request and are filtered in the same single pass (aliases of them
 * included).
 */
export function droppedWith(extra: Iterable<string>): ReadonlySet<string> {
  return new Set([...PLATFORM, ...extra]);
}

/**
 * The client's request headers a backend or an authorizer may see, in `into` (a copy of them to change in place;
 * by default a new one): hop-by-hop, platform (or `dropped`: see droppedWith) and Connection-named headers
 * removed, and whatever `policy` says a client may not send. One pass over the names present, as
 * `endToEndHeaders`.
 */
export function clientRequestHeaders(
  from: Headers,
  policy: ClientHeaderPolicy = DEFAULT_HEADER_POLICY,
  into: Headers = new Headers(from),
  dropped: ReadonlySet<string> = PLATFORM,
): Headers {
  let named: string | null = null;
  for (const name of from.keys()) {
    if (name === "connection") named = from.get(name);
    if (dropped.has(name) || dropsClientHeader(name, policy, dropped)) into.delete(name);
  }
  if (named) deleteNamed(named, into);
  return into;
}

/**
 * Headers to send a backend: the client's headers as `clientRequestHeaders` leaves them (with `dropped`), plus
 * X-Forwarded-For/-Proto/-Port/-Host. `into` is a copy of the client's headers to change in place — the headers
 * of a Request built from them (one native copy for the whole subrequest), or by default a new one.
 */
export function forwardedRequestHeaders(
  request: Request,
  url: URL,
  clientIp: string,
  policy: ClientHeaderPolicy = DEFAULT_HEADER_POLICY,
  into: Headers = new Headers(request.headers),
  dropped: ReadonlySet<string> = PLATFORM,
): Headers {
  clientRequestHeaders(request.headers, policy, into, dropped);
  // Amazon appends the caller to any X-Forwarded-For it was given; the backend decides whether to trust it.
  const prior = request.headers.get("x-forwarded-for");
  if (clientIp) into.set("x-forwarded-for", prior ? `${prior}, ${clientIp}` : clientIp);
  into.set("x-forwarded-proto", url.protocol === "https:" ? "https" : "http");
  into.set("x-forwarded-port", url.port || (url.protocol === "https:" ? "443" : "80"));
  into.set("x-forwarded-host", url.host);
  return into;
}

/** Headers the pipeline decided the backend gets (identity claims): set, or removed when the value is null. */
export function applyBackendHeaders(headers: Headers, backendHeaders: readonly [string, string | null][]): void {
  for (const [name, value] of backendHeaders) {
    if (value === null) headers.delete(name);
    else headers.set(name, value.replace(/[\r\n\0]/g, " "));
  }
}

/**
 * Headers the gateway sets on a WebSocket route's backend request (http, http_proxy, raw service): the connection's
 * facts. In Portico's namespace, so a client's copies — and their aliases — are dropped before any integration
 * (security/client-headers.ts); listed as gateway-set too (deploy/compiled-route.ts). Set in websocket/invoke.ts.
 */
export const CONNECTION_HEADERS = ["x-portico-connection-id", "x-portico-route-key", "x-portico-event-type", "x-portico-message-id"] as const;
