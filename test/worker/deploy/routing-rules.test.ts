/**
 * Routing rules for custom domains in published versions: carried through publish → the domain index → the
 * `snapshot:domains` snapshot → each isolate's domain table, with the table's versioning and fail-closed rules (a
 * stale snapshot never takes rules back, an unread table never lets the embedded rules stand in). Real Registry and
 * KV; the app under test is a fresh isolate on faultyEnv, which can make its Registry and KV fail.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { compileDefinition } from "../../../src/config/compile.ts";
import type { DomainRoutingDefinition } from "../../../src/config/types.ts";
import { DOMAINS_SNAPSHOT_KEY, type DomainTable, type Snapshot } from "../../../src/deploy/snapshots.ts";
import { backendUrl } from "../support/gateway.ts";
import { admin, adminOk, appOn, ENV, errorLog, faultyEnv, publish, sleep, uniqueApi } from "./support.ts";

const MEMO_MS = 200;
afterEach(() => vi.restoreAllMocks());

/** Keeps the expected error logs out of the output; returns the JSON ones. */
const beta = (priority: number, glob = "beta*") => ({ priority, conditions: [{ matchHeaders: { anyOf: [{ header: "x-version", valueGlob: glob }] } }], actions: [{ invokeApi: { stage: "beta" } }] });
const orders = { priority: 200, conditions: [{ matchBasePaths: { anyOf: ["orders"] } }], actions: [{ invokeApi: { stage: "beta", stripBasePath: true } }] };

/** An API on `<api>.test` (prod by mapping) whose every path goes to the echo backend, saying which stage served. */
function routed(api: string, routing?: DomainRoutingDefinition, more: Record<string, unknown> = {}) {
  return {
    name: api,
    stages: { prod: { variables: { name: "prod" } }, beta: { variables: { name: "beta" } } },
    domains: [{ host: `${api}.test`, stage: "prod" }],
    ...(routing ? { domainRouting: { [`${api}.test`]: routing } } : {}),
    routes: { "ANY /{proxy+}": { integration: { type: "http_proxy", uri: `${backendUrl()}/echo/{proxy}`, headers: { "x-stage": "${stageVariables.name}" } } } },
    ...more,
  };
}

/** Publishes to both stages (beta first): a version becomes the API's rules by being made stable on any stage. */
async function publishBoth(definition: unknown): Promise<string> {
  await publish(definition, { stage: "beta" });
  return publish(definition);
}

type Fetch = ReturnType<typeof appOn>;
async function served(fetch: Fetch, url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  if (res.status !== 200) return { status: res.status, body: await res.text() };
  const echo = (await res.json()) as { rawUrl: string; headers: Record<string, string> };
  return { status: 200, stage: echo.headers["x-stage"], path: echo.rawUrl };
}

async function domainSnapshot(): Promise<Snapshot<DomainTable>> {
  return JSON.parse((await ENV.BUNDLES.get(DOMAINS_SNAPSHOT_KEY))!) as Snapshot<DomainTable>;
}

