/**
 * The `portico` CLI against the running Worker (built as it ships, real HTTP): deploy → canary 10% → status →
 * promote → rollback, and an automated canary that rolls itself back when the canary version's backend starts
 * failing.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackend, type BackendServer } from "../support/backend-server.ts";
import { startBuiltWorker, type BuiltWorker } from "./support/built-worker.ts";
import { isolatedCheckout, type Checkout } from "./support/checkout.ts";

const TOKEN = "e2e-admin-token";
let checkout: Checkout;
let worker: BuiltWorker;
let backend: BackendServer;

beforeAll(async () => {
  checkout = isolatedCheckout();
  backend = await startBackend();
  // Short bounds so the test sees changes quickly: stage pointers trusted 100 ms, metrics sent every 200 ms.
  // PORTICO_LOCAL_DEV: the definitions proxy to a Node backend on loopback.
  worker = await startBuiltWorker(checkout, { ADMIN_TOKEN: TOKEN, REGISTRY_MEMO_MS: "100", METRICS_FLUSH_MS: "200", ACCOUNT_RATE: "0", PORTICO_LOCAL_DEV: "true" });
});

afterAll(async () => {
  await worker?.dispose();
  await backend?.close();
  checkout?.dispose();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function portico(...args: string[]) {
  const result = await checkout.cli([...args, "--url", worker.url.origin, "--token", TOKEN]);
  return { ...result, json: () => JSON.parse(result.stdout) as unknown };
}

function definition(name: string, routes: string): string {
  const file = join(checkout.dir, `${name}.yaml`);
  writeFileSync(file, `name: petstore\nstages:\n  prod:\n    variables: { backend: "${backend.url}" }\nroutes:\n${routes}\n`);
  return file;
}

async function version(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; version: string | null }> {
  const res = await fetch(new URL(path, worker.url), { headers });
  return { status: res.status, body: await res.text(), version: res.headers.get("x-portico-version") };
}

async function eventually<T>(what: string, probe: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: T;
  do {
    last = await probe();
    if (ok(last)) return last;
    await sleep(100);
  } while (Date.now() < until);
  throw new Error(`${what}: not reached in ${timeoutMs} ms; last ${JSON.stringify(last)}`);
}

describe("portico deploy → canary → status → promote → rollback, against the running Worker", () => {
  it("moves traffic exactly as the commands say", async () => {
    const v1 = definition("v1", '  GET /v:\n    integration: { type: mock, body: { v: 1 } }');
    const v2 = definition("v2", '  GET /v:\n    integration: { type: mock, body: { v: 2 } }');

    // Before any deploy, the stages are served by the embedded bundle, and stages and history say so.
    const embedded = await portico("stages");
    expect(embedded.status, embedded.stderr).toBe(0);
    expect(embedded.stdout).toMatch(/^prod\s+embedded\s+[0-9a-f]{12}\s/m);
    expect((await portico("history")).stdout).toMatch(/^no deployments of petstore yet: stages dev and prod serve the embedded bundle \(version [0-9a-f]{12}\)$/m);

    const first = await portico("deploy", v1, "--stage", "prod", "--description", "v1", "--json");
    expect(first.status, first.stderr).toBe(0);
    const v1Id = (first.json() as { deployment: { id: string } }).deployment.id;
    await eventually("v1 serves", () => version("/prod/v"), (r) => r.body === '{"v":1}');

    const again = await portico("deploy", v1, "--stage", "prod");
    expect(again.status).toBe(0);
    expect(again.stdout).toContain("unchanged");

    const canary = await portico("deploy", v2, "--stage", "prod", "--canary", "10", "--description", "v2", "--json");
    expect(canary.status, canary.stderr).toBe(0);
    const v2Id = (canary.json() as { deployment: { id: string } }).deployment.id;
    expect((await portico("canary", "set", "--stage", "prod", "--sticky", "header:x-user")).status).toBe(0);
    await sleep(300);

    // Sticky by header: each caller keeps its version; about a tenth of callers see v2.
    const seen = new Map<string, string>();
    for (let i = 0; i < 400; i++) {
      const r = await version("/prod/v", { "x-user": `user-${i}` });
      seen.set(`user-${i}`, r.body);
    }
    const share = [...seen.values()].filter((b) => b === '{"v":2}').length / seen.size;
    expect(share).toBeGreaterThan(0.05);
    expect(share).toBeLessThan(0.15);
    for (let i = 0; i < 20; i++) expect((await version("/prod/v", { "x-user": `user-${i}` })).body).toBe(seen.get(`user-${i}`));

    const status = await portico("canary", "status", "--stage", "prod", "--json");
    expect(status.status, status.stderr).toBe(0);
    const versions = (status.json() as { versions: { version: string; role: string; count: number }[] }).versions;
    expect(versions.find((v) => v.role === "stable")?.version).toBe(v1Id);
    expect(versions.find((v) => v.role === "canary")?.version).toBe(v2Id);
    expect(versions.find((v) => v.role === "canary")!.count).toBeGreaterThan(0);
    const table = await portico("canary", "status", "--stage", "prod");
    expect(table.stdout).toMatch(/stable\s+[0-9a-f]{12}/);
    expect(table.stdout).toMatch(/canary\s+[0-9a-f]{12}/);

    expect((await portico("canary", "promote", "--stage", "prod")).status).toBe(0);
    await eventually("v2 serves everyone", () => version("/prod/v", { "x-user": "user-1" }), (r) => r.body === '{"v":2}');
    for (let i = 0; i < 20; i++) expect((await version("/prod/v", { "x-user": `user-${i}` })).body).toBe('{"v":2}');

    const back = await portico("rollback", "--stage", "prod");
    expect(back.status, back.stderr).toBe(0);
    await eventually("v1 serves again", () => version("/prod/v"), (r) => r.body === '{"v":1}');

    const history = (await portico("history", "--stage", "prod", "--json")).json() as { action: string; deploymentId: string }[];
    expect(history.map((h) => h.action)).toEqual(["rollback", "canary-promote", "canary-update", "canary-deploy", "deploy"]);
    expect(history[0]!.deploymentId).toBe(v1Id);

    const refused = await portico("canary", "promote", "--stage", "prod");
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("has no canary");
    const unauthorized = await checkout.cli(["stages", "--url", worker.url.origin, "--token", "wrong"]);
    expect(unauthorized.status).toBe(4);
  });
});

describe("portico canary start --auto", () => {
  it("rolls the canary back by itself when its backend starts failing, and says why", async () => {
    // Both versions proxy to the same backend, so they differ only in what the backend answers them.
    const stable = definition("auto-stable", '  GET /w:\n    integration: { type: http_proxy, uri: "${stageVariables.backend}/switch/stable" }');
    const risky = definition("auto-canary", '  GET /w:\n    integration: { type: http_proxy, uri: "${stageVariables.backend}/switch/canary" }');
    expect((await portico("deploy", stable, "--stage", "prod")).status).toBe(0);
    expect((await portico("deploy", risky, "--stage", "prod", "--canary", "30")).status).toBe(0);
    const start = await portico("canary", "start", "--stage", "prod", "--auto", "--step", "10", "--interval", "3", "--min-requests", "10", "--max-error-increase", "1", "--max-p95-ratio", "20");
    expect(start.status, start.stderr).toBe(0);

    // Traffic flows the whole time; the canary's backend is healthy at first…
    let running = true;
    let served = 0;
    const traffic = (async () => {
      while (running) {
        await version("/prod/w");
        served++;
      }
    })();
    await sleep(1500);
    // …then fails.
    await fetch(`${backend.url}/switch-set/canary?status=503`, { method: "POST" });

    const stage = await eventually(
      "the automated canary rolls back",
      async () => (await portico("stages", "--json")).json() as { stage: string; canary: unknown }[],
      (stages) => stages.find((s) => s.stage === "prod")?.canary === null,
      30_000,
    );
    running = false;
    await traffic;
    expect(stage.find((s) => s.stage === "prod")!.canary).toBeNull();
    expect(served).toBeGreaterThan(20);

    const history = (await portico("history", "--stage", "prod", "--json")).json() as { action: string; description: string | null }[];
    const rollback = history.find((h) => h.action === "auto-rollback");
    expect(rollback?.description).toMatch(/automated canary rolled back: canary 5xx rate [\d.]+% vs stable [\d.]+%/);
    // After the rollback every request is the stable version's.
    const stableBody = '{"switch":"stable","status":200}';
    await eventually("stable serves everyone", () => version("/prod/w"), (r) => r.body === stableBody);
    for (let i = 0; i < 20; i++) expect((await version("/prod/w")).body).toBe(stableBody);
  });
});
