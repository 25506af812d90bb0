/**
 * The admin origin (PORTICO_ADMIN_HOST): the one host the dashboard and cookie-authenticated admin requests are served
 * on, and which serves nothing of the data plane. Kept apart from every API host because a browser sends a cookie
 * to any page of its origin: were the dashboard's session accepted on an API host, a script served through the
 * gateway there (a backend's XSS, an R2 object served as HTML, a mock echoing input) could drive the admin API with
 * the signed-in operator's cookie. The bearer-token admin API stays on every host: a token is never ambient.
 *
 * The value is a host name (`admin.example.com`), matched on any port, or `host:port`, matched on that port only;
 * case-insensitive, no scheme, path or wildcard. docs/security.md#the-admin-origin.
 */
import type { Env } from "../env.ts";

export interface AdminHost {
  /** Lower-cased host name. */
  name: string;
  /** The port it must be reached on, when the value named one. */
  port?: string;
  /** A name that only ever resolves to this machine: the session cookie may go without `Secure` (http). */
  loopback: boolean;
}

const HOST = /^(?<name>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?|\[[0-9a-f:.]+\])(?::(?<port>\d{1,5}))?$/;

let memo: { raw: string | undefined; host: AdminHost | null | "invalid" } | undefined;

/**
 * The configured admin host; null when unset, "invalid" when set to something that is not a host (the dashboard then
 * says so). Parsed once per value, not per request.
 */
export function adminHostOf(env: Env): AdminHost | null | "invalid" {
  const raw = typeof env.PORTICO_ADMIN_HOST === "string" ? env.PORTICO_ADMIN_HOST : undefined;
  if (!memo || memo.raw !== raw) memo = { raw, host: parse(raw) };
  return memo.host;
}

function parse(raw: string | undefined): AdminHost | null | "invalid" {
  const value = raw?.trim().toLowerCase();
  if (!value) return null;
  const m = HOST.exec(value);
  if (!m?.groups) return "invalid";
  const name = m.groups.name!;
  return { name, ...(m.groups.port ? { port: m.groups.port } : {}), loopback: isLoopbackName(name) };
}

/** `localhost`, `*.localhost` (RFC 6761: always loopback), 127.0.0.0/8 and [::1]. */
export function isLoopbackName(name: string): boolean {
  return name === "localhost" || name.endsWith(".localhost") || /^127(?:\.\d{1,3}){3}$/.test(name) || name === "[::1]";
}

/** Whether a request was addressed to the admin host (its URL's host, which is the Host header the Worker got). */
export function onAdminHost(url: URL, host: AdminHost | null | "invalid"): host is AdminHost {
  if (!host || host === "invalid") return false;
  return url.hostname.toLowerCase() === host.name && (host.port === undefined || url.port === host.port);
}

export const NO_ADMIN_HOST_MESSAGE =
  "The dashboard is disabled: no PORTICO_ADMIN_HOST is configured. Set it (a var in wrangler.toml) to a host name that " +
  "routes to this Worker and serves no API, e.g. admin.example.com; the dashboard is then at https://<that host>/_portico/. " +
  "`portico dev` sets admin.localhost.";

export const INVALID_ADMIN_HOST_MESSAGE = "The dashboard is disabled: PORTICO_ADMIN_HOST must be a host name or host:port, without scheme or path.";

export const NOT_ADMIN_HOST_MESSAGE = "The dashboard is not served on this host: open it on the admin host (PORTICO_ADMIN_HOST).";
