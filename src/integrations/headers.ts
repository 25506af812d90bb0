/**
 * Header hygiene shared by the proxying integrations: hop-by-hop headers (RFC 9110 §7.6.1) belong to one
 * connection and are never forwarded, in either direction; neither are the headers a Connection header names.
 */
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
 * Request headers the platform sets or that describe the client's hop to Cloudflare, and the gateway's own
 * control headers (secrets meant for the gateway: never for a backend or an authorizer).
 */
export const NOT_FORWARDED = new Set([
  "host",
  "content-length",
  "cf-connecting-ip",
  "cf-ipcountry",
  "cf-ray",
  "cf-visitor",
  "cf-worker",
  "x-real-ip",
  "x-portico-force-version",
  "x-portico-force-secret",
  "x-portico-cache-invalidate",
]);

/**
 * The end-to-end headers of `from`: hop-by-hop ones and those named in Connection removed. The copy is the
 * runtime's own (Set-Cookie lines stay separate); the names present are walked once, and only the few that must
 * go are deleted — deleting every listed name blindly, or copying header by header in JavaScript, each cost more
 * than the rest of a proxied request.
 */
export function endToEndHeaders(from: Headers, drop: ReadonlySet<string> = HOP_BY_HOP): Headers {
  const out = new Headers(from);
  let named: string | null = null;
  for (const name of from.keys()) {
    if (name === "connection") named = from.get(name);
    if (HOP_BY_HOP.has(name) || drop.has(name)) out.delete(name);
  }
  // Only valid header names: `Connection: close,` or a stray space must not make delete() throw.
  if (named)
    for (const token of named.split(",")) {
      const name = token.trim().toLowerCase();
      if (TOKEN.test(name) && out.has(name)) out.delete(name);
    }
  return out;
}

/** Headers to send a backend: the client's end-to-end headers plus X-Forwarded-For/-Proto/-Port/-Host. */
export function forwardedRequestHeaders(request: Request, url: URL, clientIp: string): Headers {
  const headers = endToEndHeaders(request.headers, NOT_FORWARDED);
  headers.delete("set-cookie");
  // Amazon appends the caller to any X-Forwarded-For it was given; the backend decides whether to trust it.
  const prior = request.headers.get("x-forwarded-for");
  if (clientIp) headers.set("x-forwarded-for", prior ? `${prior}, ${clientIp}` : clientIp);
  headers.set("x-forwarded-proto", url.protocol.replace(":", ""));
  headers.set("x-forwarded-port", url.port || (url.protocol === "https:" ? "443" : "80"));
  headers.set("x-forwarded-host", url.host);
  return headers;
}

/** Headers the pipeline decided the backend gets (identity claims): set, or removed when the value is null. */
export function applyBackendHeaders(headers: Headers, backendHeaders: readonly [string, string | null][]): void {
  for (const [name, value] of backendHeaders) {
    if (value === null) headers.delete(name);
    else headers.set(name, value.replace(/[\r\n\0]/g, " "));
  }
}
