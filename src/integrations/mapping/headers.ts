/**
 * Amazon's header rules for HTTP integrations (recorded: the `headers` cases), in one place:
 *
 * - response headers a mapping sets, or an HTTP_PROXY backend sends, whose names Amazon reserves come back renamed
 *   `x-amzn-Remapped-<Name>` (Authorization, Connection, Content-Length, Content-MD5, Date, Expect, Host,
 *   Max-Forwards, Proxy-Authenticate, Server, Trailer, Upgrade, User-Agent, WWW-Authenticate, and the backend's own
 *   request id); Transfer-Encoding is dropped;
 * - client headers an HTTP_PROXY request never carries on (Connection, Content-MD5, Expect, Max-Forwards,
 *   Proxy-Authenticate, Server, TE, Trailer, Transfer-Encoding, Upgrade, Via, WWW-Authenticate; Content-Encoding of
 *   a request without a body).
 */

/** Response header names Amazon renames `x-amzn-Remapped-<Name>` (the spelling kept as recorded). */
const REMAPPED: ReadonlyMap<string, string> = new Map(
  ["Authorization", "Connection", "Content-Length", "Content-MD5", "Date", "Expect", "Host", "Max-Forwards", "Proxy-Authenticate", "Server", "Trailer", "Upgrade", "User-Agent", "WWW-Authenticate"].map((n) => [n.toLowerCase(), n]),
);

/** Sets a mapped response header as Amazon does: reserved names renamed, Transfer-Encoding dropped. */
export function mappedResponseHeader(headers: Headers, name: string, value: string): void {
  const lower = name.toLowerCase();
  if (lower === "transfer-encoding") return;
  const reserved = REMAPPED.get(lower);
  headers.set(reserved ? `x-amzn-Remapped-${reserved}` : name, value);
}

/**
 * A proxied backend response's headers with Amazon's renames applied in place: the reserved names, and the
 * gateway's own request-id header (a backend's `x-amzn-RequestId` must not pass for the gateway's).
 */
export function remapBackendHeaders(headers: Headers, requestIdHeader: string): void {
  const requestId = requestIdHeader.toLowerCase();
  const moves: [string, string][] = [];
  for (const name of headers.keys()) {
    // Content-Length describes the body the client gets too: the runtime sets it again from the body.
    const reserved = REMAPPED.get(name);
    if (reserved && reserved !== "Authorization" && reserved !== "Expect" && reserved !== "Host") moves.push([name, `x-amzn-Remapped-${reserved}`]);
    else if (name === requestId) moves.push([name, `x-amzn-Remapped-${requestIdHeader}`]);
  }
  for (const [from, to] of moves) {
    const value = headers.get(from);
    if (value !== null) headers.set(to, value);
    if (from !== "content-length") headers.delete(from);
  }
}

/** Client headers an HTTP_PROXY request never carries to the backend (recorded: rest-headers-http-proxy-no-mapping). */
export const PROXY_DROPPED = new Set([
  "content-md5",
  "expect",
  "max-forwards",
  "proxy-authenticate",
  "server",
  "trailer",
  "upgrade",
  "via",
  "www-authenticate",
]);
