/**
 * Configuration snapshots (issue 12): the Registry writes each API's pointers and the domain table to KV after every
 * change, versioned; isolates read those instead of calling the Registry, never go back to a lower version than one
 * they saw, and trust a snapshot alone only while it is younger than SNAPSHOT_TRUST_MS. Real Registry and KV; the
 * app under test sees them through faultyEnv, which can make its Registry throw and its KV miss, throw or serve an
 * older snapshot (a stale copy at this location).
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { SNAPSHOT_REWRITE_MS } from "../../../durable-objects/registry/registry.ts";
import { afterEach, describe, expect, it, vi } from "vitest";
import { apiSnapshotKey, DOMAINS_SNAPSHOT_KEY, SNAPSHOT_TRUST_MS, type Snapshot } from "../../../src/deploy/snapshots.ts";
import type { ServingState } from "../../../src/deploy/types.ts";
import { compileDefinition } from "../../../src/config/compile.ts";
import { admin, adminOk, appOn, definition, ENV, errorLog, faultyEnv, publish, short, sleep, uniqueApi, versionOf } from "./support.ts";

const MEMO_MS = 200;
afterEach(() => vi.restoreAllMocks());

async function snapshotOf<T = ServingState>(key: string): Promise<Snapshot<T>> {
  const text = await ENV.BUNDLES.get(key);
  expect(text, key).not.toBeNull();
  return JSON.parse(text!) as Snapshot<T>;
}

/** Log lines written with console.error, parsed where they are JSON (and kept out of the test output). */
const guarded = { authorizers: { gate: { type: "custom", mode: "request", identitySource: "$request.header.x-token", url: "https://auth.invalid/", resultTtlSeconds: 0 } } };
/** Every route of a definition behind the `gate` authorizer: without x-token, 401. */
function withGate(def: ReturnType<typeof definition>) {
  return { ...def, ...guarded, routes: Object.fromEntries(Object.entries(def.routes).map(([k, r]) => [k, { ...(r as object), authorizer: "gate" }])) };
}

