/**
 * The admin origin (PORTICO_ADMIN_HOST, src/admin/admin-host.ts) through the real Worker: a page served through the
 * gateway on an API host — here an attacker's HTML and script from a mock — cannot use the signed-in operator's
 * dashboard cookie against the admin API, because the cookie is accepted on the admin host only; the admin host
 * routes no API; without PORTICO_ADMIN_HOST the dashboard says to set it; the cookie is Secure off loopback.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { appOn, ENV, publish, uniqueApi } from "../deploy/support.ts";

const ADMIN = "http://admin.localhost";
const ATTACK = `<script>fetch('/_portico/keys',{method:'POST',headers:{'x-portico-dashboard':'1','content-type':'application/json'},body:'{"name":"pwn","stages":["prod"]}'})</script>`;

async function signIn(origin = ADMIN, fetcher: (url: string, init: RequestInit) => Promise<Response> = (u, i) => SELF.fetch(u, i)): Promise<Response> {
  return fetcher(`${origin}/_portico/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: "test-admin-token" }) });
}

const cookieOf = (res: Response) => res.headers.get("set-cookie")!.split(";")[0]!;
const keyCount = async () => ((await (await SELF.fetch("http://localhost/_portico/keys", { headers: { authorization: "Bearer test-admin-token" } })).json()) as { keys: unknown[] }).keys.length;

describe("the admin origin", () => {
  it("a script served through the gateway on an API host cannot use the dashboard's cookie", async () => {
    const api = uniqueApi("xss");
    await publish({
      name: api,
      domains: [{ host: `${api}.test`, stage: "prod" }],
      stages: { prod: {} },
      routes: { "GET /page": { integration: { type: "mock", headers: { "content-type": "text/html" }, body: ATTACK } } },
    });
    const signedIn = await signIn();
    expect(signedIn.status).toBe(200);
    const cookie = cookieOf(signedIn);

    // The attacker's page, served on the API host.
    const page = await SELF.fetch(`http://${api}.test/page`);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain("<script>");

    // What its script's same-origin fetch would send (the browser adds the cookie, Origin and Sec-Fetch-Site).
    const before = await keyCount();
    for (const host of [`http://${api}.test`, "http://localhost"]) {
      const headers = { cookie, "x-portico-dashboard": "1", "content-type": "application/json", origin: host, "sec-fetch-site": "same-origin" };
      const create = await SELF.fetch(`${host}/_portico/keys`, { method: "POST", headers, body: JSON.stringify({ name: "pwn", stages: ["prod"] }) });
      expect(create.status, host).toBe(401);
      const read = await SELF.fetch(`${host}/_portico/apis`, { headers: { cookie, "x-portico-dashboard": "1" } });
      expect(read.status, host).toBe(401);
      // Nor can it sign in there, or load the dashboard to phish the token.
      const there = await signIn(host);
      expect([there.status, there.headers.has("set-cookie")], host).toEqual([404, false]);
      const dashboard = await SELF.fetch(`${host}/_portico/`);
      expect(dashboard.status).toBe(404);
      expect(((await dashboard.json()) as { message: string }).message).toMatch(/not served on this host.*PORTICO_ADMIN_HOST/);
    }
    expect(await keyCount()).toBe(before);

    // A cross-origin request to the admin host carrying the cookie is refused too (another origin's fetch).
    const cross = await SELF.fetch(`${ADMIN}/_portico/apis`, { headers: { cookie, "x-portico-dashboard": "1", origin: `http://${api}.test`, "sec-fetch-site": "same-site" } });
    expect(cross.status).toBe(401);
    // On the admin host, from the dashboard itself, the cookie works.
    expect((await SELF.fetch(`${ADMIN}/_portico/apis`, { headers: { cookie, "x-portico-dashboard": "1", "sec-fetch-site": "same-origin" } })).status).toBe(200);
    // The bearer token (never ambient) still works on every host.
    expect((await SELF.fetch(`http://${api}.test/_portico/apis`, { headers: { authorization: "Bearer test-admin-token" } })).status).toBe(200);
  });

  it("the admin host routes no API: not the Worker's own, nor one whose domain names it", async () => {
    const api = uniqueApi("adm");
    await publish({
      name: api,
      domains: [{ host: "admin.localhost", stage: "prod" }],
      stages: { prod: {} },
      routes: { "GET /page": { integration: { type: "mock", headers: { "content-type": "text/html" }, body: ATTACK } } },
    });
    for (const path of ["/page", "/prod/pets/1", "/pets", "/", "/_porticox"]) {
      const res = await SELF.fetch(`${ADMIN}${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).not.toContain("<script>");
    }
    // The same paths answer on an API host (the Worker's own one serves the embedded API).
    expect((await SELF.fetch("http://localhost/prod/pets/1")).status).toBe(200);
    expect((await SELF.fetch(`${ADMIN}/_portico/health`)).status).toBe(200);
  });

  it("without PORTICO_ADMIN_HOST the dashboard is not served and says to set it; the bearer API still answers", async () => {
    const send = appOn({ ...ENV, PORTICO_ADMIN_HOST: undefined });
    for (const [path, init] of [["/_portico/", {}], ["/_portico/dashboard.js", {}], ["/_portico/session", { method: "POST", body: '{"token":"test-admin-token"}' }]] as const) {
      const res = await send(`http://localhost${path}`, init);
      expect(res.status, path).toBe(503);
      expect(res.headers.has("set-cookie")).toBe(false);
      expect(((await res.json()) as { message: string }).message).toMatch(/no PORTICO_ADMIN_HOST is configured/);
    }
    expect((await send("http://localhost/_portico/apis", { headers: { authorization: "Bearer test-admin-token" } })).status).toBe(200);
    const invalid = appOn({ ...ENV, PORTICO_ADMIN_HOST: "https://admin.example.com/" });
    expect((await invalid("http://admin.example.com/_portico/")).status).toBe(503);
  });

  it("the session cookie is Secure unless the admin host is a loopback name; host:port matches that port only", async () => {
    const prod = appOn({ ...ENV, PORTICO_ADMIN_HOST: "Admin.Example.com" });
    for (const origin of ["https://admin.example.com", "http://admin.example.com"]) {
      const res = await signIn(origin, prod);
      expect(res.status, origin).toBe(200);
      expect(res.headers.get("set-cookie")).toMatch(/; Secure$/);
    }
    const local = await signIn();
    expect(local.headers.get("set-cookie")).not.toContain("Secure");
    const ported = appOn({ ...ENV, PORTICO_ADMIN_HOST: "admin.localhost:8788" });
    expect((await signIn("http://admin.localhost:8788", ported)).status).toBe(200);
    expect((await signIn("http://admin.localhost:8787", ported)).status).toBe(404);
  });
});
