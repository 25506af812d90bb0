/**
 * KeyStore: API keys, sharded by the hash of their value — shard `shard:<count>:<n>` holds the keys whose hash falls
 * in its slice (layout.ts) — so every data-plane lookup goes to one of `count` objects instead of one global object.
 * The admin API finds a key by id by asking every shard (src/deploy/key-store-client.ts).
 *
 * First use of a shard: it asks the Registry's `keys` instance (the directory) for the layout, recorded there the
 * first time any shard asks, and copies the keys of its slice stored there before KeyStore existed (the directory
 * never writes that table again: calls from the previous release are forwarded here). Until that copy is done the
 * shard answers nothing — a lookup that cannot be answered fails closed. Contract KEY_STORE_CONTRACT; tables in
 * durable-objects/STORAGE.md.
 */
import { DurableObject } from "cloudflare:workers";
import type { ApiKeyRecord, KeyLookup } from "../../src/deploy/types.ts";
import { ok, unknownContract, valueOf, type Refusal, type Reply } from "../contract.ts";
import { REGISTRY_CONTRACT } from "../registry/contract.ts";
import type { Result } from "../registry/stages.ts";
import * as keys from "./keys.ts";
import { shardOf, shardRange } from "./layout.ts";
import { migrate } from "./schema.ts";
import type { KeyStoreObjectEnv } from "./env.ts";

export const KEY_STORE_CONTRACT = 1;
/** Rows per page of the one-time copy from the Registry. */
const COPY_PAGE = 500;

/** Every call names the layout the caller believes in and the shard it meant to reach. */
interface Placed {
  v: number;
  /** The shard count (the recorded layout, as the caller knows it). */
  shards: number;
  /** This object's index in that layout. */
  shard: number;
}
export type LookupCall = Placed & { hash: string };
export type IdCall = Placed & { id: string };
export type ListCall = Placed;
export type PlanCall = Placed & { plan: string };
export type CreateCall = Placed & { key: { id: string; name: string; description: string | null; hash: string; hint: string; enabled: boolean; stages: string[]; plans: string[] } };
export type UpdateCall = Placed & { id: string; changes: keys.KeyChanges };

/** The caller's shard count is not the recorded one: `layout` is, and the caller should use it. */
export interface LayoutRefusal extends Refusal {
  status: 409;
  layout: number;
}

const refuse = (status: number, message: string, field?: string): Refusal => ({ v: KEY_STORE_CONTRACT, ok: false, status, message, ...(field ? { field } : {}) });
const layoutRefusal = (layout: number): LayoutRefusal => ({ v: KEY_STORE_CONTRACT, ok: false, status: 409, message: `the key store is laid out in ${layout} shards`, layout });
const withV = <T>(result: Result<T>): Reply<T> => ({ v: KEY_STORE_CONTRACT, ...result });

export class KeyStore extends DurableObject<KeyStoreObjectEnv> {
  readonly #sql: SqlStorage;
  /** This shard's place, once its copy from the Registry is done. */
  #place: { count: number; shard: number } | undefined;
  /** The recorded count when this object turned out not to be part of the layout. */
  #outside: number | undefined;