describe("the snapshots the Registry writes", () => {
  it("are versioned and rewritten on every change: publish, canary, cache flush, promotion, and the domain table", async () => {
    const api = uniqueApi("snap");
    const v1 = await publish(definition(api, "v1"));
    const first = await snapshotOf(apiSnapshotKey(api));
    expect(first).toMatchObject({ format: 1, value: { api, stages: { prod: { deploymentId: v1, canary: null } } } });
    expect(Date.now() - first.writtenAt).toBeLessThan(5000);

    const v2 = await publish(definition(api, "v2"), { canary: 10 });
    const second = await snapshotOf(apiSnapshotKey(api));
    expect(second.version).toBeGreaterThan(first.version);
    expect(second.value.stages.prod!.canary).toMatchObject({ deploymentId: v2, percent: 10 });

    await adminOk(`/apis/${api}/stages/prod/canary`, { method: "PUT", json: { percent: 50 } });
    const third = await snapshotOf(apiSnapshotKey(api));
    expect([third.version > second.version, third.value.stages.prod!.canary!.percent]).toEqual([true, 50]);

    await adminOk(`/apis/${api}/stages/prod/cache/flush`, { method: "POST", json: {} });
    const fourth = await snapshotOf(apiSnapshotKey(api));
    expect([fourth.version > third.version, fourth.value.stages.prod!.cacheGeneration]).toEqual([true, 1]);

    await adminOk(`/apis/${api}/stages/prod/canary/promote`, { method: "POST", json: {} });
    const fifth = await snapshotOf(apiSnapshotKey(api));
    expect([fifth.version > fourth.version, fifth.value.stages.prod!.deploymentId, fifth.value.stages.prod!.canary]).toEqual([true, v2, null]);
    // The snapshot is what the Registry serves.
    const registry = ENV.REGISTRY.get(ENV.REGISTRY.idFromName(`api:${api}`));
    expect(await registry.serving({ v: 1, api })).toEqual({ v: 1, ok: true, value: fifth.value });

    const domains = await snapshotOf<{ domains: { host: string; api: string }[] }>(DOMAINS_SNAPSHOT_KEY);
    expect(domains.value.domains).toContainEqual({ host: `${api}.test`, basePath: "", api, stage: "prod" });
    const before = domains.version;
    const other = uniqueApi("snapd");
    await publish(definition(other, "v1"));
    const after = await snapshotOf<{ domains: { host: string; api: string }[] }>(DOMAINS_SNAPSHOT_KEY);
    expect(after.version).toBeGreaterThan(before);
    expect(after.value.domains.map((d) => d.api)).toEqual(expect.arrayContaining([api, other]));
  });

  it("end on the Registry's latest version when changes race (writes one at a time, each with the state at its start)", async () => {
    const api = uniqueApi("race");
    await publish(definition(api, "v1"));
    await publish(definition(api, "v2"), { canary: 1 });
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => admin(`/apis/${api}/stages/prod/canary`, { method: "PUT", json: { percent: i + 2 } })));
    expect(answers.map((r) => r.status)).toEqual(Array(8).fill(200));
    const registry = ENV.REGISTRY.get(ENV.REGISTRY.idFromName(`api:${api}`));
    const truth = (await registry.serving({ v: 1, api })) as { value: ServingState };
    const snapshot = await snapshotOf(apiSnapshotKey(api));
    expect(snapshot.version).toBe(truth.value.version);
    expect(snapshot.value).toEqual(truth.value);
  });

  it("are rewritten by the alarm with the same version and a newer writtenAt (the heartbeat that keeps them trusted)", async () => {
    const api = uniqueApi("beat");
    await publish(definition(api, "v1"));
    const before = await snapshotOf(apiSnapshotKey(api));
    await sleep(20);
    const registry = ENV.REGISTRY.get(ENV.REGISTRY.idFromName(`api:${api}`));
    expect(await runDurableObjectAlarm(registry)).toBe(true);
    const after = await snapshotOf(apiSnapshotKey(api));
    expect(after.version).toBe(before.version);
    expect(after.writtenAt).toBeGreaterThan(before.writtenAt);
  });

  it("are written for an API published before snapshots existed, the first time an isolate has to ask its Registry", async () => {
    const api = uniqueApi("old");
    const v1 = await publish(definition(api, "v1"));
    await ENV.BUNDLES.delete(apiSnapshotKey(api)); // as if published by the previous release
    await sleep(SNAPSHOT_REWRITE_MS + 50); // a Registry rewrites a snapshot a reader missed at most this often
    const { env, control } = faultyEnv();
    const res = await appOn(env)(`http://${api}.test/who`);
    expect([res.status, versionOf(res)]).toEqual([200, short(v1)]);
    expect(control.calls).toContain("serving");
    await vi.waitFor(async () => expect((await snapshotOf(apiSnapshotKey(api))).value.stages.prod!.deploymentId).toBe(v1), { timeout: 2000 });
  });
  it("are written for a never-published API when the data plane asks (the embedded default), never for an admin read of a made-up name", async () => {
    const made = uniqueApi("nope");
    expect((await admin(`/apis/${made}/stages`)).status).toBe(404);
    await sleep(50);
    expect(await ENV.BUNDLES.get(apiSnapshotKey(made))).toBeNull();

    // An embedded-only API: the first isolate asks its Registry, which then writes "no stages" for it…
    const api = uniqueApi("emb");
    const v1 = await compileDefinition(definition(api, "v1"));
    const first = faultyEnv();
    expect(versionOf(await appOn(first.env, v1)(`http://${api}.test/who`))).toBe(short(v1.id));
    await vi.waitFor(async () => expect((await snapshotOf(apiSnapshotKey(api))).value).toEqual({ api: "", version: 0, stages: {} }), { timeout: 2000 });
    // …so a fresh isolate serves the embedded default with the Registry down.
    const fresh = faultyEnv();
    fresh.control.fault = "throw";
    errorLog();
    const res = await appOn(fresh.env, v1)(`http://${api}.test/who`);
    expect([res.status, versionOf(res)]).toEqual([200, short(v1.id)]);
    expect(fresh.control.calls).toEqual([]);
  });
});

