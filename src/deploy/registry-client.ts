/** Stubs for the Registry's instances: one per API, one domain index (durable-objects/STORAGE.md). */
import type { Env } from "../env.ts";

export const registryFor = (env: Env, api: string) => env.REGISTRY.get(env.REGISTRY.idFromName(`api:${api}`));
export const domainIndex = (env: Env) => env.REGISTRY.get(env.REGISTRY.idFromName("index"));
export const registryKeys = (env: Env) => env.REGISTRY.get(env.REGISTRY.idFromName("keys"));

/**
 * Waits for a promise another request started (single flight), but at most `ms` on this request's own timer:
 * in Workers, I/O started by one request can be cancelled with it, so a waiter must never depend on it alone.
 * Resolves true when the shared work finished (either way), false when this request stopped waiting.
 */
export async function awaitShared(shared: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const gaveUp = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([shared.then(() => true, () => true), gaveUp]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** Resolves with `promise`, or rejects after `ms` (a slow Registry must not hold requests up). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