  constructor(ctx: DurableObjectState, env: KeyStoreObjectEnv) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    migrate(this.#sql);
    const meta = new Map(this.#sql.exec<{ key: string; value: string }>("SELECT key, value FROM meta").toArray().map((r) => [r.key, r.value]));
    if (meta.get("ready") === "1") this.#place = { count: Number(meta.get("count")), shard: Number(meta.get("shard")) };
  }

  async lookup(call: LookupCall): Promise<Reply<KeyLookup | null> | LayoutRefusal> {
    const refused = await this.#admit(call, typeof call?.hash === "string" ? call.hash : undefined);
    return refused ?? ok(KEY_STORE_CONTRACT, keys.lookupByHash(this.#sql, call.hash));
  }

  async create(call: CreateCall): Promise<Reply<ApiKeyRecord> | LayoutRefusal> {
    const refused = await this.#admit(call, call?.key?.hash);
    if (refused) return refused;
    if (keys.getKey(this.#sql, call.key.id)) return refuse(409, `API key ${call.key.id} exists`, "id");
    if (keys.lookupByHash(this.#sql, call.key.hash)) return refuse(409, "a key with this value exists", "hash");
    return ok(KEY_STORE_CONTRACT, keys.insertKey(this.#sql, call.key, Date.now()));
  }

  async get(call: IdCall): Promise<Reply<ApiKeyRecord | null> | LayoutRefusal> {
    return (await this.#admit(call)) ?? ok(KEY_STORE_CONTRACT, keys.getKey(this.#sql, call.id) ?? null);
  }

  async list(call: ListCall): Promise<Reply<ApiKeyRecord[]> | LayoutRefusal> {
    return (await this.#admit(call)) ?? ok(KEY_STORE_CONTRACT, keys.listKeys(this.#sql));
  }

  async inPlan(call: PlanCall): Promise<Reply<ApiKeyRecord[]> | LayoutRefusal> {
    return (await this.#admit(call)) ?? ok(KEY_STORE_CONTRACT, keys.keysInPlan(this.#sql, call.plan));
  }

  /** Changes a key; a new hash (rotation) must belong to this shard, so a rotation is one transaction in one object. */
  async update(call: UpdateCall): Promise<Reply<ApiKeyRecord> | LayoutRefusal> {
    const refused = await this.#admit(call, call?.changes?.hash);
    return refused ?? withV(keys.updateKey(this.#sql, call.id, call.changes, Date.now()));
  }

  async remove(call: IdCall): Promise<Reply<{ id: string }> | LayoutRefusal> {
    return (await this.#admit(call)) ?? withV(keys.deleteKey(this.#sql, call.id));
  }

  /**
   * Checks the contract and the caller's idea of the layout (and, when the call carries one, that the hash belongs
   * here); the first call of all sets the shard up. A refusal, or undefined to go ahead.
   */
  async #admit(call: Placed, hash?: string): Promise<Refusal | undefined> {
    if (call?.v !== KEY_STORE_CONTRACT) return unknownContract(KEY_STORE_CONTRACT, call);
    if (!Number.isInteger(call.shards) || call.shards < 1 || !Number.isInteger(call.shard) || call.shard < 0 || call.shard >= call.shards)
      return refuse(400, "shards and shard must describe a shard of the layout", "shard");
    if (this.#outside !== undefined) return layoutRefusal(this.#outside);
    if (!this.#place) {
      const refused = await this.#setUp(call.shards, call.shard);
      if (refused) return refused;
    }
    const place = this.#place!;
    if (call.shards !== place.count) return layoutRefusal(place.count);
    if (call.shard !== place.shard) return refuse(400, `this is shard ${place.shard}, not ${call.shard}`, "shard");
    if (hash !== undefined && (typeof hash !== "string" || !/^[0-9a-f]{64}$/.test(hash) || shardOf(hash, place.count) !== place.shard))
      return refuse(400, "the hash does not belong to this shard", "hash");
    return undefined;
  }

  /**
   * Learns the layout from the directory and copies this shard's slice of the keys stored before KeyStore, with
   * every other call held until it is done (blockConcurrencyWhile). A failure leaves the shard as it was, to be set up
   * by the next call; it is thrown to the caller, whose lookup then fails closed.
   */
  async #setUp(count: number, shard: number): Promise<Refusal | undefined> {
    let outcome: Refusal | Error | undefined;
    await this.ctx.blockConcurrencyWhile(async () => {
      if (this.#place || this.#outside !== undefined) return;
      try {
        const directory = this.env.REGISTRY.get(this.env.REGISTRY.idFromName("keys"));
        const what = "the Registry's keys instance";
        const recorded = valueOf<number>(await directory.keyLayout({ v: REGISTRY_CONTRACT, proposed: count }), REGISTRY_CONTRACT, what);
        if (recorded !== count) {
          this.#outside = recorded;
          outcome = layoutRefusal(recorded);
          return;
        }
        const { from, to } = shardRange(shard, count);
        for (let after = ""; ; ) {
          const rows = valueOf<keys.KeyRow[]>(await directory.legacyKeys({ v: REGISTRY_CONTRACT, from, to, after, limit: COPY_PAGE }), REGISTRY_CONTRACT, what);
          this.ctx.storage.transactionSync(() => rows.forEach((r) => keys.insertRow(this.#sql, r)));
          if (rows.length < COPY_PAGE) break;
          after = rows[rows.length - 1]!.hash;
        }
        this.ctx.storage.transactionSync(() => {
          for (const [key, value] of [["count", count], ["shard", shard], ["ready", 1]] as const)
            this.#sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, String(value));
        });
        this.#place = { count, shard };
      } catch (err) {
        outcome = err as Error;
      }
    });
    if (outcome instanceof Error) throw outcome;
    return outcome;
  }
}