describe("the data plane on snapshots", () => {
  it("serves a fresh isolate from a fresh snapshot with the Registry down, without calling it", async () => {
    const api = uniqueApi("fresh");
    const v1 = await publish(definition(api, "v1"));
    const { env, control } = faultyEnv();
    control.fault = "throw";
    errorLog();
    const res = await appOn(env)(`http://${api}.test/who`);
    expect([res.status, versionOf(res), await res.json()]).toEqual([200, short(v1), { tag: "v1" }]);
    // Pointers and domain table both from KV: the Registry was not asked for either (the bundle comes from KV too).
    expect(control.calls).toEqual([]);
  });

  it("moves a warm isolate to a snapshot newer than its memo, with the Registry down", async () => {
    const api = uniqueApi("newer");
    const v1 = await publish(definition(api, "v1"));
    const { env, control } = faultyEnv();
    const fetch = appOn(env);
    expect(versionOf(await fetch(`http://${api}.test/who`))).toBe(short(v1));
    control.fault = "throw";
    errorLog();
    const v2 = await publish(withGate(definition(api, "v2"))); // through the real Registry: KV gets v2's snapshot
    // Within the memo the isolate keeps v1; after it, the snapshot moves it to v2 (guarded: 401) — no Registry call.
    await sleep(MEMO_MS + 50);
    const res = await fetch(`http://${api}.test/who`);
    expect([res.status, versionOf(res)]).toEqual([401, short(v2)]);
    expect(control.calls.filter((m) => m === "serving" || m === "domainTable")).toEqual([]);
  });

  it("never serves an older, weaker version: KV serving v1's snapshot again with the Registry down answers 401, never 200", async () => {
    const api = uniqueApi("weak");
    await publish(definition(api, "v1")); // open
    const v1Snapshot = (await ENV.BUNDLES.get(apiSnapshotKey(api)))!;
    const v2 = await publish(withGate(definition(api, "v2"))); // adds an authorizer on every route
    const { env, control } = faultyEnv();
    const fetch = appOn(env);
    expect((await fetch(`http://${api}.test/who`)).status).toBe(401); // this isolate knows v2

    control.staleSnapshots.set(apiSnapshotKey(api), v1Snapshot); // a stale copy at this location
    control.fault = "throw";
    const logs = errorLog();
    for (let i = 0; i < 3; i++) {
      await sleep(MEMO_MS + 50);
      const res = await fetch(`http://${api}.test/who`);
      expect([res.status, versionOf(res)]).toEqual([401, short(v2)]);
    }
    expect(logs()).toContainEqual(expect.objectContaining({ event: "snapshot-behind", key: apiSnapshotKey(api) }));

    // The same stale v1 with the Registry up: the isolate still never goes back.
    control.fault = "ok";
    await sleep(MEMO_MS + 50);
    expect((await fetch(`http://${api}.test/who`)).status).toBe(401);
  });

  it("answers 503 in a fresh isolate whose only snapshot is past the trust bound while the Registry is down; the Registry confirms it when up", async () => {
    const api = uniqueApi("aged");
    await publish(definition(api, "v1"));
    const v1Snapshot = await snapshotOf(apiSnapshotKey(api));
    const v2 = await publish(withGate(definition(api, "v2")));
    // v1's snapshot as KV would hold it had every write since failed: its heartbeat stopped past the bound.
    const aged = JSON.stringify({ ...v1Snapshot, writtenAt: Date.now() - SNAPSHOT_TRUST_MS - 1000 });
    const { env, control } = faultyEnv();
    control.staleSnapshots.set(apiSnapshotKey(api), aged);
    control.fault = "throw";
    const logs = errorLog();
    const res = await appOn(env)(`http://${api}.test/who`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ message: "Service Unavailable" });
    expect(logs()).toContainEqual(expect.objectContaining({ event: "config-unavailable", api }));

    // Registry up: it is asked (once), and its answer — v2 — wins over the aged snapshot.
    const up = faultyEnv();
    up.control.staleSnapshots.set(apiSnapshotKey(api), aged);
    const fetch = appOn(up.env);
    const served = await fetch(`http://${api}.test/who`);
    expect([served.status, versionOf(served)]).toEqual([401, short(v2)]);
    expect(up.control.calls.filter((m) => m === "serving")).toHaveLength(1);
    // Confirmed: the aged snapshot of an older version is ignored, and the Registry is not asked again.
    await sleep(MEMO_MS + 50);
    expect((await fetch(`http://${api}.test/who`)).status).toBe(401);
    expect(up.control.calls.filter((m) => m === "serving")).toHaveLength(1);
  });

  it("reads the Registry when KV is down: a fresh isolate is served, a warm one follows a publish within the memo bound", async () => {
    const api = uniqueApi("kvdown");
    const v1 = await publish(definition(api, "v1"));
    const { env, control } = faultyEnv();
    control.snapshots = "throw";
    const logs = errorLog();
    const fetch = appOn(env);
    const res = await fetch(`http://${api}.test/who`);
    expect([res.status, versionOf(res)]).toEqual([200, short(v1)]);
    expect(control.calls).toEqual(expect.arrayContaining(["serving", "domainTable"]));
    expect(logs()).toContainEqual(expect.objectContaining({ event: "snapshot-kv-error", key: apiSnapshotKey(api) }));

    const v2 = await publish(definition(api, "v2"));
    await sleep(MEMO_MS + 50);
    expect(versionOf(await fetch(`http://${api}.test/who`))).toBe(short(v2));
  });

  it("refuses a malformed snapshot (logged) and asks the Registry", async () => {
    const api = uniqueApi("junk");
    const v1 = await publish(definition(api, "v1"));
    const { env, control } = faultyEnv();
    const logs = errorLog();
    for (const junk of ["not json", JSON.stringify({ format: 1, version: "9", writtenAt: Date.now(), value: {} }), JSON.stringify({ format: 2, version: 99, writtenAt: Date.now(), value: { api, version: 99, stages: {} } })]) {
      control.staleSnapshots.set(apiSnapshotKey(api), junk);
      const res = await appOn(env)(`http://${api}.test/who`);
      expect([res.status, versionOf(res)]).toEqual([200, short(v1)]);
    }
    expect(logs().filter((l) => l.event === "snapshot-refused" && l.key === apiSnapshotKey(api))).toHaveLength(3);
    expect(control.calls.filter((m) => m === "serving")).toHaveLength(3);
  });

  it("maps a custom domain published while its Registry is down in a fresh isolate, through the domain table's snapshot", async () => {
    const api = uniqueApi("dom");
    const { env, control } = faultyEnv();
    control.fault = "throw";
    errorLog();
    const v1 = await publish({ ...definition(api, "v1"), domains: [{ host: `shop-${api}.example`, stage: "prod" }] });
    const res = await appOn(env)(`http://shop-${api}.example/who`);
    expect([res.status, versionOf(res)]).toEqual([200, short(v1)]);
    expect(control.calls).toEqual([]);
  });
});
