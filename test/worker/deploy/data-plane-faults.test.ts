/**
 * The data plane when deployments misbehave: a Registry that throws or hangs (a fault-injection wrapper around
 * the real namespace), and bundles in KV that do not hash to their id. Where a test needs the configuration store
 * down as a whole, KV's snapshots are made unreadable too: with them readable, an isolate follows the snapshots
 * without the Registry (test/worker/deploy/snapshots.test.ts).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { bundleId, canonicalJson } from "../../../src/config/bundle.ts";
import { registryFor } from "../../../src/deploy/registry-client.ts";
import { REGISTRY_CONTRACT } from "../../../durable-objects/registry/contract.ts";
import { compileDefinition } from "../../../src/config/compile.ts";
import { appOn, definition, EMBEDDED, ENV, errorLog, faultyEnv, publish, short, sleep, uniqueApi, until } from "./support.ts";

const MEMO_MS = 200;
const versionOf = (res: Response) => res.headers.get("x-portico-version");

afterEach(() => vi.restoreAllMocks());

/** Log lines written with console.error, parsed where they are JSON. */
describe("Registry unreachable", () => {
  it("keeps serving the last known version when the Registry throws or hangs, and catches up when it is back", { timeout: 30_000 }, async () => {
    const api = uniqueApi("down");
    const v1 = await publish(definition(api, "v1"));
    const { env, control } = faultyEnv();
    const fetch = appOn(env);
    const who = () => fetch(`http://${api}.test/who`);
    expect(versionOf(await who())).toBe(short(v1));

    const logs = errorLog();
    control.fault = "throw";
    control.snapshots = "throw";
    const v2 = await publish(definition(api, "v2")); // through the real Registry: this app cannot see it
    await sleep(MEMO_MS + 50);
    const calls = control.calls.length;
    for (let i = 0; i < 3; i++) {
      const res = await who();
      expect([res.status, versionOf(res), await res.json()]).toEqual([200, short(v1), { tag: "v1" }]);
      await sleep(400);
    }
    expect(control.calls.length).toBeGreaterThan(calls); // it did ask, and failed
    expect(logs()).toContainEqual(expect.objectContaining({ event: "registry-unreachable", key: api, keepServing: true }));

    control.fault = "hang";
    await sleep(1_100); // past the retry delay after a failure
    const started = Date.now();
    const slow = await who();
    expect([slow.status, versionOf(slow)]).toEqual([200, short(v1)]);
    // Each Registry read gives up after its own bound (2 s) instead of holding the request forever.
    expect(Date.now() - started).toBeLessThan(6_000);

    control.fault = "ok";
    await until(async () => versionOf(await who()) === short(v2), 2_500);
    control.snapshots = "ok";
    expect(await (await who()).json()).toEqual({ tag: "v2" });
  });

  it("fails closed (503) when nothing was ever known: the embedded default never stands in for an unread Registry", async () => {
    const { env, control } = faultyEnv();
    control.fault = "throw";
    control.snapshots = "throw";
    const logs = errorLog();
    const fetch = appOn(env);
    const res = await fetch("http://localhost/prod/health");
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ message: "Service Unavailable" });
    expect(versionOf(res)).toBeNull();
    expect(control.calls).toContain("serving");
    expect(logs()).toContainEqual(expect.objectContaining({ event: "registry-unreachable", key: EMBEDDED.bundle.api.name, keepServing: false }));
    expect(logs()).toContainEqual(expect.objectContaining({ event: "config-unavailable", api: EMBEDDED.bundle.api.name, stage: "prod" }));
    // Once the Registry answers that the stage was never published, the embedded default serves it.
    control.fault = "ok";
    control.snapshots = "ok";
    await sleep(1_100); // past the retry delay after a failure
    const ok = await fetch("http://localhost/prod/health");
    expect([ok.status, versionOf(ok)]).toEqual([200, short(EMBEDDED.id)]);
    // A stage the embedded bundle does not define is still unknown.
    expect((await fetch("http://localhost/nope/health")).status).toBe(403);
  });
});

