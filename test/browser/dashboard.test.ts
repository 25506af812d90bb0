/**
 * The dashboard in a real browser: Debian's Chromium (`/usr/bin/chromium`) driven by playwright-core, against the
 * Worker as it ships (built, in workerd, on a loopback port) with real traffic through it. It signs in with the
 * admin token (refused first with a wrong one; never in a URL or script-readable storage), sees the charts fill
 * from real requests to both versions, watches the canary split change when the CLI moves it, and signs out — with
 * the Content-Security-Policy enforced by the browser (no violation, no request to any other origin).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackend, type BackendServer } from "../support/backend-server.ts";
import { startBuiltWorker, type BuiltWorker } from "../e2e/support/built-worker.ts";
import { isolatedCheckout, type Checkout } from "../e2e/support/checkout.ts";
import { chatClient } from "../e2e/support/ws-client.ts";

const TOKEN = "browser-admin-token-7c21";
const CHROMIUM = "/usr/bin/chromium";
const FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

let checkout: Checkout;
let backend: BackendServer;
let worker: BuiltWorker;
let profile: string;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];
const foreign: string[] = [];

async function portico(...args: string[]) {
  const result = await checkout.cli([...args, "--url", worker.url.origin, "--token", TOKEN]);
  if (result.status !== 0) throw new Error(`portico ${args.join(" ")} failed (${result.status}): ${result.stderr}`);
  return result;
}

function definition(name: string, tag: string): string {
  const file = join(checkout.dir, `${name}.yaml`);
  writeFileSync(
    file,
    `name: petstore\nstages:\n  prod:\n    variables: { backend: "${backend.url}" }\n    cache: { ttl: 30 }\nroutes:\n` +
      `  GET /items/{id}:\n    throttle: { rate: 1000, burst: 2000 }\n    integration: { type: http_proxy, uri: "\${stageVariables.backend}/echo/${tag}/{id}" }\n` +
      `  GET /cached:\n    integration: { type: mock, body: { tag: ${tag} } }\n` +
      `  GET /tight:\n    throttle: { rate: 0.001, burst: 1 }\n    integration: { type: mock, body: { ok: true } }\n`,
  );
  return file;
}

/** Real requests through the Worker: both versions (a random 10% split), hits and misses, a throttled route, a refusal. */
async function traffic(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await Promise.all([
      fetch(`${worker.url.origin}/prod/items/${i % 7}`).then((r) => r.arrayBuffer()),
      fetch(`${worker.url.origin}/prod/cached`).then((r) => r.arrayBuffer()),
      fetch(`${worker.url.origin}/prod/tight`).then((r) => r.arrayBuffer()),
      fetch(`${worker.url.origin}/prod/nope`).then((r) => r.arrayBuffer()),
    ]);
  }
}

