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

/** Request headers the platform sets or that describe the client's hop to Cloudflare, not to the backend. */
const NOT_FORWARDED = new Set(["host", "content-length", "cf-connecting-ip", "cf-ipcountry", "cf-ray", "cf-visitor", "cf-worker", "x-real-ip"]);

/** The end-to-end headers of `from`: hop-by-hop ones and those named in Connection removed. */
export function endToEndHeaders(from: Headers, drop: ReadonlySet<string> = HOP_BY_HOP): Headers {
  const named = from.get("connection");
  const alsoDrop = named ? new Set(named.toLowerCase().split(",").map((s) => s.trim())) : undefined;
  const out = new Headers();
  for (const [name, value] of from) {
    if (drop.has(name) || HOP_BY_HOP.has(name) || alsoDrop?.has(name)) continue;
    if (name === "set-cookie") continue; // copied one by one below: never comma-joined
    out.append(name, value);
  }
  for (const cookie of from.getSetCookie()) out.append("set-cookie", cookie);
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
