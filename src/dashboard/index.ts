/**
 * The dashboard, served by the Worker under the admin prefix: `/_portico/` (the page), `dashboard.js` and
 * `dashboard.css` (from the Worker's own bundle: nothing is fetched from anywhere else), and the sign-in endpoint
 * `POST|DELETE /_portico/session` (session.ts). The page and its assets are public — they hold no data; every number
 * comes from the admin API, which needs the session or the bearer token.
 *
 * All of it only on the admin host (PORTICO_ADMIN_HOST, admin/admin-host.ts): elsewhere the page, the sign-in and the
 * session cookie are refused, so no page served through the gateway shares an origin with a signed-in dashboard.
 *
 * Every dashboard response carries a strict Content-Security-Policy: `default-src 'self'`, no inline script or
 * style, no framing (`frame-ancestors 'none'`, X-Frame-Options DENY), no form posts elsewhere.
 */
import type { Hono } from "hono";
import type { Env } from "../env.ts";
import { constantTimeEqual } from "../security/constant-time.ts";
import { AdminError, readJsonObject } from "../admin/http.ts";
import { adminHostOf, INVALID_ADMIN_HOST_MESSAGE, NO_ADMIN_HOST_MESSAGE, NOT_ADMIN_HOST_MESSAGE, onAdminHost, type AdminHost } from "../admin/admin-host.ts";
import { DASHBOARD_CSS } from "./assets/css.ts";
import { DASHBOARD_HTML } from "./assets/html.ts";
import { DASHBOARD_JS } from "./assets/js.ts";
import { clearedCookie, DASHBOARD_HEADER, newSession, SESSION_COOKIE, sessionCookie, validSession } from "./session.ts";

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

function asset(body: string, type: string): Response {
  return new Response(body, { headers: { "content-type": type, "cache-control": "no-cache", ...SECURITY_HEADERS } });
}

/**
 * The admin host when `request` was addressed to it; otherwise why the dashboard is not served here (503: not
 * configured or not a host; 404: another host).
 */
function dashboardHost(request: Request, env: Env): AdminHost | AdminError {
  const host = adminHostOf(env);
  if (host === null) return new AdminError(503, NO_ADMIN_HOST_MESSAGE);
  if (host === "invalid") return new AdminError(503, INVALID_ADMIN_HOST_MESSAGE);
  return onAdminHost(new URL(request.url), host) ? host : new AdminError(404, NOT_ADMIN_HOST_MESSAGE);
}

/** The session cookie is `Secure` unless the admin host is a loopback name (`portico dev` on http://admin.localhost). */
const secure = (host: AdminHost) => !host.loopback;

function refusal(err: AdminError): Response {
  return new Response(JSON.stringify({ message: err.message }), { status: err.status, headers: { "content-type": "application/json", "cache-control": "no-store", ...SECURITY_HEADERS } });
}

/** The page itself, at `<prefix>/` (app.ts mounts it: a sub-app cannot match its own prefix with the slash). */
export function dashboardPage(request: Request, env: Env): Response {
  const host = dashboardHost(request, env);
  return host instanceof AdminError ? refusal(host) : asset(DASHBOARD_HTML, "text/html; charset=utf-8");
}

/** Routes that need no token: the assets and the sign-in itself. Registered before the admin API's token check. */
export function dashboardRoutes(app: Hono<{ Bindings: Env }>, prefix: string): void {
  // `<prefix>` without the slash: one canonical address for the page.
  app.get("/", (c) => c.redirect(`${prefix}/`, 301));
  // Nothing of the dashboard's off the admin host: the assets and the sign-in are refused there with the reason.
  for (const path of ["/dashboard.js", "/dashboard.css", "/session"])
    app.use(path, async (c, next) => {
      const host = dashboardHost(c.req.raw, c.env);
      if (host instanceof AdminError) return refusal(host);
      await next();
    });
  app.get("/dashboard.js", () => asset(DASHBOARD_JS, "text/javascript; charset=utf-8"));
  app.get("/dashboard.css", () => asset(DASHBOARD_CSS, "text/css; charset=utf-8"));

  app.post("/session", async (c) => {
    const host = dashboardHost(c.req.raw, c.env) as AdminHost;
    const token = c.env.ADMIN_TOKEN;
    if (!token) throw new AdminError(503, "The admin API is disabled: no ADMIN_TOKEN secret is configured.");
    const body = await readJsonObject(c.req.raw);
    const given = typeof body.token === "string" ? body.token : "";
    if (!constantTimeEqual(given, token)) throw new AdminError(401, "Unauthorized: that is not the admin token");
    return new Response(JSON.stringify({ ok: true }), {
      headers: { "content-type": "application/json", "set-cookie": sessionCookie(await newSession(token), secure(host)), "cache-control": "no-store", ...SECURITY_HEADERS },
    });
  });

  app.delete("/session", (c) => {
    const host = dashboardHost(c.req.raw, c.env) as AdminHost;
    return new Response(JSON.stringify({ ok: true }), { headers: { "content-type": "application/json", "set-cookie": clearedCookie(secure(host)), "cache-control": "no-store" } });
  });
}

/**
 * Whether a request is authenticated by a dashboard session: addressed to the admin host, the cookie made with this
 * admin token, and the dashboard's header (which a cross-site form or image cannot send). A request a browser marks
 * as coming from another origin (`Origin`, `Sec-Fetch-Site`) is refused too — the header already needs a CORS
 * preflight the admin API never grants, this holds even if a proxy in front were to grant one.
 */
export async function hasDashboardSession(request: Request, env: Env, token: string): Promise<boolean> {
  if (request.headers.get(DASHBOARD_HEADER) !== "1") return false;
  const url = new URL(request.url);
  if (!onAdminHost(url, adminHostOf(env))) return false;
  const origin = request.headers.get("origin");
  if (origin !== null && origin !== url.origin) return false;
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin") return false;
  const cookie = request.headers.get("cookie");
  if (!cookie) return false;
  const value = cookie.split(";").map((p) => p.trim()).find((p) => p.startsWith(`${SESSION_COOKIE}=`))?.slice(SESSION_COOKIE.length + 1);
  return validSession(value, token);
}
