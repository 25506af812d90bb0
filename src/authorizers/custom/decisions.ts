/**
 * One app's remembered custom-authorizer decisions (its AppState, src/pipeline/app-state.ts): by authorizer
 * fingerprint + API + stage + identity-source values, for the authorizer's `resultTtlSeconds`, oldest evicted first.
 * Never module-level: a decision one app's authorizer made is not another app's to reuse.
 */
import type { PolicyReply, SimpleReply } from "./policy.ts";

export type Decision = { format: "policy"; reply: PolicyReply } | { format: "simple"; reply: SimpleReply };

const MAX_CACHED = 10_000;

export class DecisionMemo {
  readonly #entries = new Map<string, { expiresAt: number; decision: Decision }>();

  /** The decision remembered for `key`, while it has not expired. */
  get(key: string): Decision | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt > Date.now()) return entry.decision;
    this.#entries.delete(key);
    return undefined;
  }

  set(key: string, decision: Decision, ttlMs: number): void {
    this.#entries.delete(key);
    if (this.#entries.size >= MAX_CACHED) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { expiresAt: Date.now() + ttlMs, decision });
  }
}
