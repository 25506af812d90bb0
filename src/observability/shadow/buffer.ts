/**
 * Shadow results batched per app (its AppState's ShadowState, state.ts), like metrics: each evaluation adds to the
 * batch of its API, stage and candidate; the batches go to each API's Registry (`recordShadow`, contract v1) at most
 * every METRICS_FLUSH_MS, through `waitUntil`. Bounded: at most SAMPLES_PER_FLUSH samples per kind per batch,
 * BATCHES batches per app.
 */
import { valueOf } from "../../../durable-objects/contract.ts";
import { REGISTRY_CONTRACT } from "../../../durable-objects/registry/contract.ts";
import { registryFor, withTimeout, type RegistryEnv } from "../../deploy/registry-client.ts";
import type { ShadowBatch, ShadowSample } from "../../deploy/types.ts";
import type { Comparison } from "./comparison.ts";

const SAMPLES_PER_FLUSH = 3;
const BATCHES = 64;
const DEFAULT_FLUSH_MS = 5000;
const FLUSH_WAIT_MS = 5000;

/** What sending shadow results needs of the environment. */
export interface ShadowEnv extends RegistryEnv {
  /** How often an app sends its batched results, in ms (default 5000; the metrics' interval). */
  METRICS_FLUSH_MS?: string;
}

interface Pending {
  api: string;
  stage: string;
  batch: ShadowBatch;
}

export class ShadowBuffer {
  #batches = new Map<string, Pending>();
  #lastFlush = Date.now();

  /** One sampled request: not evaluated at all, or its comparison. */
  add(api: string, stage: string, deploymentId: string, result: { notEvaluated: true; skipped: string[] } | { comparison: Comparison; skipped: string[]; sample?: ShadowSample }): void {
    const key = `${api}\n${stage}\n${deploymentId}`;
    let pending = this.#batches.get(key);
    if (!pending) {
      if (this.#batches.size >= BATCHES) return;
      pending = {
        api,
        stage,
        batch: { deploymentId, evaluated: 0, compared: 0, unknown: 0, notEvaluated: 0, kindsCompared: {}, kindsUnknown: {}, differing: 0, skipped: {}, kinds: {}, samples: [] },
      };
      this.#batches.set(key, pending);
    }
    const b = pending.batch;
    b.evaluated++;
    for (const reason of result.skipped) b.skipped[reason] = (b.skipped[reason] ?? 0) + 1;
    if ("notEvaluated" in result) {
      b.notEvaluated = (b.notEvaluated ?? 0) + 1;
      return;
    }
    const c = result.comparison;
    if (c.outcomeUnknown) b.unknown = (b.unknown ?? 0) + 1;
    else b.compared = (b.compared ?? 0) + 1;
    for (const kind of c.compared) b.kindsCompared![kind] = (b.kindsCompared![kind] ?? 0) + 1;
    for (const kind of c.unknown) b.kindsUnknown![kind] = (b.kindsUnknown![kind] ?? 0) + 1;
    if (!c.differences.length) return;
    b.differing++;
    const kinds = new Set(c.differences.map((d) => d.kind));
    for (const kind of kinds) b.kinds[kind] = (b.kinds[kind] ?? 0) + 1;
    // A sample is kept when one of its kinds has fewer than SAMPLES_PER_FLUSH so far in this batch.
    if (result.sample && [...kinds].some((k) => b.samples.filter((s) => s.differences.some((d) => d.kind === k)).length < SAMPLES_PER_FLUSH)) b.samples.push(result.sample);
  }

  due(flushMs: number, now = Date.now()): boolean {
    return this.#batches.size > 0 && now - this.#lastFlush >= flushMs;
  }

  drain(now = Date.now()): Pending[] {
    const out = [...this.#batches.values()];
    this.#batches = new Map();
    this.#lastFlush = now;
    return out;
  }
}

/** Sends the batches; a failure is logged and the batch dropped (a shadow report is a sample, not a ledger). */
export async function flushShadow(env: ShadowEnv, buffer: ShadowBuffer): Promise<void> {
  await Promise.all(
    buffer.drain().map(({ api, stage, batch }) =>
      withTimeout(
        registryFor(env, api)
          .recordShadow({ v: REGISTRY_CONTRACT, stage, batch })
          .then((reply) => valueOf<boolean>(reply, REGISTRY_CONTRACT, `Registry api:${api}`)),
        FLUSH_WAIT_MS,
        "the Registry",
      ).catch((err: unknown) => {
        console.error(JSON.stringify({ level: "warn", event: "shadow-flush-failed", api, stage, evaluated: batch.evaluated, reason: (err as Error).message }));
      }),
    ),
  );
}

export function flushShadowIfDue(env: ShadowEnv, exec: ExecutionContext, buffer: ShadowBuffer): void {
  if (buffer.due(Number(env.METRICS_FLUSH_MS) || DEFAULT_FLUSH_MS)) exec.waitUntil(flushShadow(env, buffer));
}
