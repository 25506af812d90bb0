/**
 * API keys in KeyStore shards (issue 12): keys stored by the previous release in the Registry's `keys` instance are
 * copied to their shards on first use and keep working; the previous release's key methods on the Registry reach the
 * KeyStore; the shard count is fixed the first time keys are stored; a rotation never leaves the key's shard; data
 * plane lookups stay memoised (one call per key per memo bound). This file's storage starts empty (each test file
 * gets its own), so the first test sees the state right after an upgrade.
 */
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { KeyStore } from "../../../durable-objects/key-store/index.ts";
import { insertKey, type KeyRow } from "../../../durable-objects/key-store/keys.ts";
import { keyStoreName, shardOf } from "../../../durable-objects/key-store/layout.ts";
import type { Registry } from "../../../durable-objects/registry/index.ts";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { KeyStoreClient } from "../../../src/deploy/key-store-client.ts";
import type { Env } from "../../../src/env.ts";
import { generateKeyValue, hashKey, keyHint, newKeyId } from "../../../src/security/api-keys.ts";
import { gatewayFor } from "../support/gateway.ts";
import { echoTo, expectRefused, expectServed, FORBIDDEN_KEY, sleep, uid } from "./support.ts";

const ENV = env as unknown as Env;
const directory = () => ENV.REGISTRY.get(ENV.REGISTRY.idFromName("keys"));
const shardStub = (count: number, shard: number) => ENV.KEY_STORE.get(ENV.KEY_STORE.idFromName(keyStoreName(count, shard)));
const admin = (path: string, init: RequestInit & { json?: unknown } = {}) =>
  SELF.fetch(`http://localhost/_portico${path}`, {
    ...init,
    headers: { authorization: "Bearer test-admin-token", "content-type": "application/json", ...(init.headers ?? {}) },
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
  });

function keyedApi(name: string, path: string): ApiDefinition {
  return { name, stages: { prod: {} }, routes: { "GET /k": { integration: echoTo(path), apiKeyRequired: true } } } as ApiDefinition;
}

/** Rows of the shard that holds a hash, read in the object itself. */
const rowsIn = (count: number, shard: number, id: string) =>
  runInDurableObject(shardStub(count, shard), (_k, state) => state.storage.sql.exec("SELECT * FROM api_keys WHERE id = ?", id).toArray());

