/**
 * Deployments seen from the data plane, through the Worker's app (and, for the memo bound, its own entry) with the
 * real Registry and KV: a publish or rollback reaches requests within the memo bound, every request is served by
 * one version, canaries split, stick, override variables and can be forced, the version header, and per-version
 * metrics.
 */
import { describe, expect, it } from "vitest";
import { bucketOf, inCanary } from "../../../src/deploy/canary.ts";
import { admin, adminOk, data, dataViaSelf, definition, FORCE_SECRET, publish, short, sleep, uniqueApi, until, versionOf } from "./support.ts";

const FORCE = (version: string, secret = FORCE_SECRET) => ({ "x-portico-force-version": version, "x-portico-force-secret": secret });

/** Publishes `v1` then waits until the data plane serves it (the host's empty mapping may be memoised). */
async function servingV1(api: string, more: Record<string, unknown> = {}, routes: Record<string, unknown> = {}) {
  const v1 = await publish(definition(api, "v1", more, routes));
  await until(async () => versionOf(await data(api, "/who")) === short(v1), 1500);
  return v1;
}

describe("a publish or rollback reaches requests within the memo bound", () => {
  it("switches after the publish, not before, and back after a rollback (through the Worker's entry)", async () => {
    const api = uniqueApi();
    const data = dataViaSelf;
    const v1 = await publish(definition(api, "v1"));
    await until(async () => versionOf(await data(api, "/who")) === short(v1), 1500);
    for (let i = 0; i < 5; i++) expect(versionOf(await data(api, "/who"))).toBe(short(v1));

    let v2 = "";
    const publishing = publish(definition(api, "v2")).then((id) => (v2 = id));
    const seen: string[] = [];
    // While the publish is in flight a request sees v1, or v2 once the pointer has moved: nothing else.
    while (!v2) seen.push(versionOf(await data(api, "/who"))!);
    await publishing;
    const published = Date.now();
    for (const v of seen) expect([short(v1), short(v2)]).toContain(v);
    const switched = await until(async () => versionOf(await data(api, "/who")) === short(v2), 1500);
    expect(switched - published).toBeLessThan(1500);
    expect(await (await data(api, "/who")).json()).toEqual({ tag: "v2" });

    await adminOk(`/apis/${api}/stages/prod/rollback`, { json: {} });
    const rolledBack = Date.now();
    const back = await until(async () => versionOf(await data(api, "/who")) === short(v1), 1500);
    expect(back - rolledBack).toBeLessThan(1500);
    expect(await (await data(api, "/who")).json()).toEqual({ tag: "v1" });
  });
});

describe("every request is served wholly by one version", () => {
  it("never mixes v1's routes with v2's stage variables while a publish happens", { timeout: 20_000 }, async () => {
    const api = uniqueApi();
    const v1 = await servingV1(api);
    const paths = ["/greet", "/only-v1", "/only-v2", "/who"];
    const one = async (path: string) => {
      const res = await data(api, path);
      return { path, status: res.status, version: versionOf(res), body: (await res.json()) as Record<string, unknown> };
    };
    let v2 = "";
    let publishedAt = 0;
    const publishing = sleep(100)
      .then(() => publish(definition(api, "v2")))
      .then((id) => ((v2 = id), (publishedAt = Date.now())));
    // Overlapping requests, at least 200, until well past the memo bound after the publish answered.
    const requests: ReturnType<typeof one>[] = [];
    while (requests.length < 200 || !publishedAt || Date.now() - publishedAt < 600) {
      requests.push(one(paths[requests.length % paths.length]!));
      await sleep(5);
    }
    await publishing;
    const results = await Promise.all(requests);

    const tagOf = new Map([
      [short(v1), "v1"],
      [short(v2), "v2"],
    ]);
    for (const r of results) {
      const tag = tagOf.get(r.version!);
      expect(tag, `unknown version ${r.version}`).toBeDefined();
      if (r.path === "/greet") expect(r.body).toEqual({ message: `route-${tag} var-${tag}, friend!` });
      else if (r.path === "/who") expect(r.body).toEqual({ tag });
      else if (r.path === `/only-${tag}`) expect([r.status, r.body]).toEqual([200, { only: tag }]);
      else expect([r.status, r.body]).toEqual([403, { message: "Missing Authentication Token" }]);
    }
    // Both versions served during the run (the check above was not vacuous).
    expect(new Set(results.map((r) => tagOf.get(r.version!)))).toEqual(new Set(["v1", "v2"]));
  });
});

