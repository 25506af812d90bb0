/**
 * The KeyStore as callers see it: one key store, sharded underneath (durable-objects/key-store). A lookup or a new
 * key goes to the one shard its hash belongs to; anything by id (get, update, delete) and every listing asks all
 * shards at once — the admin API's work, never the data plane's. The shard count starts as KEY_SHARDS; a shard that
 * knows the recorded count (fixed at first use) says so, and the client switches to it and asks again, once.
 */
import { inContract, Refused, valueOf, type Reply } from "../../durable-objects/contract.ts";
import { KEY_STORE_CONTRACT, type KeyStore, type LayoutRefusal } from "../../durable-objects/key-store/index.ts";
import type { KeyChanges } from "../../durable-objects/key-store/keys.ts";
import { configuredKeyShards, keyStoreName, shardOf } from "../../durable-objects/key-store/layout.ts";
import { fail, type Result } from "../../durable-objects/registry/stages.ts";
import type { ApiKeyRecord, KeyLookup } from "./types.ts";

/** What reaching the KeyStore needs of the environment (the Worker's, or the Registry's when it forwards old calls). */
export interface KeyStoreEnv {
  KEY_STORE: DurableObjectNamespace<KeyStore>;
  /** How many shards hold the keys (default 16): see durable-objects/STORAGE.md. */
  KEY_SHARDS?: string;
}

const V = KEY_STORE_CONTRACT;

export interface NewKey {
  id: string;
  name: string;
  description: string | null;
  hash: string;
  hint: string;
  enabled: boolean;
  stages: string[];
  plans: string[];
}

/** A shard said the layout is another: the recorded count. */
class LayoutChanged extends Error {
  constructor(readonly layout: number) {
    super(`the key store is laid out in ${layout} shards`);
  }
}

export class KeyStoreClient {
  readonly #env: Pick<KeyStoreEnv, "KEY_STORE">;
  #count: number;

  /** `count`: the layout to assume first (KEY_SHARDS by default; the Registry passes the one it recorded). */
  constructor(env: KeyStoreEnv, count = configuredKeyShards(env.KEY_SHARDS)) {
    this.#env = env;
    this.#count = count;
  }

  /** The shard count this client uses now. */
  get shards(): number {
    return this.#count;
  }

