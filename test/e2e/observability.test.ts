/**
 * Observability end to end, against the Worker as it ships (real HTTP, the `portico` CLI as a child process):
 * `portico explain` prints a request's decisions; `portico shadow start|report|stop` evaluates a candidate on real
 * traffic and `canary set --require-clean-shadow` respects its report; and the automated canary keeps working when
 * its metrics come from Analytics Engine's SQL API (a local stand-in answering as the API does) instead of the
 * local store.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackend, type BackendServer } from "../support/backend-server.ts";
import { startBuiltWorker, type BuiltWorker } from "./support/built-worker.ts";
import { isolatedCheckout, type Checkout } from "./support/checkout.ts";

const TOKEN = "e2e-admin-token";
const DEBUG = "e2e-debug-token";
let checkout: Checkout;
let backend: BackendServer;
let local: BuiltWorker;
let analytics: BuiltWorker;

beforeAll(async () => {
  checkout = isolatedCheckout();
  backend = await startBackend();
  const common = { ADMIN_TOKEN: TOKEN, PORTICO_DEBUG_TOKEN: DEBUG, REGISTRY_MEMO_MS: "100", METRICS_FLUSH_MS: "200", ACCOUNT_RATE: "0", PORTICO_LOCAL_DEV: "true" };
  local = await startBuiltWorker(checkout, common);
  analytics = await startBuiltWorker(checkout, { ...common, ANALYTICS_API_TOKEN: "e2e-sql-token", ANALYTICS_SQL_URL: `${backend.url}/ae-sql/e2e-canary` });
});

afterAll(async () => {
  await local?.dispose();
  await analytics?.dispose();
  await backend?.close();
  checkout?.dispose();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function portico(worker: BuiltWorker, ...args: string[]) {
  return checkout.cli([...args, "--url", worker.url.origin, "--token", TOKEN]);
}

/** A definition of the API the Worker serves on its own host names (`/prod/...`): the example's name, petstore. */
function definition(name: string, api: string, routes: string): string {
  const file = join(checkout.dir, `${name}.yaml`);
  writeFileSync(file, `name: ${api}\nstages:\n  prod:\n    variables: { backend: "${backend.url}" }\nroutes:\n${routes}\n`);
  return file;
}

const ITEMS_V1 = `  GET /items/{id}:\n    throttle: { rate: 100, burst: 50 }\n    integration: { type: http_proxy, uri: "\${stageVariables.backend}/echo/v1/items/{id}" }`;
const ITEMS_V2 = `  GET /items/{id}:\n    throttle: { rate: 100, burst: 50 }\n    integration: { type: http_proxy, uri: "\${stageVariables.backend}/echo/v2/items/{id}" }`;

describe("portico explain", () => {
  it("prints the request's decisions, as text or JSON, and needs the right token", async () => {
    const file = definition("explain", "petstore", ITEMS_V1);
    expect((await portico(local, "deploy", file, "--stage", "prod", "--skip-env-check")).status).toBe(0);
    await sleep(200);
    const url = `${local.url.origin}/prod/items/42?secret=no`;
    const text = await checkout.cli(["explain", "GET", url, "-H", "x-extra: 1", "--debug-token", DEBUG]);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/prod\/items\/42 → 200 in \d+ ms \(request [0-9a-f-]{36}\)/);
    expect(text.stdout).toMatch(/stage\s+petstore\/prod, version [0-9a-f]{12} \(stable: no canary\)/);
    expect(text.stdout).toMatch(/route\s+GET \/items\/\{id\}/);
    expect(text.stdout).toMatch(/throttle\s+route:petstore:prod:GET \/items\/\{id\} 100\/s burst 50: admitted, \d+ left/);
    expect(text.stdout).toContain(`integrate  ${backend.url}/echo/v1/items/42 → 200 in`);
    expect(text.stdout).toMatch(/timing\s+resolve [\d.]+, route [\d.]+, throttle [\d.]+, integrate [\d.]+, total [\d.]+ \(ms waiting on I\/O\)/);
    expect(text.stdout).not.toContain("secret=no");

    const json = await checkout.cli(["explain", "GET", url, "--debug-token", DEBUG, "--json"]);
    const parsed = JSON.parse(json.stdout) as { status: number; record: { route: { key: string } } };
    expect([parsed.status, parsed.record.route.key]).toEqual([200, "GET /items/{id}"]);

    const wrong = await checkout.cli(["explain", "GET", url, "--debug-token", "not-it"]);
    expect(wrong.status).toBe(4);
    expect(wrong.stderr).toMatch(/without an explanation: is it a Portico Worker with the PORTICO_DEBUG_TOKEN secret set/);
    const none = await checkout.cli(["explain", "GET", url], {});
    expect(none.status).toBe(2);
  });
});