describe("bundles that do not hash to their id", () => {
  /** Publishes v1 (served by a fresh app), then v2 with KV already holding a corrupted text under v2's id. */
  async function corruptedV2() {
    const api = uniqueApi("bad");
    const v1 = await publish(definition(api, "v1"));
    const { id, bundle } = await compileDefinition(definition(api, "v2"));
    // The mock's body is a JSON string inside the bundle: `{\"tag\":\"v2\"}`. Accepting this text would serve "evil".
    const corrupted = canonicalJson(bundle).replace('\\"tag\\":\\"v2\\"', '\\"tag\\":\\"evil\\"');
    expect(corrupted).not.toBe(canonicalJson(bundle));
    await ENV.BUNDLES.put(`bundle:${id}`, corrupted);
    return { api, v1, v2: id, corrupted };
  }

  it("refuses a corrupted KV bundle (logged) and keeps serving the last good one when the Registry copy is unavailable", { timeout: 10_000 }, async () => {
    const { api, v1, v2, corrupted } = await corruptedV2();
    const { env, control } = faultyEnv();
    const fetch = appOn(env);
    expect(versionOf(await fetch(`http://${api}.test/who`))).toBe(short(v1));

    expect(await publish(definition(api, "v2"))).toBe(v2);
    expect(await ENV.BUNDLES.get(`bundle:${v2}`)).toBe(corrupted); // publishing never overwrites a bundle key
    control.fault = "no-bundle-copy";
    const logs = errorLog();
    await sleep(MEMO_MS + 50);
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`http://${api}.test/who`);
      expect([res.status, versionOf(res), await res.json()]).toEqual([200, short(v1), { tag: "v1" }]);
    }
    expect(logs()).toContainEqual(expect.objectContaining({ event: "bundle-refused", source: "kv", id: v2, reason: "content does not hash to its id" }));
    expect(logs()).toContainEqual(expect.objectContaining({ event: "bundle-unavailable", id: v2, servingInstead: v1 }));

    // With the Registry's copy reachable again, the good copy serves — once the refusal, remembered for the
    // memo bound so a bad bundle is not re-read on every request, has expired.
    control.fault = "ok";
    await sleep(MEMO_MS + 50);
    const res = await fetch(`http://${api}.test/who`);
    expect([versionOf(res), await res.json()]).toEqual([short(v2), { tag: "v2" }]);
  });

  it("serves the Registry's good copy to a fresh isolate when KV is corrupted", async () => {
    const { api, v2 } = await corruptedV2();
    await publish(definition(api, "v2"));
    const logs = errorLog();
    const fetch = appOn(faultyEnv().env);
    const res = await fetch(`http://${api}.test/who`);
    expect([res.status, versionOf(res), await res.json()]).toEqual([200, short(v2), { tag: "v2" }]);
    expect(logs()).toContainEqual(expect.objectContaining({ event: "bundle-refused", source: "kv", id: v2 }));
    expect(logs().some((l) => l.event === "bundle-unavailable")).toBe(false);
  });

  it("fails closed (503, nothing of the refused text served) when no good copy exists and nothing was served before", async () => {
    const { api, v2 } = await corruptedV2();
    await publish(definition(api, "v2"));
    const logs = errorLog();
    const { env, control } = faultyEnv();
    control.fault = "no-bundle-copy";
    const res = await appOn(env)(`http://${api}.test/who`);
    expect(res.status).toBe(503);
    expect(await res.text()).not.toContain("evil");
    expect(logs()).toContainEqual(expect.objectContaining({ event: "bundle-unavailable", id: v2, servingInstead: null }));
  });

  it("refuses a version whose integrations cannot be built where it is loaded, and keeps serving the last good one", { timeout: 10_000 }, async () => {
    const api = uniqueApi("unbuildable");
    const v1 = await publish(definition(api, "v1"));
    const fetch = appOn(ENV);
    expect(versionOf(await fetch(`http://${api}.test/who`))).toBe(short(v1));
    // A bundle that hashes to its id but whose mock carries a header value no Headers object takes: this release's
    // compiler refuses one, so only another release (or a hand-written bundle) could publish it.
    const { bundle } = await compileDefinition(definition(api, "v2"));
    const who = bundle.routes.find((r) => r.key.endsWith("/who"))!;
    (who.integration as { headers: Record<string, string> }).headers = { "x-bad": "a\nb" };
    const text = canonicalJson(bundle);
    const v2 = await bundleId(bundle);
    await ENV.BUNDLES.put(`bundle:${v2}`, text);
    const deployed = await registryFor(ENV, api).deploy({ v: REGISTRY_CONTRACT, api, bundleId: v2, bundleText: text, routes: bundle.routes.length, bundleStages: Object.keys(bundle.stages), stage: "prod", description: null });
    expect(JSON.stringify(deployed)).toContain('"changed":true');
    const logs = errorLog();
    await sleep(MEMO_MS + 50);
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`http://${api}.test/who`);
      // Before executors were built where the bundle is loaded, this version was served and /who answered 500.
      expect([res.status, versionOf(res), await res.json()]).toEqual([200, short(v1), { tag: "v1" }]);
    }
    expect(logs()).toContainEqual(expect.objectContaining({ event: "bundle-unavailable", id: v2, servingInstead: v1 }));
  });
});
