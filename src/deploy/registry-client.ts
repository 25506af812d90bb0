/**
 * The Registry's instances (one per API, the domain index, the KeyStore's directory; durable-objects/STORAGE.md) and
 * the data plane's reads from them in contract v1 — falling back, for one release, to the v0 methods of a Registry
 * still running the previous release during a deploy (durable-objects/contract.ts).
 */
import { ContractMismatch, orPrevious, valueOf } from "../../durable-objects/contract.ts";
import { REGISTRY_CONTRACT, type SnapshotSeen } from "../../durable-objects/registry/contract.ts";
import type { Registry } from "../../durable-objects/registry/index.ts";
import { isDomainTable, isServingState, type DomainTable } from "./snapshots.ts";
import type { DomainRow, ServingState } from "./types.ts";

/** What reaching the Registry needs of the environment. */
export interface RegistryEnv {
  REGISTRY: DurableObjectNamespace<Registry>;
}

export const registryFor = (env: RegistryEnv, api: string) => env.REGISTRY.get(env.REGISTRY.idFromName(`api:${api}`));
export const domainIndex = (env: RegistryEnv) => env.REGISTRY.get(env.REGISTRY.idFromName("index"));
export const registryKeys = (env: RegistryEnv) => env.REGISTRY.get(env.REGISTRY.idFromName("keys"));

const V = REGISTRY_CONTRACT;

/** The v0 methods a Registry of the previous release answers (the shapes it answers with are checked). */
interface RegistryV0 {
  servingState(): Promise<unknown>;
  domains(): Promise<unknown>;
  bundleText(id: string): Promise<unknown>;
}
const v0 = (stub: unknown) => stub as RegistryV0;

/** An API's stage pointers, from its Registry (`kv`: what the caller found in KV, so the Registry can mend it). */
export function readServing(env: RegistryEnv, api: string, kv?: SnapshotSeen): Promise<ServingState> {
  const stub = registryFor(env, api);
  return orPrevious(
    async () => valueOf<ServingState>(await stub.serving({ v: V, api, ...(kv ? { kv } : {}) }), V, `Registry api:${api}`),
    async () => {
      const state = await v0(stub).servingState();
      if (!isServingState(state)) throw new ContractMismatch(`Registry api:${api} (v0)`, 0, state);
      return state;
    },
  );
}

/**
 * The whole domain table and the index's version (0 from a Registry of the previous release, which has none, and no
 * routing rules). Checked as a snapshot is: a malformed answer is the index failing.
 */
export function readDomainTable(env: RegistryEnv, kv?: SnapshotSeen): Promise<DomainTable & { version: number }> {
  const stub = domainIndex(env);
  return orPrevious(
    async () => {
      const table = valueOf<DomainTable & { version: number }>(await stub.domainTable({ v: V, ...(kv ? { kv } : {}) }), V, "Registry index");
      if (!isDomainTable(table) || !Number.isSafeInteger(table.version)) throw new Error("Registry index: a malformed domain table");
      return table;
    },
    async () => {
      const domains = await v0(stub).domains();
      if (!isDomainTable({ domains })) throw new ContractMismatch("Registry index (v0)", 0, domains);
      return { version: 0, domains: domains as DomainRow[] };
    },
  );
}

/** The Registry's copy of a bundle's text, or null. */
export function readBundleText(env: RegistryEnv, api: string, id: string): Promise<string | null> {
  const stub = registryFor(env, api);
  return orPrevious(
    async () => valueOf<string | null>(await stub.bundle({ v: V, id }), V, `Registry api:${api}`),
    async () => {
      const text = await v0(stub).bundleText(id);
      if (text !== null && typeof text !== "string") throw new ContractMismatch(`Registry api:${api} (v0)`, 0, text);
      return text;
    },
  );
}

/** Resolves with `promise`, or rejects after `ms` (a slow Registry must not hold requests up). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