describe("routing rules of published versions", () => {
  it("route by header and base path, then the mappings, in a fresh isolate from the domain snapshot alone", async () => {
    const api = uniqueApi("rr");
    await publishBoth(routed(api, { routingMode: "ROUTING_RULE_THEN_API_MAPPING", rules: [orders, beta(100)] }));
    const snapshot = await domainSnapshot();
    expect(snapshot.value.routing).toContainEqual({
      host: `${api}.test`,
      api,
      routingMode: "ROUTING_RULE_THEN_API_MAPPING",
      rules: [
        { priority: 100, headers: [{ header: "x-version", valueGlob: "beta*" }], basePaths: [], apiId: null, stage: "beta", stripBasePath: false },
        { priority: 200, headers: [], basePaths: ["orders"], apiId: null, stage: "beta", stripBasePath: true },
      ],
    });
    expect(snapshot.value.apis).toContain(api);

    const { env, control } = faultyEnv();
    const fetch = appOn(env);
    const host = `http://${api}.test`;
    expect(await served(fetch, `${host}/orders/1`, { "x-version": "beta-2" })).toEqual({ status: 200, stage: "beta", path: "/echo/orders/1" });
    expect(await served(fetch, `${host}/orders/1`)).toEqual({ status: 200, stage: "beta", path: "/echo/1" });
    expect(await served(fetch, `${host}/pets`, { "x-version": "alpha" })).toEqual({ status: 200, stage: "prod", path: "/echo/pets" });
    // Pointers, the domain table and its rules all came from KV: no Registry call.
    expect(control.calls).toEqual([]);
  });

  it("follow the version most recently made stable: a publish to any stage, a version without rules, a rollback", { timeout: 20_000 }, async () => {
    const api = uniqueApi("rrv");
    const host = `http://${api}.test`;
    await publishBoth(routed(api, { routingMode: "ROUTING_RULE_ONLY", rules: [beta(1)] }));
    const { env } = faultyEnv();
    const fetch = appOn(env);
    expect(await served(fetch, `${host}/pets`)).toEqual({ status: 403, body: '{"message":"Forbidden"}' });
    expect(await served(fetch, `${host}/pets`, { "x-version": "beta" })).toMatchObject({ stage: "beta" });

    // v2's rule (another glob) published to beta only: the API's rules are v2's now, prod's version unchanged.
    await publish(routed(api, { routingMode: "ROUTING_RULE_ONLY", rules: [beta(1, "next*")] }), { stage: "beta" });
    await sleep(MEMO_MS + 50);
    expect(await served(fetch, `${host}/pets`, { "x-version": "beta" })).toMatchObject({ status: 403 });
    expect(await served(fetch, `${host}/pets`, { "x-version": "next" })).toMatchObject({ stage: "beta" });

    // v3 has no rules: the host's mappings serve again.
    await publish(routed(api));
    await sleep(MEMO_MS + 50);
    expect(await served(fetch, `${host}/pets`, { "x-version": "next" })).toEqual({ status: 200, stage: "prod", path: "/echo/pets" });
    expect((await domainSnapshot()).value.routing?.some((r) => r.api === api)).toBe(false);

    // Rolling prod back to v1 makes v1 the version most recently made stable: its rules are back.
    await adminOk(`/apis/${api}/stages/prod/rollback`, { method: "POST", json: {} });
    await sleep(MEMO_MS + 50);
    expect(await served(fetch, `${host}/pets`)).toMatchObject({ status: 403 });
    expect(await served(fetch, `${host}/pets`, { "x-version": "beta" })).toMatchObject({ stage: "beta" });
  });

  it("a canary's rules wait for its promotion", async () => {
    const api = uniqueApi("rrc");
    const host = `http://${api}.test`;
    await publishBoth(routed(api));
    await publish(routed(api, { routingMode: "ROUTING_RULE_ONLY", rules: [beta(1)] }), { canary: 50 });
    const fetch = appOn(faultyEnv().env);
    // Whichever version serves the request, the host's rules are the stable version's: none.
    for (let i = 0; i < 4; i++) expect(await served(fetch, `${host}/pets`)).toMatchObject({ status: 200, stage: "prod" });
    await adminOk(`/apis/${api}/stages/prod/canary/promote`, { method: "POST", json: {} });
    await sleep(MEMO_MS + 50);
    expect(await served(fetch, `${host}/pets`)).toMatchObject({ status: 403 });
  });
});

describe("the domain table's rules: versioning and failures", () => {
  it("a stale domain snapshot never takes the rules back: KV serving the table from before them, with the Registry down or up", async () => {
    const api = uniqueApi("rrs");
    const host = `http://${api}.test`;
    await publishBoth(routed(api));
    const before = (await ENV.BUNDLES.get(DOMAINS_SNAPSHOT_KEY))!; // the table without the rules
    await publish(routed(api, { routingMode: "ROUTING_RULE_ONLY", rules: [beta(1)] }));
    const { env, control } = faultyEnv();
    const fetch = appOn(env);
    expect(await served(fetch, `${host}/pets`)).toMatchObject({ status: 403 }); // this isolate knows the rules

    control.staleSnapshots.set(DOMAINS_SNAPSHOT_KEY, before);
    control.fault = "throw";
    const logs = errorLog();
    for (let i = 0; i < 2; i++) {
      await sleep(MEMO_MS + 50);
      expect(await served(fetch, `${host}/pets`)).toMatchObject({ status: 403 });
    }
    expect(logs()).toContainEqual(expect.objectContaining({ event: "snapshot-behind", key: DOMAINS_SNAPSHOT_KEY }));
    control.fault = "ok";
    await sleep(MEMO_MS + 50);
    expect(await served(fetch, `${host}/pets`)).toMatchObject({ status: 403 });
  });

  it("a snapshot with a malformed rule is refused (logged) and the Registry asked", async () => {
    const api = uniqueApi("rrm");
    await publishBoth(routed(api, { routingMode: "ROUTING_RULE_ONLY", rules: [beta(1)] }));
    const good = await domainSnapshot();
    const junk = structuredClone(good);
    const mine = junk.value.routing!.find((r) => r.api === api)!;
    (mine.rules[0] as unknown as Record<string, unknown>).stripBasePath = "yes";
    junk.version += 1000; // newer than anything: only the check stops it
    const { env, control } = faultyEnv();
    control.staleSnapshots.set(DOMAINS_SNAPSHOT_KEY, JSON.stringify(junk));
    const logs = errorLog();
    const fetch = appOn(env);
    expect(await served(fetch, `http://${api}.test/pets`)).toMatchObject({ status: 403 });
    expect(await served(fetch, `http://${api}.test/pets`, { "x-version": "beta" })).toMatchObject({ stage: "beta" });
    expect(logs()).toContainEqual(expect.objectContaining({ event: "snapshot-refused", key: DOMAINS_SNAPSHOT_KEY }));
    expect(control.calls).toContain("domainTable");
  });

  it("an embedded bundle's rules serve only while their API was never published, and never for an unread table (503)", async () => {
    const api = uniqueApi("rre");
    const host = `http://${api}.test`;
    const embedded = await compileDefinition(routed(api, { routingMode: "ROUTING_RULE_ONLY", rules: [beta(1)] }), { localDev: true });
    // Never published: the embedded rules (and bundle) serve.
    const fresh = appOn(faultyEnv().env, embedded);
    expect(await served(fresh, `${host}/pets`)).toMatchObject({ status: 403 });
    expect(await served(fresh, `${host}/pets`, { "x-version": "beta" })).toMatchObject({ stage: "beta" });

    // Neither the snapshot nor the Registry can be read: the published table might route the host otherwise.
    const down = faultyEnv();
    down.control.fault = "throw";
    down.control.snapshots = "throw";
    const logs = errorLog();
    const res = await appOn(down.env, embedded)(`${host}/pets`, { headers: { "x-version": "beta" } });
    expect([res.status, await res.json()]).toEqual([503, { message: "Service Unavailable" }]);
    expect(logs()).toContainEqual(expect.objectContaining({ event: "config-unavailable", host: `${api}.test` }));

    // Published once, without rules: the embedded ones are out of date and never stand in again.
    await publishBoth(routed(api));
    expect(await served(appOn(faultyEnv().env, embedded), `${host}/pets`)).toEqual({ status: 200, stage: "prod", path: "/echo/pets" });
  });
});

