/**
 * API keys end to end: created, changed and deleted through the admin API (the Worker's own entry, SELF), held
 * in KeyStore shards as hashes only, and enforced by the api-key step of a gateway served from
 * this isolate (gatewayFor) — Amazon's 403 `{"message":"Forbidden"}` for every refusal (recorded rest-apikey-*),
 * the backend never called. Changes reach the data plane within the memo bound (REGISTRY_MEMO_MS=200 in tests).
 */
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { KeyStore } from "../../../durable-objects/key-store/index.ts";
import { keyStoreName, shardOf } from "../../../durable-objects/key-store/layout.ts";
import { KeyStoreClient } from "../../../src/deploy/key-store-client.ts";
import type { ApiDefinition } from "../../../src/config/types.ts";
import type { Env } from "../../../src/env.ts";
import { generateKeyValue, hashKey, KEY_PATTERN } from "../../../src/security/api-keys.ts";
import { gatewayFor, type TestGateway } from "../support/gateway.ts";
import { echoTo, expectRefused, expectServed, FORBIDDEN_KEY, sleep, uid } from "./support.ts";

const ENV = env as unknown as Env;
const admin = (path: string, init: RequestInit & { json?: unknown } = {}) =>
  SELF.fetch(`http://localhost/_portico${path}`, {
    ...init,
    headers: { authorization: "Bearer test-admin-token", "content-type": "application/json", ...(init.headers ?? {}) },
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
  });

interface Created {
  key: { id: string; hint: string; enabled: boolean; stages: string[] };
  value: string;
}

async function createKey(stages: string[], extra: Record<string, unknown> = {}): Promise<Created> {
  const res = await admin("/keys", { method: "POST", json: { name: `key ${uid()}`, stages, ...extra } });
  expect(res.status).toBe(201);
  return (await res.json()) as Created;
}

/** An API with a key-protected route and an open one, both to the backend's `/echo/<path>`. */
async function keyedApi(extra: Partial<ApiDefinition> = {}, route: Record<string, unknown> = {}) {
  const api = `keys-${uid()}`;
  const path = `${api}-backend`;
  const gw = await gatewayFor({
    name: api,
    stages: { prod: {}, dev: {} },
    routes: { "GET /pets": { apiKeyRequired: true, integration: echoTo(path), ...route }, "GET /open": { integration: echoTo(path) } },
    ...extra,
  });
  const withKey = (value: string | null, stage = "prod") => () => gw.fetch(`/${stage}/pets`, value === null ? {} : { headers: { "x-api-key": value } });
  return { api, gw, backend: `/echo/${path}`, withKey };
}

/** Polls until the gateway refuses (403), for at most `ms`; returns how long it took. */
async function refusedWithin(gw: TestGateway, init: RequestInit, ms: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const res = await gw.fetch("/prod/pets", init);
    await res.body?.cancel();
    if (res.status === 403) return Date.now() - started;
    expect(res.status).toBe(200);
    if (Date.now() - started > ms) throw new Error(`still accepted after ${ms} ms`);
    await sleep(50);
  }
}