describe("portico shadow", () => {
  it("start → real traffic → report by kind → canary refused without a clean report → stop", async () => {
    const v1 = definition("shadow-v1", "petstore", ITEMS_V1);
    const v2 = definition("shadow-v2", "petstore", ITEMS_V2);
    expect((await portico(local, "deploy", v1, "--stage", "prod", "--skip-env-check")).status).toBe(0);
    const canary = await portico(local, "deploy", v2, "--stage", "prod", "--canary", "0", "--skip-env-check", "--json");
    expect(canary.status, canary.stderr).toBe(0);
    const candidate = (JSON.parse(canary.stdout) as { deployment: { id: string } }).deployment.id;

    const start = await portico(local, "shadow", "start", "--stage", "prod", "--version", candidate.slice(0, 12), "--percent", "100");
    expect(start.status, start.stderr).toBe(0);
    expect(start.stdout).toMatch(new RegExp(`^shadow evaluation of ${candidate.slice(0, 12)} on 100% of prod's requests`));
    await sleep(300); // the stage pointers' memo bound
    for (let i = 0; i < 6; i++) expect((await fetch(`${local.url.origin}/prod/items/${i}`)).status).toBe(200);
    // Only the live version's backend was called.
    expect((await (await fetch(`${backend.url}/__hits?path=/echo/v2/items/0`)).json()) as { count: number }).toEqual({ count: 0 });

    // Isolates send their results every METRICS_FLUSH_MS, on a request: keep a little traffic going.
    let report = "";
    for (let i = 0; i < 50 && !/6 of \d+ evaluated requests differ/.test(report); i++) {
      await fetch(`${local.url.origin}/prod/nothing-here`);
      await sleep(250);
      report = (await portico(local, "shadow", "report", "--stage", "prod")).stdout;
    }
    expect(report).toMatch(/6 of \d+ evaluated requests differ/);
    expect(report).toMatch(/KIND\s+REQUESTS\nintegration\s+6/);
    expect(report).toContain(`    live:      http_proxy ${backend.url}/echo/v1/items/`);
    expect(report).toContain(`    candidate: http_proxy ${backend.url}/echo/v2/items/`);

    const refused = await portico(local, "canary", "set", "--stage", "prod", "--percent", "10", "--require-clean-shadow");
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/is not clean: \d+ of \d+ requests differ \(integration \d+/);

    const stop = await portico(local, "shadow", "stop", "--stage", "prod");
    expect(stop.status, stop.stderr).toBe(0);
    expect((await portico(local, "shadow", "report", "--stage", "prod")).stdout).toMatch(/shadow of [0-9a-f]{12} stopped/);
  });
});

describe("automated canary on Analytics Engine metrics", () => {
  it("rolls back a canary whose 5xx rate the SQL API reports over the bound", async () => {
    const v1 = definition("ae-v1", "petstore", ITEMS_V1);
    const v2 = definition("ae-v2", "petstore", ITEMS_V2);
    const deploy1 = await portico(analytics, "deploy", v1, "--stage", "prod", "--skip-env-check", "--json");
    const stable = (JSON.parse(deploy1.stdout) as { deployment: { id: string } }).deployment.id;
    const deploy2 = await portico(analytics, "deploy", v2, "--stage", "prod", "--canary", "0", "--skip-env-check", "--json");
    const canary = (JSON.parse(deploy2.stdout) as { deployment: { id: string } }).deployment.id;
    // What the SQL API says about the two versions: the canary fails 40% of its requests.
    await fetch(`${backend.url}/ae-sql-config/e2e-canary`, {
      method: "POST",
      body: JSON.stringify({
        counts: [
          { version: stable, count: 400, c4xx: 0, c5xx: 0, p50: 3, p95: 8, p99: 12 },
          { version: canary, count: 50, c4xx: 0, c5xx: 20, p50: 3, p95: 8, p99: 12 },
        ],
        integration: [],
      }),
    });
    const status = await portico(analytics, "canary", "status", "--stage", "prod");
    expect(status.stdout).toMatch(/last 15 minutes \(from Analytics Engine\):/);
    expect(status.stdout).toMatch(/canary\s+[0-9a-f]{12}\s+50\s+0\.00%\s+40\.00%/);

    const auto = await portico(analytics, "canary", "start", "--stage", "prod", "--auto", "--step", "10", "--interval", "1", "--min-requests", "10");
    expect(auto.status, auto.stderr).toBe(0);
    let history = "";
    for (let i = 0; i < 60 && !history.includes("auto-rollback"); i++) {
      await sleep(500);
      history = (await portico(analytics, "history", "--stage", "prod")).stdout;
    }
    expect(history).toMatch(/auto-rollback\s+[0-9a-f]{12}\s+automated canary rolled back: canary 5xx rate 40\.00% vs stable 0\.00%/);
    const seen = (await (await fetch(`${backend.url}/ae-sql-seen/e2e-canary`)).json()) as { query: string; authorization: string }[];
    expect(seen.some((q) => q.query.includes("blob1 = 'petstore' AND blob2 = 'prod'") && q.authorization === "Bearer e2e-sql-token")).toBe(true);
  });
});
