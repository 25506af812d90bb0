/**
 * The dashboard's sign-in: the admin token, typed into a form, is posted once to `POST /_portico/session`, which
 * answers with an HttpOnly, SameSite=Strict cookie scoped to `/_portico` — never the token itself, and never in a
 * URL. The cookie holds an expiry and an HMAC of it keyed by the admin token, so it can be checked without storage,
 * dies with the token (rotating ADMIN_TOKEN signs everyone out) and cannot be forged without it.
 *
 * A request authenticated by the cookie must also carry `x-portico-dashboard: 1`: a cross-site page cannot set that
 * header without a CORS preflight, which the admin API never grants, so the cookie alone never authorises a forged
 * request (defence in depth beside SameSite=Strict).
 */
import { constantTimeEqual } from "../security/constant-time.ts";

export const SESSION_COOKIE = "portico_session";
export const DASHBOARD_HEADER = "x-portico-dashboard";
/** A sign-in lasts this long (seconds). */
export const SESSION_SECONDS = 12 * 60 * 60;

const encoder = new TextEncoder();

async function mac(token: string, expires: number): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(token), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(`portico-dashboard-session:v1:${expires}`)));
  return btoa(String.fromCharCode(...sig)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A session value for the admin token, valid until `now + SESSION_SECONDS`. */
export async function newSession(token: string, now = Date.now()): Promise<string> {
  const expires = Math.floor(now / 1000) + SESSION_SECONDS;
  return `v1.${expires}.${await mac(token, expires)}`;
}

/** Whether a session value was made with this admin token and has not expired. */
export async function validSession(value: string | undefined, token: string, now = Date.now()): Promise<boolean> {
  const m = /^v1\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value ?? "");
  if (!m) return false;
  const expires = Number(m[1]);
  if (expires * 1000 <= now || expires * 1000 > now + SESSION_SECONDS * 1000 + 60_000) return false;
  return constantTimeEqual(m[2]!, await mac(token, expires));
}

/** The Set-Cookie value for a session (Secure on https; http only on a developer's loopback). */
export function sessionCookie(value: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/_portico; HttpOnly; SameSite=Strict; Max-Age=${SESSION_SECONDS}${secure ? "; Secure" : ""}`;
}

export function clearedCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/_portico; HttpOnly; SameSite=Strict; Max-Age=0${secure ? "; Secure" : ""}`;
}