describe("keys through the admin API", () => {
  it("shows the value once and stores only its hash", async () => {
    const { key, value } = await createKey(["petstore/prod"]);
    expect(value).toMatch(KEY_PATTERN);
    expect(key).not.toHaveProperty("value");
    const listed = await (await admin("/keys")).text();
    const got = await (await admin(`/keys/${key.id}`)).text();
    expect(listed).toContain(key.id);
    for (const text of [listed, got, JSON.stringify(key)]) {
      expect(text).not.toContain(value);
      expect(text).not.toContain(value.slice(4, 38)); // not even the random body
    }
    // Keys live in the KeyStore shard their hash belongs to.
    const found = (await new KeyStoreClient(ENV).find(key.id))!;
    expect(found.shard).toBe(shardOf(await hashKey(value), found.count));
    const rows = await runInDurableObject(ENV.KEY_STORE.get(ENV.KEY_STORE.idFromName(keyStoreName(found.count, found.shard))), (_k, state) =>
      state.storage.sql.exec("SELECT * FROM api_keys WHERE id = ?", key.id).toArray(),
    );
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.hash).toBe(await hashKey(value));
    for (const [column, stored] of Object.entries(row)) expect(String(stored), column).not.toContain(value.slice(4, 38));
  });

  it.each<[string, unknown, number, string | null]>([
    ["a missing name", { stages: ["petstore/prod"] }, 400, "name"],
    ['a bare stage name ("prod")', { name: "k", stages: ["prod"] }, 400, "stages[0]"],
    ['a bad API name ("Bad/Name")', { name: "k", stages: ["petstore/prod", "Bad/Name"] }, 400, "stages[1]"],
    ["stages that are not a list", { name: "k", stages: "petstore/prod" }, 400, "stages"],
    ["a name that is not a string", { name: 7 }, 400, "name"],
  ])("refuses to create a key with %s", async (_name, body, status, path) => {
    const before = ((await (await admin("/keys")).json()) as { keys: unknown[] }).keys.length;
    const res = await admin("/keys", { method: "POST", json: body });
    expect(res.status).toBe(status);
    const answer = (await res.json()) as { errors?: { path: string }[] };
    expect(answer.errors?.map((e) => e.path)).toContain(path);
    expect(((await (await admin("/keys")).json()) as { keys: unknown[] }).keys.length).toBe(before);
  });

  it("answers 404 for an unknown id on every key route, and 400 for an unknown PATCH field", async () => {
    for (const id of ["0123456789abcdef0123", "not-an-id", "..%2Fkeys"]) {
      expect((await admin(`/keys/${id}`)).status).toBe(404);
      expect((await admin(`/keys/${id}`, { method: "PATCH", json: { enabled: false } })).status).toBe(404);
      expect((await admin(`/keys/${id}/rotate`, { method: "POST" })).status).toBe(404);
      expect((await admin(`/keys/${id}`, { method: "DELETE" })).status).toBe(404);
    }
    const { key } = await createKey(["petstore/prod"]);
    const res = await admin(`/keys/${key.id}`, { method: "PATCH", json: { enabled: false, value: "ptk_mine" } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(["value"]);
    // Nothing of a refused PATCH is applied.
    expect(((await (await admin(`/keys/${key.id}`)).json()) as { enabled: boolean }).enabled).toBe(true);
  });
});

describe("apiKeyRequired on the data plane", () => {
  it("serves a key covering api/stage, and one covering api/* on every stage (rest-apikey-valid-200)", async () => {
    const { api, backend, withKey, gw } = await keyedApi();
    const exact = await createKey([`${api}/prod`]);
    const wildcard = await createKey([`${api}/*`]);
    await expectServed(withKey(exact.value), backend);
    await expectServed(withKey(wildcard.value), backend);
    await expectServed(withKey(wildcard.value, "dev"), backend);
    // A route without apiKeyRequired takes no key.
    await expectServed(() => gw.fetch("/prod/open"), backend);
  });

  it("refuses, 403 Forbidden, every key that is not a valid, covering one", async () => {
    const { api, backend, withKey } = await keyedApi();
    const devOnly = await createKey([`${api}/dev`]);
    const otherApi = await createKey([`other-${api}/prod`, `other-${api}/*`]);
    const prefixApi = await createKey([`${api.slice(0, -1)}/*`]);
    const none = await createKey([]);
    const valid = await createKey([`${api}/prod`]);
    const cases: [string, string | null][] = [
      ["missing (rest-apikey-missing-403)", null],
      ["empty", ""],
      ["well-formed but never issued", await generateKeyValue()],
      ["malformed: a wrong check", valid.value.slice(0, -1) + (valid.value.endsWith("0") ? "1" : "0")],
      ["malformed: free text", "let-me-in"],
      ["malformed: the value with spaces around and inside", ` ${valid.value.slice(0, 10)} ${valid.value.slice(10)} `],
      ["covering another stage only", devOnly.value],
      ["covering another API only", otherApi.value],
      ["covering an API whose name is a prefix", prefixApi.value],
      ["covering nothing", none.value],
    ];
    for (const [name, value] of cases) await expectRefused(withKey(value), backend, FORBIDDEN_KEY).catch((e: Error) => Promise.reject(new Error(`${name}: ${e.message}`)));
    await expectServed(withKey(valid.value), backend);
  });

  it("stops a disabled key within the memo bound (rest-apikey-disabled-403), and a re-enabled one works again", async () => {
    const { api, backend, withKey, gw } = await keyedApi();
    const { key, value } = await createKey([`${api}/prod`]);
    await expectServed(withKey(value), backend);
    expect((await admin(`/keys/${key.id}`, { method: "PATCH", json: { enabled: false } })).status).toBe(200);
    expect(await refusedWithin(gw, { headers: { "x-api-key": value } }, 1500)).toBeLessThan(1500);
    await expectRefused(withKey(value), backend, FORBIDDEN_KEY);
    expect((await admin(`/keys/${key.id}`, { method: "PATCH", json: { enabled: true } })).status).toBe(200);
    await sleep(300);
    await expectServed(withKey(value), backend);
  });

  it("refuses a rotated key's old value within the bound and serves the new one", async () => {
    const { api, backend, withKey, gw } = await keyedApi();
    const { key, value } = await createKey([`${api}/prod`]);
    await expectServed(withKey(value), backend);
    const res = await admin(`/keys/${key.id}/rotate`, { method: "POST" });
    expect(res.status).toBe(200);
    const rotated = (await res.json()) as Created;
    expect(rotated.value).not.toBe(value);
    await refusedWithin(gw, { headers: { "x-api-key": value } }, 1500);
    await expectRefused(withKey(value), backend, FORBIDDEN_KEY);
    await expectServed(withKey(rotated.value), backend);
  });

  it("refuses a deleted key within the bound", async () => {
    const { api, backend, withKey, gw } = await keyedApi();
    const { key, value } = await createKey([`${api}/prod`]);
    await expectServed(withKey(value), backend);
    expect((await admin(`/keys/${key.id}`, { method: "DELETE" })).status).toBe(200);
    await refusedWithin(gw, { headers: { "x-api-key": value } }, 1500);
    await expectRefused(withKey(value), backend, FORBIDDEN_KEY);
    expect((await admin(`/keys/${key.id}`)).status).toBe(404);
  });

  it("takes X-API-KEY as the same header, and refuses the header sent twice (joined values are not a key)", async () => {
    const { api, backend, gw } = await keyedApi();
    const { value } = await createKey([`${api}/prod`]);
    await expectServed(() => gw.fetch("/prod/pets", { headers: { "X-API-KEY": value } }), backend);
    for (const [first, second] of [["x-api-key", "x-api-key"], ["x-api-key", "X-API-KEY"]] as const) {
      const headers = new Headers();
      headers.append(first, value);
      headers.append(second, value);
      expect(headers.get("x-api-key")).toBe(`${value}, ${value}`);
      await expectRefused(() => gw.fetch("/prod/pets", { headers }), backend, FORBIDDEN_KEY);
    }
  });
});

describe("apiKeySource AUTHORIZER", () => {
  const setup = () =>
    keyedApi(
      { settings: { apiKeySource: "AUTHORIZER" }, authorizers: { lambda: { type: "custom", service: "AUTHORIZER", resultTtlSeconds: 0 } } },
      { authorizer: "lambda" },
    );

  it("uses the authorizer's usageIdentifierKey and ignores the x-api-key header", async () => {
    const { api, backend, gw } = await setup();
    const good = await createKey([`${api}/prod`]);
    const other = await createKey([`${api}/prod`]);
    const send = (token: string, header?: string) => () =>
      gw.fetch("/prod/pets", { headers: { authorization: token, ...(header ? { "x-api-key": header } : {}) } });
    await expectServed(send(`allow-key:${good.value}`), backend);
    // The header's (valid) key does not stand in for a bad authorizer key…
    await expectRefused(send(`allow-key:${await generateKeyValue()}`, other.value), backend, FORBIDDEN_KEY);
    await expectRefused(send(`allow:${uid()}`, other.value), backend, FORBIDDEN_KEY); // usageIdentifierKey "key-123"
    // …and a header key that is bad does not spoil the authorizer's good one.
    await expectServed(send(`allow-key:${good.value}`, "garbage"), backend);
  });
});