describe("canary", () => {
  async function withCanary(canary: Record<string, unknown>) {
    const api = uniqueApi();
    const v1 = await servingV1(api);
    const v2 = await publish(definition(api, "v2"), { canary: 0 });
    await adminOk(`/apis/${api}/stages/prod/canary`, { method: "PUT", json: canary });
    // The forced canary shows the data plane has read the new pointers.
    await until(async () => versionOf(await data(api, "/who", FORCE("canary"))) === short(v2), 1500);
    await sleep(250); // and the memo of the canary's settings has turned over at least once
    return { api, v1, v2 };
  }

  it("at 10% with a sticky header: the same value always gets the same version, ~10% of values the canary", { timeout: 60_000 }, async () => {
    const { api, v1, v2 } = await withCanary({ percent: 10, sticky: { kind: "header", name: "x-user" } });
    const values = Array.from({ length: 2000 }, (_, i) => `user-${i}-${api}`);
    const served = new Map<string, string>();
    for (let i = 0; i < values.length; i += 100)
      await Promise.all(values.slice(i, i + 100).map(async (v) => served.set(v, versionOf(await data(api, "/who", { "x-user": v }))!)));
    let canary = 0;
    for (const v of values) {
      const expected = inCanary(bucketOf(v), 10) ? v2 : v1;
      expect(served.get(v)).toBe(short(expected));
      if (served.get(v) === short(v2)) canary++;
    }
    expect(Math.abs(canary / values.length - 0.1)).toBeLessThanOrEqual(0.03);
    for (const v of values.slice(0, 200)) for (let k = 0; k < 2; k++) expect(versionOf(await data(api, "/who", { "x-user": v }))).toBe(served.get(v));
  });

  it("applies stage-variable overrides to canary requests only", { timeout: 20_000 }, async () => {
    const { api, v1, v2 } = await withCanary({ percent: 50, sticky: { kind: "header", name: "x-user" }, stageVariableOverrides: { word: "canary-word" } });
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const res = await data(api, "/greet", { "x-user": `caller-${i}` });
      const version = versionOf(res)!;
      seen.add(version);
      const body = await res.json();
      if (version === short(v2)) expect(body).toEqual({ message: "route-v2 canary-word, friend!" });
      else expect([version, body]).toEqual([short(v1), { message: "route-v1 var-v1, friend!" }]);
    }
    expect(seen.size).toBe(2);
  });

  it("honours a forced version only with the right secret", async () => {
    const zero = await withCanary({ percent: 0 });
    expect(versionOf(await data(zero.api, "/who", FORCE("canary")))).toBe(short(zero.v2));
    expect(versionOf(await data(zero.api, "/who", FORCE(zero.v2.slice(0, 8))))).toBe(short(zero.v2));
    for (let i = 0; i < 10; i++) {
      expect(versionOf(await data(zero.api, "/who", FORCE("canary", "wrong-secret")))).toBe(short(zero.v1));
      expect(versionOf(await data(zero.api, "/who", { "x-portico-force-version": "canary" }))).toBe(short(zero.v1));
    }

    const all = await withCanary({ percent: 100 });
    expect(versionOf(await data(all.api, "/who", FORCE("stable")))).toBe(short(all.v1));
    expect(versionOf(await data(all.api, "/who", FORCE("stable", "test-force-secreT")))).toBe(short(all.v2));
    expect(versionOf(await data(all.api, "/who"))).toBe(short(all.v2));
  });
});

describe("the version header", () => {
  it("is configurable with settings.versionHeader, and off with false", async () => {
    const named = uniqueApi();
    const id = await publish(definition(named, "v1", { settings: { versionHeader: "x-build" } }));
    await until(async () => (await data(named, "/who")).headers.get("x-build") === short(id), 1500);
    const res = await data(named, "/who");
    expect(res.headers.get("x-portico-version")).toBeNull();
    // Gateway errors carry it too.
    expect((await data(named, "/missing")).headers.get("x-build")).toBe(short(id));

    const off = uniqueApi();
    const offId = await publish(definition(off, "v1", { settings: { versionHeader: false } }));
    await until(async () => (await data(off, "/who")).status === 200, 1500);
    const quiet = await data(off, "/who");
    expect(quiet.headers.get("x-portico-version")).toBeNull();
    expect([...quiet.headers.values()].some((v) => v === short(offId))).toBe(false);
    expect(await quiet.json()).toEqual({ tag: "v1" });
  });
});

describe("per-version metrics", () => {
  it("counts requests, 4xx and 5xx per version with latency percentiles", { timeout: 20_000 }, async () => {
    const api = uniqueApi();
    const v1 = await servingV1(api);
    const v2 = await publish(definition(api, "v2", {}, { "GET /who": { integration: { type: "mock", status: 503, body: { down: true } } } }), { canary: 0 });
    await until(async () => (await data(api, "/who", FORCE("canary"))).status === 503, 1500);
    // The requests above (polling) are counted too: measure from the metrics' state now.
    const before = await versions(api);
    for (let i = 0; i < 20; i++) expect((await data(api, "/who")).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await data(api, "/nope")).status).toBe(403);
    for (let i = 0; i < 15; i++) expect((await data(api, "/who", FORCE("canary"))).status).toBe(503);

    const stable0 = before.get(v1) ?? { count: 0, c4xx: 0, c5xx: 0 };
    const canary0 = before.get(v2) ?? { count: 0, c4xx: 0, c5xx: 0 };
    let after = await versions(api);
    await until(async () => (after = await versions(api)).get(v1)?.count === stable0.count + 30 && after.get(v2)?.count === canary0.count + 15, 5000, 200);
    expect(after.get(v1)).toMatchObject({ role: "stable", count: stable0.count + 30, c4xx: stable0.c4xx + 10, c5xx: stable0.c5xx });
    expect(after.get(v2)).toMatchObject({ role: "canary", count: canary0.count + 15, c4xx: canary0.c4xx, c5xx: canary0.c5xx + 15 });
    for (const m of after.values()) {
      expect(typeof m.p50).toBe("number");
      expect(m.p50!).toBeLessThanOrEqual(m.p95!);
      expect(m.p95!).toBeLessThanOrEqual(m.p99!);
    }
    expect(after.get(v2)!.errorRate5xx).toBe(1);
  });
});

type Version = { version: string; role: string; count: number; c4xx: number; c5xx: number; errorRate5xx: number; p50: number | null; p95: number | null; p99: number | null };

async function versions(api: string): Promise<Map<string, Version>> {
  const res = await admin(`/apis/${api}/stages/prod/metrics?minutes=5`);
  const body = (await res.json()) as { versions: Version[]; stable: string };
  expect(res.status).toBe(200);
  return new Map(body.versions.map((v) => [v.version, v]));
}
