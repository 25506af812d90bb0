/** Stubs for the Registry's instances: one per API, one domain index (durable-objects/STORAGE.md). */
import type { Env } from "../env.ts";

export const registryFor = (env: Env, api: string) => env.REGISTRY.get(env.REGISTRY.idFromName(`api:${api}`));
export const domainIndex = (env: Env) => env.REGISTRY.get(env.REGISTRY.idFromName("index"));
export const registryKeys = (env: Env) => env.REGISTRY.get(env.REGISTRY.idFromName("keys"));

/**
 * Waits for work another request started (single flight) without ever awaiting that request's promise. In
 * Workers, a continuation runs in the I/O context of whoever resolved the promise: awaiting another request's
 * promise would run the rest of this request — its backend fetch included — on behalf of that request, which
 * fails ("Cannot perform I/O on behalf of a different request") once that request ends. So the shared promise
 * only flips a flag, and this request polls the flag on its own timer, at most `ms`.
 * Resolves true when the shared work settled (either way), false when this request stopped waiting.
 */
export async function awaitShared(shared: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  void shared.then(
    () => (settled = true),
    () => (settled = true),
  );
  const deadline = Date.now() + ms;
  let polls = 0;
  while (!settled) {
    // Date.now() only advances across I/O in Workers: count polls too, so the wait ends either way.
    if (Date.now() >= deadline || ++polls > ms) return false;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return true;
}

/** Resolves with `promise`, or rejects after `ms` (a slow Registry must not hold requests up). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