  /** The data plane's question: the key with this hash, or null. Throws when the shard cannot answer. */
  lookup(hash: string): Promise<KeyLookup | null> {
    return this.#laidOut(async (count) => {
      const shard = shardOf(hash, count);
      return this.#value<KeyLookup | null>(await this.#stub(count, shard).lookup({ v: V, shards: count, shard, hash }), shard);
    });
  }

  create(key: NewKey): Promise<ApiKeyRecord> {
    return this.#laidOut(async (count) => {
      const shard = shardOf(key.hash, count);
      return this.#value<ApiKeyRecord>(await this.#stub(count, shard).create({ v: V, shards: count, shard, key }), shard);
    });
  }

  /** Every key, in creation order. */
  async list(): Promise<ApiKeyRecord[]> {
    const all = await this.#everyShard((stub, base) => stub.list(base));
    return (all as ApiKeyRecord[][]).flat().sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  async inPlan(plan: string): Promise<ApiKeyRecord[]> {
    const all = await this.#everyShard((stub, base) => stub.inPlan({ ...base, plan }));
    return (all as ApiKeyRecord[][]).flat().sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  /** The key and the shard that holds it, or null. */
  async find(id: string): Promise<{ key: ApiKeyRecord; shard: number; count: number } | null> {
    return this.#laidOut(async (count) => {
      const found = await Promise.all(
        Array.from({ length: count }, async (_, shard) => this.#value<ApiKeyRecord | null>(await this.#stub(count, shard).get({ v: V, shards: count, shard, id }), shard)),
      );
      const shard = found.findIndex((k) => k !== null);
      return shard < 0 ? null : { key: found[shard] as ApiKeyRecord, shard, count };
    });
  }

  async get(id: string): Promise<ApiKeyRecord | null> {
    return (await this.find(id))?.key ?? null;
  }

  /** Changes a key (404 when no shard has it). A new hash must belong to the key's shard: see `rotate`. */
  async update(id: string, changes: KeyChanges): Promise<Result<ApiKeyRecord>> {
    const found = await this.find(id);
    if (!found) return fail(404, `no API key ${id}`, "id");
    if (changes.hash !== undefined && shardOf(changes.hash, found.count) !== found.shard)
      return fail(409, "a rotated value must belong to the key's own shard (rotate with this release's admin API)", "hash");
    return this.#result<ApiKeyRecord>(await this.#stub(found.count, found.shard).update({ v: V, shards: found.count, shard: found.shard, id, changes }));
  }

  /**
   * A new value for a key, made (by `make`, until one fits) to hash into the key's own shard, so the old value stops
   * working in the same transaction the new one starts: never a moment with both, or with neither.
   */
  async rotate(id: string, make: () => Promise<{ value: string; hash: string; hint: string }>): Promise<Result<{ key: ApiKeyRecord; value: string }>> {
    const found = await this.find(id);
    if (!found) return fail(404, `no API key ${id}`, "id");
    // Each try lands in the right shard with probability 1/count: 64 shards need 64 tries on average.
    for (let tries = 0; tries < found.count * 50; tries++) {
      const next = await make();
      if (shardOf(next.hash, found.count) !== found.shard) continue;
      const updated = this.#result<ApiKeyRecord>(await this.#stub(found.count, found.shard).update({ v: V, shards: found.count, shard: found.shard, id, changes: { hash: next.hash, hint: next.hint } }));
      return updated.ok ? { ok: true, value: { key: updated.value, value: next.value } } : updated;
    }
    throw new Error(`no value for shard ${found.shard} of ${found.count} after ${found.count * 50} tries`);
  }

  async remove(id: string): Promise<Result<{ id: string }>> {
    const found = await this.find(id);
    if (!found) return fail(404, `no API key ${id}`, "id");
    return this.#result<{ id: string }>(await this.#stub(found.count, found.shard).remove({ v: V, shards: found.count, shard: found.shard, id }));
  }

  #stub(count: number, shard: number): DurableObjectStub<KeyStore> {
    return this.#env.KEY_STORE.get(this.#env.KEY_STORE.idFromName(keyStoreName(count, shard)));
  }

  /** Runs `op` with the current layout; once more with the recorded one if a shard says it differs. */
  async #laidOut<T>(op: (count: number) => Promise<T>): Promise<T> {
    try {
      return await op(this.#count);
    } catch (err) {
      if (!(err instanceof LayoutChanged) || err.layout === this.#count) throw err;
      this.#count = err.layout;
      return op(this.#count);
    }
  }

  #everyShard(call: (stub: DurableObjectStub<KeyStore>, base: { v: number; shards: number; shard: number }) => Promise<unknown>): Promise<unknown[]> {
    return this.#laidOut((count) =>
      Promise.all(Array.from({ length: count }, async (_, shard) => this.#value(await call(this.#stub(count, shard), { v: V, shards: count, shard }), shard))),
    );
  }

  #value<T>(reply: unknown, shard: number): T {
    const checked = inContract<T>(reply, V, `KeyStore shard ${shard}`);
    if (!checked.ok && checked.status === 409 && typeof (checked as LayoutRefusal).layout === "number") throw new LayoutChanged((checked as LayoutRefusal).layout);
    return valueOf<T>(checked, V, `KeyStore shard ${shard}`);
  }

  #result<T>(reply: unknown): Result<T> {
    const checked = inContract<T>(reply, V, "KeyStore") as Reply<T>;
    if (checked.ok) return { ok: true, value: checked.value };
    if (checked.status === 404 || checked.status === 400 || checked.status === 409) return fail(checked.status, checked.message, checked.field);
    throw new Refused("KeyStore", checked);
  }
}
