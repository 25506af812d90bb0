/** Stubs for the Registry's instances: one per API, one domain index (durable-objects/STORAGE.md). */
import type { Env } from "../env.ts";

export const registryFor = (env: Env, api: string) => env.REGISTRY.get(env.REGISTRY.idFromName(`api:${api}`));
export const domainIndex = (env: Env) => env.REGISTRY.get(env.REGISTRY.idFromName("index"));
export const registryKeys = (env: Env) => env.REGISTRY.get(env.REGISTRY.idFromName("keys"));

/** Resolves with `promise`, or rejects after `ms` (a slow Registry must not hold requests up). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