describe("keys stored before KeyStore (the Registry's `keys` instance)", () => {
  it("are copied to their shards on first use: every one works on the data plane, none is lost, the old table is kept", { timeout: 30_000 }, async () => {
    const api = `legacy-${uid()}`;
    // The previous release's state: keys written into the Registry's api_keys table by its own code (insertKey).
    const legacy: { id: string; value: string; hash: string; enabled: boolean }[] = [];
    for (let i = 0; i < 40; i++) {
      const value = await generateKeyValue();
      legacy.push({ id: newKeyId(), value, hash: await hashKey(value), enabled: i !== 7 });
    }
    await runInDurableObject(directory(), (_r, state) => {
      for (const [i, k] of legacy.entries())
        insertKey(state.storage.sql, { id: k.id, name: `old ${i}`, description: null, hash: k.hash, hint: keyHint(k.value), enabled: k.enabled, stages: [`${api}/prod`] }, 1_700_000_000_000 + i);
    });
    const shards = new Set(legacy.map((k) => shardOf(k.hash, 16)));
    expect(shards.size).toBeGreaterThan(8); // spread over most of the 16 shards

    const path = `legacy-${uid()}`;
    const gw = await gatewayFor(keyedApi(api, path));
    // One client per key: each client's budget for unseen key values (20 at once) is issue 10's, and stays.
    for (const [i, k] of legacy.entries()) {
      const headers = { "x-api-key": k.value, "cf-connecting-ip": `203.0.113.${i + 1}` };
      if (k.enabled) await expectServed(() => gw.fetch("/prod/k", { headers }), `/echo/${path}`);
      else await expectRefused(() => gw.fetch("/prod/k", { headers }), `/echo/${path}`, FORBIDDEN_KEY);
    }
    const unknown = await generateKeyValue();
    await expectRefused(() => gw.fetch("/prod/k", { headers: { "x-api-key": unknown } }), `/echo/${path}`, FORBIDDEN_KEY);

    // Each sits in the shard its hash belongs to, with its id, name and creation time kept.
    for (const [i, k] of legacy.entries()) {
      const rows = await rowsIn(16, shardOf(k.hash, 16), k.id);
      expect(rows, k.id).toEqual([expect.objectContaining({ hash: k.hash, name: `old ${i}`, created_at: 1_700_000_000_000 + i })]);
    }
    // The admin API lists all of them, in creation order, as before.
    const listed = ((await (await admin("/keys")).json()) as { keys: { id: string }[] }).keys.map((k) => k.id);
    expect(listed).toEqual(legacy.map((k) => k.id));
    // The layout is recorded; the old table is left as it was (read-only, for a rollback to the previous release).
    const kept = await runInDurableObject(directory(), (_r, state) => ({
      layout: state.storage.sql.exec("SELECT value FROM meta WHERE key = 'key_shards'").toArray(),
      rows: state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM api_keys").one().n,
    }));
    expect(kept).toEqual({ layout: [{ value: "16" }], rows: 40 });
  });

  it("answer the previous release's key methods on the Registry (contract v0) from the KeyStore", async () => {
    const old = directory();
    const value = await generateKeyValue();
    const hash = await hashKey(value);
    const created = await old.createKey({ name: "from an old isolate", description: null, hash, hint: keyHint(value), enabled: true, stages: ["petstore/prod"], plans: ["petstore/basic"] });
    expect(created).toMatchObject({ name: "from an old isolate", enabled: true, stages: ["petstore/prod"] });
    expect(await rowsIn(16, shardOf(hash, 16), created.id)).toHaveLength(1);
    expect(await old.lookupKey(hash)).toEqual({ id: created.id, enabled: true, stages: ["petstore/prod"], plans: ["petstore/basic"] });
    expect((await old.listKeys()).map((k) => k.id)).toContain(created.id);
    expect(await old.getKey(created.id)).toMatchObject({ id: created.id });
    expect((await old.keysInPlan("petstore/basic")).map((k) => k.id)).toEqual([created.id]);
    expect(await old.updateKey(created.id, { enabled: false })).toMatchObject({ ok: true, value: { enabled: false } });
    expect(await old.lookupKey(hash)).toMatchObject({ enabled: false });

    // An old admin API's rotation brings a value made for no shard in particular: refused unless it fits, never moved.
    let elsewhere: string;
    do elsewhere = await hashKey(await generateKeyValue());
    while (shardOf(elsewhere, 16) === shardOf(hash, 16));
    expect(await old.updateKey(created.id, { hash: elsewhere, hint: "ptk_…" })).toMatchObject({ ok: false, status: 409, field: "hash" });
    expect(await old.lookupKey(elsewhere)).toBeNull();

    expect(await old.deleteKey(created.id)).toEqual({ ok: true, value: { id: created.id } });
    expect(await old.lookupKey(hash)).toBeNull();
    expect(await old.getKey(created.id)).toBeNull();
  });
});

describe("the shard layout", () => {
  it("is fixed at first use: a client told another count is corrected by the first shard it asks, and finds every key", async () => {
    const value = await generateKeyValue();
    const hash = await hashKey(value);
    const key = await new KeyStoreClient(ENV).create({ id: newKeyId(), name: "fixed", description: null, hash, hint: keyHint(value), enabled: true, stages: [], plans: [] });

    // KEY_SHARDS changed to 8 after keys were stored: nothing is lost, the recorded 16 is used.
    const changed = new KeyStoreClient({ ...ENV, KEY_SHARDS: "8" });
    expect(changed.shards).toBe(8);
    expect(await changed.lookup(hash)).toMatchObject({ id: key.id });
    expect(changed.shards).toBe(16);
    expect(await new KeyStoreClient({ ...ENV, KEY_SHARDS: "32" }).get(key.id)).toMatchObject({ id: key.id });
    expect((await new KeyStoreClient({ ...ENV, KEY_SHARDS: "4" }).list()).map((k) => k.id)).toContain(key.id);

    // An object of another layout never sets itself up: it names the recorded count and holds nothing.
    const outside = await shardStub(8, shardOf(hash, 8)).lookup({ v: 1, shards: 8, shard: shardOf(hash, 8), hash });
    expect(outside).toMatchObject({ v: 1, ok: false, status: 409, layout: 16 });
    const rows = await runInDurableObject(shardStub(8, shardOf(hash, 8)), (_k, state) => state.storage.sql.exec<KeyRow>("SELECT * FROM api_keys").toArray());
    expect(rows).toEqual([]);
  });

  it("refuses a call for a hash that is not the shard's, or for a shard it is not", async () => {
    const hash = await hashKey(await generateKeyValue());
    const mine = shardOf(hash, 16);
    const other = (mine + 1) % 16;
    expect(await shardStub(16, other).lookup({ v: 1, shards: 16, shard: other, hash })).toMatchObject({ ok: false, status: 400, field: "hash" });
    expect(await shardStub(16, other).lookup({ v: 1, shards: 16, shard: mine, hash })).toMatchObject({ ok: false, status: 400, field: "shard" });
    expect(await shardStub(16, mine).lookup({ v: 1, shards: 16, shard: mine, hash: "not-a-hash" })).toMatchObject({ ok: false, status: 400, field: "hash" });
  });
});

