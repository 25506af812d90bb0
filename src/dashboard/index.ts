/**
 * The dashboard, served by the Worker under the admin prefix: `/_portico/` (the page), `dashboard.js` and
 * `dashboard.css` (from the Worker's own bundle: nothing is fetched from anywhere else), and the sign-in endpoint
 * `POST|DELETE /_portico/session` (session.ts). The page and its assets are public — they hold no data; every number
 * comes from the admin API, which needs the session or the bearer token.
 *
 * Every dashboard response carries a strict Content-Security-Policy: `default-src 'self'`, no inline script or
 * style, no framing (`frame-ancestors 'none'`, X-Frame-Options DENY), no form posts elsewhere.
 */
import type { Context, Hono } from "hono";
import type { Env } from "../env.ts";
import { constantTimeEqual } from "../security/constant-time.ts";
import { AdminError, readJsonObject } from "../admin/http.ts";
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

const secure = (c: Context) => new URL(c.req.url).protocol === "https:";

/** The page itself, at `<prefix>/` (app.ts mounts it: a sub-app cannot match its own prefix with the slash). */
export const dashboardPage = (): Response => asset(DASHBOARD_HTML, "text/html; charset=utf-8");

/** Routes that need no token: the assets and the sign-in itself. Registered before the admin API's token check. */
export function dashboardRoutes(app: Hono<{ Bindings: Env }>, prefix: string): void {
  // `<prefix>` without the slash: one canonical address for the page.
  app.get("/", (c) => c.redirect(`${prefix}/`, 301));
  app.get("/dashboard.js", () => asset(DASHBOARD_JS, "text/javascript; charset=utf-8"));
  app.get("/dashboard.css", () => asset(DASHBOARD_CSS, "text/css; charset=utf-8"));

  app.post("/session", async (c) => {
    const token = c.env.ADMIN_TOKEN;
    if (!token) throw new AdminError(503, "The admin API is disabled: no ADMIN_TOKEN secret is configured.");
    const body = await readJsonObject(c.req.raw);
    const given = typeof body.token === "string" ? body.token : "";
    if (!constantTimeEqual(given, token)) throw new AdminError(401, "Unauthorized: that is not the admin token");
    return new Response(JSON.stringify({ ok: true }), {
      headers: { "content-type": "application/json", "set-cookie": sessionCookie(await newSession(token), secure(c)), "cache-control": "no-store", ...SECURITY_HEADERS },
    });
  });

  app.delete("/session", (c) =>
    new Response(JSON.stringify({ ok: true }), { headers: { "content-type": "application/json", "set-cookie": clearedCookie(secure(c)), "cache-control": "no-store" } }),
  );
}

/**
 * Whether a request is authenticated by a dashboard session: the cookie made with this admin token, and the
 * dashboard's header (which a cross-site form or image cannot send).
 */
export async function hasDashboardSession(request: Request, token: string): Promise<boolean> {
  if (request.headers.get(DASHBOARD_HEADER) !== "1") return false;
  const cookie = request.headers.get("cookie");
  if (!cookie) return false;
  const value = cookie.split(";").map((p) => p.trim()).find((p) => p.startsWith(`${SESSION_COOKIE}=`))?.slice(SESSION_COOKIE.length + 1);
  return validSession(value, token);
}
