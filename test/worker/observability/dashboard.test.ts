/**
 * The dashboard's routes and sign-in in workerd: the page and its assets are public, carry the strict CSP and hold
 * no data; the session cookie is HttpOnly, SameSite=Strict, scoped to /_portico and never the token; the admin API
 * takes it only with the dashboard's header; a forged, expired or other-token cookie is refused.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { newSession, SESSION_SECONDS, validSession } from "../../../src/dashboard/session.ts";

const page = (path: string, init: RequestInit = {}) => SELF.fetch(`http://localhost/_portico${path}`, init);

async function signIn(): Promise<string> {
  const res = await page("/session", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: "test-admin-token" }) });
  expect(res.status).toBe(200);
  const cookie = res.headers.get("set-cookie")!;
  expect(cookie).toMatch(/^portico_session=v1\.\d+\.[A-Za-z0-9_-]{43}; Path=\/_portico; HttpOnly; SameSite=Strict; Max-Age=43200$/);
  expect(cookie).not.toContain("test-admin-token");
  return cookie.split(";")[0]!;
}

describe("the dashboard's routes", () => {
  it("serves the page, script and stylesheet without a token, each under the strict CSP, and redirects the bare prefix", async () => {
    for (const [path, type] of [["/", "text/html"], ["/dashboard.js", "text/javascript"], ["/dashboard.css", "text/css"]] as const) {
      const res = await page(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toContain(type);
      expect(res.headers.get("content-security-policy")).toBe(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
      );
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
    const html = await (await page("/")).text();
    expect(html).not.toMatch(/<script>|<style>|\sstyle=|\son[a-z]+=/i); // nothing inline for the CSP to refuse
    expect(html).not.toMatch(/https?:\/\//); // nothing from anywhere else
    const bare = await SELF.fetch("http://localhost/_portico", { redirect: "manual" });
    expect([bare.status, bare.headers.get("location")]).toEqual([301, "/_portico/"]);
  });

  it("signs in only with the admin token; the cookie works only with the dashboard's header", async () => {
    const wrong = await page("/session", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: "guess" }) });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.has("set-cookie")).toBe(false);
    const cookie = await signIn();
    expect((await page("/apis", { headers: { cookie, "x-portico-dashboard": "1" } })).status).toBe(200);
    expect((await page("/apis", { headers: { cookie } })).status).toBe(401);
    // A cookie never authorises a change on its own either (what a cross-site form post would carry).
    expect((await page("/keys", { method: "POST", headers: { cookie, "content-type": "application/json" }, body: "{}" })).status).toBe(401);
  });

  it("refuses forged, tampered, expired and other-token sessions", async () => {
    const cookie = await signIn();
    const value = cookie.slice("portico_session=".length);
    const [v, expires, mac] = value.split(".") as [string, string, string];
    const use = (session: string) => page("/apis", { headers: { cookie: `portico_session=${session}`, "x-portico-dashboard": "1" } }).then((r) => r.status);
    expect(await use(`${v}.${Number(expires) + 3600}.${mac}`)).toBe(401);
    expect(await use(`${v}.${expires}.${mac.slice(0, -1)}${mac.endsWith("A") ? "B" : "A"}`)).toBe(401);
    expect(await use(await newSession("another-admin-token"))).toBe(401);
    expect(await use("v1.1.xyz")).toBe(401);
    // Expiry and lifetime, on the pure function.
    const made = await newSession("tok", Date.now());
    expect(await validSession(made, "tok")).toBe(true);
    expect(await validSession(made, "tok", Date.now() + SESSION_SECONDS * 1000 + 1000)).toBe(false);
    expect(await validSession(await newSession("tok", Date.now() + 10 * 24 * 3600 * 1000), "tok")).toBe(false);
  });

  it("reads metrics for a stage served unpublished (the embedded bundle), so the dashboard works before any deploy", async () => {
    const cookie = await signIn();
    const headers = { cookie, "x-portico-dashboard": "1" };
    const server = (await (await page("/server", { headers })).json()) as { embedded: { api: string; version: string; stages: string[] } };
    await SELF.fetch(`http://localhost/${server.embedded.stages[0]}/pets/1`);
    const res = await page(`/apis/${server.embedded.api}/stages/${server.embedded.stages[0]}/metrics/series?minutes=5`, { headers });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { source: string; stable: string };
    expect(body.source).toBe("local");
    expect(body.stable).toMatch(/^[0-9a-f]{64}$/);
    expect((await page(`/apis/${server.embedded.api}/stages/no-such-stage/metrics`, { headers })).status).toBe(404);
  });

  it("signs out by clearing the cookie", async () => {
    const res = await page("/session", { method: "DELETE" });
    expect(res.headers.get("set-cookie")).toBe("portico_session=; Path=/_portico; HttpOnly; SameSite=Strict; Max-Age=0");
  });
});
