/**
 * Issue 10, item 2: a configuration-store fault never rolls a fresh isolate back to a weaker version. The
 * embedded bundle (v1, no authorizer) is the API's first version; the Registry has since published v2, which puts
 * an authorizer on every route. A fresh isolate (a new app, empty memo) whose Registry throws or hangs, or whose
 * KV read throws, must answer 401 (it read v2 another way) or 503 — never v1's 200. "Nothing known" needs both
 * configuration sources down: the Registry and KV's snapshots (a fresh snapshot alone serves v2: 401; the snapshot
 * cases are in test/worker/deploy/snapshots.test.ts).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { compileDefinition } from "../../../src/config/compile.ts";
import { appOn, definition, errorLog, faultyEnv, publish, short, TOKEN, uniqueApi, versionOf } from "../deploy/support.ts";

afterEach(() => vi.restoreAllMocks());

/** Log lines written with console.error, parsed where they are JSON (and kept out of the test output). */
const guarded = { authorizers: { gate: { type: "custom", mode: "request", identitySource: "$request.header.x-token", url: "https://auth.invalid/", resultTtlSeconds: 0 } } };

/** v1 embedded (open), v2 published (guarded): the setup of the reported rollback. */
async function setup() {
  const api = uniqueApi("rb");
  const v1 = await compileDefinition(definition(api, "v1"));
  const v2 = await publish(withGate(definition(api, "v2", guarded)));
  return { api, v1, v2 };
}

/** Every route of a definition behind the `gate` authorizer. */
function withGate(def: ReturnType<typeof definition>) {
  return { ...def, routes: Object.fromEntries(Object.entries(def.routes).map(([k, r]) => [k, { ...(r as object), authorizer: "gate" }])) };
}

const UNAVAILABLE = '{"message": "Service Unavailable"}';

describe("a fresh isolate with a failing config store", () => {
  it("fails closed (503, Amazon's body, counted) when the Registry throws, never serving the embedded v1", async () => {
    const { api, v1 } = await setup();
    const { env, control } = faultyEnv();
    control.fault = "throw";
    control.snapshots = "throw";
    const logs = errorLog();
    const fetch = appOn(env, v1);
    const res = await fetch(`http://${api}.test/who`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe(UNAVAILABLE);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(versionOf(res)).toBeNull();
    expect(logs()).toContainEqual(expect.objectContaining({ event: "config-unavailable", api, stage: "prod" }));

    // Counted per stage under the version "unavailable" (flushed once the Registry answers again).
    control.fault = "ok";
    // Read through the same app's admin route: it flushes that app's own unsent metrics first.
    const read = await fetch(`http://localhost/_portico/apis/${api}/stages/prod/metrics?minutes=5`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const metrics = (await read.json()) as { versions: { version: string; count: number; c5xx: number }[] };
    expect(metrics.versions).toContainEqual(expect.objectContaining({ version: "unavailable", count: 1, c5xx: 1 }));
  });

  it("fails closed when the Registry hangs past its 2 s bound", { timeout: 15_000 }, async () => {
    const { api, v1 } = await setup();
    const { env, control } = faultyEnv();
    control.fault = "hang";
    control.snapshots = "miss";
    errorLog();
    const res = await appOn(env, v1)(`http://${api}.test/who`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe(UNAVAILABLE);
  });

  it("reads the Registry's copy of the bundle when a KV read throws (a KV error is a KV miss): v2 answers 401", async () => {
    const { api, v1, v2 } = await setup();
    const { env, control } = faultyEnv();
    control.kv = "throw";
    const logs = errorLog();
    const res = await appOn(env, v1)(`http://${api}.test/who`);
    expect([res.status, versionOf(res)]).toEqual([401, short(v2)]);
    expect(logs()).toContainEqual(expect.objectContaining({ event: "bundle-kv-error", id: v2 }));
  });

  it("fails closed when KV throws and the Registry's copy is unavailable too", async () => {
    const { api, v1 } = await setup();
    const { env, control } = faultyEnv();
    control.kv = "throw";
    control.fault = "no-bundle-copy";
    errorLog();
    const res = await appOn(env, v1)(`http://${api}.test/who`);
    expect(res.status).toBe(503);
  });

  it("keeps serving the version it knew (v2: 401) when the Registry fails later", async () => {
    const { api, v1, v2 } = await setup();
    const { env, control } = faultyEnv();
    const fetch = appOn(env, v1);
    expect([(await fetch(`http://${api}.test/who`)).status]).toEqual([401]);
    control.fault = "throw";
    errorLog();
    await new Promise((r) => setTimeout(r, 250)); // past REGISTRY_MEMO_MS (200 in tests)
    const res = await fetch(`http://${api}.test/who`);
    expect([res.status, versionOf(res)]).toEqual([401, short(v2)]);
  });

  it("still serves the embedded bundle for an API the Registry positively says was never published", async () => {
    const api = uniqueApi("emb");
    const v1 = await compileDefinition(definition(api, "v1"));
    const res = await appOn(faultyEnv().env, v1)(`http://${api}.test/who`);
    expect([res.status, versionOf(res), await res.json()]).toEqual([200, short(v1.id), { tag: "v1" }]);
  });
});