describe("keys through the admin API, on shards", () => {
  it("rotates within the key's shard: the old value is refused, the new one served, one row throughout", async () => {
    const api = `rot-${uid()}`;
    const path = `rot-${uid()}`;
    const created = (await (await admin("/keys", { method: "POST", json: { name: "rotating", stages: [`${api}/prod`] } })).json()) as { key: { id: string }; value: string };
    const before = shardOf(await hashKey(created.value), 16);
    const rotated = (await (await admin(`/keys/${created.key.id}/rotate`, { method: "POST" })).json()) as { key: { id: string }; value: string };
    expect(rotated.value).not.toBe(created.value);
    expect(shardOf(await hashKey(rotated.value), 16)).toBe(before);
    expect(await rowsIn(16, before, created.key.id)).toEqual([expect.objectContaining({ hash: await hashKey(rotated.value) })]);

    const gw = await gatewayFor(keyedApi(api, path));
    await expectServed(() => gw.fetch("/prod/k", { headers: { "x-api-key": rotated.value } }), `/echo/${path}`);
    await expectRefused(() => gw.fetch("/prod/k", { headers: { "x-api-key": created.value } }), `/echo/${path}`, FORBIDDEN_KEY);
  });

  it("looks a known key up once per memo bound per isolate, not once per request", async () => {
    const api = `memo-${uid()}`;
    const path = `memo-${uid()}`;
    const created = (await (await admin("/keys", { method: "POST", json: { name: "memo", stages: [`${api}/prod`] } })).json()) as { value: string };
    let lookups = 0;
    const real = ENV.KEY_STORE;
    const counting = {
      idFromName: (name: string) => real.idFromName(name),
      get: (id: DurableObjectId) => {
        const stub = real.get(id);
        return { lookup: (call: Parameters<KeyStore["lookup"]>[0]) => (lookups++, stub.lookup(call)) };
      },
    } as unknown as Env["KEY_STORE"];
    const gw = await gatewayFor(keyedApi(api, path), { KEY_STORE: counting });
    for (let i = 0; i < 20; i++) await expectServed(() => gw.fetch("/prod/k", { headers: { "x-api-key": created.value } }), `/echo/${path}`);
    expect(lookups).toBe(1);
    await sleep(250); // past REGISTRY_MEMO_MS (200 in tests)
    await expectServed(() => gw.fetch("/prod/k", { headers: { "x-api-key": created.value } }), `/echo/${path}`);
    expect(lookups).toBe(2);
  });

  it("refuses a key (403, backend never called) when its shard cannot answer: a lookup fails closed", async () => {
    const api = `down-${uid()}`;
    const path = `down-${uid()}`;
    const created = (await (await admin("/keys", { method: "POST", json: { name: "down", stages: [`${api}/prod`] } })).json()) as { value: string };
    const failing = {
      idFromName: (name: string) => ENV.KEY_STORE.idFromName(name),
      get: () => ({ lookup: () => Promise.reject(new Error("injected: KeyStore unreachable")) }),
    } as unknown as Env["KEY_STORE"];
    const gw = await gatewayFor(keyedApi(api, path), { KEY_STORE: failing });
    await expectRefused(() => gw.fetch("/prod/k", { headers: { "x-api-key": created.value } }), `/echo/${path}`, FORBIDDEN_KEY);
  });
});