beforeAll(async () => {
  checkout = isolatedCheckout();
  backend = await startBackend();
  worker = await startBuiltWorker(checkout, { ADMIN_TOKEN: TOKEN, REGISTRY_MEMO_MS: "100", METRICS_FLUSH_MS: "200", ACCOUNT_RATE: "0", PORTICO_LOCAL_DEV: "true" });
  await portico("deploy", definition("v1", "v1"), "--stage", "prod", "--skip-env-check");
  await portico("deploy", definition("v2", "v2"), "--stage", "prod", "--canary", "10", "--skip-env-check");

  profile = mkdtempSync(join(tmpdir(), "portico-chromium-"));
  // A fresh profile each run (launchPersistentContext is how playwright takes a --user-data-dir).
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (m) => {
    if (m.type() === "error" || /Content Security Policy/i.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("request", (r) => {
    if (!r.url().startsWith(worker.url.origin) && !r.url().startsWith("data:")) foreign.push(r.url());
  });
});

afterAll(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await worker?.dispose();
  await backend?.close();
  checkout?.dispose();
});

describe("the dashboard", () => {
  it("is served with a strict Content-Security-Policy and asks for the admin token", async () => {
    const res = await page.goto(`${worker.url.origin}/_portico/`);
    expect(res!.status()).toBe(200);
    const headers = res!.headers();
    expect(headers["content-security-policy"]).toContain("default-src 'self'");
    expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(headers["content-security-policy"]).not.toContain("unsafe-inline");
    expect(headers["x-frame-options"]).toBe("DENY");
    await expect.poll(() => page.isVisible('[data-testid="signin"]')).toBe(true);
    expect(await page.isVisible("#app")).toBe(false);
  });

  it("refuses a wrong token, then signs in without putting the token in the URL or in script-readable storage", async () => {
    await page.fill('[data-testid="token"]', "not-the-token");
    await page.click('[data-testid="signin-submit"]');
    await expect.poll(() => page.textContent('[data-testid="signin-error"]')).toBe("That token is not the admin token.");

    await page.fill('[data-testid="token"]', TOKEN);
    await page.click('[data-testid="signin-submit"]');
    await expect.poll(() => page.isVisible("#app"), { timeout: 15_000 }).toBe(true);
    expect(page.url()).toBe(`${worker.url.origin}/_portico/`);
    expect(page.url()).not.toContain(TOKEN);
    const stored = await page.evaluate(() => JSON.stringify({ s: { ...sessionStorage }, l: { ...localStorage }, c: document.cookie }));
    expect(stored).not.toContain(TOKEN);
    const cookies = await context.cookies(`${worker.url.origin}/_portico/`);
    const session = cookies.find((c) => c.name === "portico_session")!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/_portico" });
    expect(session.value).not.toContain(TOKEN);
    // The admin API refuses the cookie without the dashboard's header (what a cross-site form would send).
    expect((await page.evaluate((origin) => fetch(`${origin}/_portico/apis`).then((r) => r.status), worker.url.origin))).toBe(401);
  });

  it("shows the stage, its versions and the canary split", async () => {
    await expect.poll(() => page.getAttribute('[data-testid="split"]', "data-canary-percent"), { timeout: 15_000 }).toBe("10");
    expect(await page.textContent('[data-testid="split-canary"]')).toBe("canary 10%");
    expect(await page.textContent('[data-testid="split-stable"]')).toBe("stable 90%");
    const versions = await page.locator('[data-testid="versions"] tbody tr').allTextContents();
    expect(versions.some((v) => v.includes("stable"))).toBe(true);
    expect(versions.some((v) => v.includes("canary"))).toBe(true);
    const history = await page.locator('[data-testid="history"] tbody tr').allTextContents();
    expect(history.some((h) => h.includes("canary-deploy"))).toBe(true);
    expect(history.some((h) => h.includes("deploy"))).toBe(true);
    // The pet store is an HTTP API: the admin connections API says so (409), and the panel says it has none to count.
    await expect.poll(() => page.textContent('[data-testid="ws-text"]'), { timeout: 15_000 }).toBe("Not a WebSocket API: no connections to count.");
    expect(await page.locator('[data-testid="ws-versions"] li').count()).toBe(0);
  });

  it("fills the charts from real traffic, per version", async () => {
    await traffic(60);
    const points = (chart: string) => page.getAttribute(`[data-chart="${chart}"] svg`, "data-points").then(Number);
    await expect.poll(() => points("Requests"), { timeout: 30_000, interval: 500 }).toBeGreaterThan(0);
    // Both versions served requests: each has a line in the requests chart.
    await expect.poll(() => page.locator('[data-chart="Requests"] path.canary').count(), { timeout: 30_000, interval: 500 }).toBeGreaterThan(0);
    expect(await page.locator('[data-chart="Requests"] path.stable').count()).toBeGreaterThan(0);
    // 4xx (the unknown route, the throttled route), throttled, refused, latency and the cache's hit ratio.
    for (const chart of ["4xx", "Throttled", "Refused", "Latency p50 / p99", "Integration latency p50 / p99", "Cache hit ratio"])
      await expect.poll(() => points(chart), { timeout: 30_000, interval: 500 }).toBeGreaterThan(0);
    expect(await page.textContent('[data-testid="source"]')).toBe("metrics: local store");
  });

  it("watches the canary split change when the CLI moves it", async () => {
    await portico("canary", "set", "--stage", "prod", "--percent", "50");
    await expect.poll(() => page.getAttribute('[data-testid="split"]', "data-canary-percent"), { timeout: 20_000, interval: 250 }).toBe("50");
    expect(await page.textContent('[data-testid="split-canary"]')).toBe("canary 50%");
    await portico("canary", "promote", "--stage", "prod");
    await expect.poll(() => page.getAttribute('[data-testid="split"]', "data-canary-percent"), { timeout: 20_000, interval: 250 }).toBe("0");
    expect(await page.textContent('[data-testid="split-text"]')).toMatch(/no canary$/);
    await expect.poll(async () => (await page.locator('[data-testid="history"] tbody tr').allTextContents()).some((h) => h.includes("canary-promote")), { timeout: 20_000 }).toBe(true);
  });

  it("counts a WebSocket API's live connections from the admin API, per version, as clients come and go", async () => {
    // The example chat, embedded beside the pet store (on chat.localhost): listed from the Worker's server facts.
    const served = (await (await fetch(`${worker.url.origin}/_portico/server`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { others?: { api: string; version: string }[] };
    const chat = served.others?.find((o) => o.api === "chat");
    expect(chat).toBeDefined();
    await page.selectOption("#api", "chat");
    await expect.poll(() => page.inputValue("#stage"), { timeout: 15_000 }).toBe("prod");
    const connected = () => page.getAttribute('[data-testid="ws-text"]', "data-connections");
    await expect.poll(connected, { timeout: 15_000, interval: 250 }).toBe("0");

    const url = `ws://chat.localhost:${worker.port}/?name=`;
    const ada = await chatClient(`${url}ada`, "127.0.0.1");
    const bob = await chatClient(`${url}bob`, "127.0.0.1");
    await expect.poll(connected, { timeout: 20_000, interval: 250 }).toBe("2");
    expect(await page.textContent('[data-testid="ws-text"]')).toMatch(/^2 live connections over \d+ hubs$/);
    // One version serves them all: the embedded chat's, the stage's stable version.
    const versions = page.locator('[data-testid="ws-versions"] li');
    expect(await versions.count()).toBe(1);
    expect(await versions.first().getAttribute("data-version")).toBe(chat!.version);
    expect(await versions.first().textContent()).toBe(`stable ${chat!.version.slice(0, 12)}: 2`);

    ada.close();
    await expect.poll(connected, { timeout: 20_000, interval: 250 }).toBe("1");
    bob.close();
    await expect.poll(connected, { timeout: 20_000, interval: 250 }).toBe("0");
    expect(await versions.count()).toBe(0);
    await page.selectOption("#api", "petstore");
  });

  it("signs out, and made no request to any other origin and broke no policy on the way", async () => {
    await page.click("#signout");
    await expect.poll(() => page.isVisible('[data-testid="signin"]')).toBe(true);
    expect(await page.evaluate((origin) => fetch(`${origin}/_portico/apis`, { headers: { "x-portico-dashboard": "1" } }).then((r) => r.status), worker.url.origin)).toBe(401);
    expect(foreign).toEqual([]);
    // The wrong-token sign-in and the requests made signed out log their 401s as failed loads; nothing else may appear.
    expect(problems.filter((p) => !/status of 401/.test(p))).toEqual([]);
  });
});