describe("who may hold a host's rules (409, nothing changed)", () => {
  it("one API's rules per host, and no other API's mappings beside them", async () => {
    const a = uniqueApi("rro");
    const b = uniqueApi("rro");
    await publishBoth(routed(a, { routingMode: "ROUTING_RULE_ONLY", rules: [beta(1)] }));
    await publishBoth(routed(b));
    const refused = async (definition: unknown, message: string) => {
      const res = await admin("/deployments", { json: { definition, stage: "prod" } });
      expect([res.status, ((await res.json()) as { message: string }).message]).toEqual([409, message]);
    };
    // b's rules for a's host; b mapping a's host; a's rules for b's (mapped) host.
    await refused({ ...routed(b), domainRouting: { [`${a}.test`]: { routingMode: "ROUTING_RULE_ONLY", rules: [beta(1)] } } }, `host ${a}.test already has routing rules of API ${a}`);
    await refused({ ...routed(b), domains: [{ host: `${a}.test`, basePath: "b", stage: "prod" }] }, `host ${a}.test has routing rules of API ${a}: only that API may map it`);
    await refused({ ...routed(a, { routingMode: "ROUTING_RULE_ONLY", rules: [beta(1)] }), domainRouting: { [`${b}.test`]: { routingMode: "ROUTING_RULE_ONLY", rules: [beta(1)] } } }, `host ${b}.test is mapped to API ${b}: routing rules for it must be that API's`);
    // Nothing moved: b's host still maps to b, a's rules are a's.
    const table = (await domainSnapshot()).value;
    expect(table.routing!.filter((r) => r.host === `${a}.test` || r.host === `${b}.test`).map((r) => [r.host, r.api])).toEqual([[`${a}.test`, a]]);
    expect(table.domains.filter((d) => d.host === `${a}.test`).map((d) => d.api)).toEqual([a]);
  });

  it("the index refuses what the admin API would have (a sync that races a publish), keeping what it had", async () => {
    const a = uniqueApi("rri");
    const b = uniqueApi("rri");
    await publishBoth(routed(a, { routingMode: "ROUTING_RULE_ONLY", rules: [beta(1)] }));
    const index = ENV.REGISTRY.get(ENV.REGISTRY.idFromName("index"));
    const rows = [{ host: `${a}.test`, routingMode: "ROUTING_RULE_ONLY" as const, rules: [], api: b }];
    expect(await index.mapDomains({ v: 1, api: b, version: 1, domains: [], routing: rows })).toEqual({
      v: 1,
      ok: false,
      status: 409,
      message: `host ${a}.test already has routing rules of API ${a}`,
      field: "domainRouting",
    });
    expect((await index.domainTable({ v: 1 })) as { value: DomainTable }).toMatchObject({ value: { routing: expect.arrayContaining([expect.objectContaining({ host: `${a}.test`, api: a })]) } });
  });
});
