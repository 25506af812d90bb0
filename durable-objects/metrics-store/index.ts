/**
 * MetricsStore: per-version metrics, off the Registry. Each isolate sends its batch for an API (every
 * METRICS_FLUSH_MS) to one of the API's METRICS_SHARDS objects, `metrics:<api>:<n>`, picked once per isolate, so no
 * object takes more than its share of the isolates' flushes however many there are. Readers — the admin API's
 * metrics and the Registry's canary analysis, both through the API's Registry — read every shard's totals and merge
 * them. The table is the Registry's `metrics` table (same schema and migrations, durable-objects/registry/schema.ts),
 * so a new metric column is added once for both. Tables in durable-objects/STORAGE.md.
 */
import { DurableObject } from "cloudflare:workers";
import { METRICS_SLOT_MS, type MetricsSample } from "../../src/deploy/types.ts";
import { ok, unknownContract, type Reply } from "../contract.ts";
import { recordSamples, stageSteps, stageTotals } from "../registry/metrics-store.ts";
import { migrate } from "../registry/schema.ts";
import type { MetricsStoreObjectEnv } from "./env.ts";

export const METRICS_CONTRACT = 1;

/** Most samples one call may carry (an isolate's buffer flushes at 500). */
export const MAX_SAMPLES_PER_CALL = 2000;

export interface RecordCall {
  v: number;
  samples: MetricsSample[];
}

export interface TotalsCall {
  v: number;
  stage: string;
  /** ms since epoch: slots from then on. */
  since: number;
}

export interface StepsCall {
  v: number;
  stage: string;
  /** ms since epoch: slots from then on. */
  since: number;
  /** Step of the series in ms: a positive multiple of METRICS_SLOT_MS, at most a day. */
  stepMs: number;
}

/** Largest step a series may ask for (the store keeps a day). */
const MAX_STEP_MS = 24 * 60 * 60 * 1000;

export class MetricsStore extends DurableObject<MetricsStoreObjectEnv> {
  readonly #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: MetricsStoreObjectEnv) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    migrate(this.#sql);
  }

  /** Merges a batch into its slots (one transaction), dropping slots past the retention. */
  record(call: RecordCall): Reply<{ samples: number }> {
    if (call?.v !== METRICS_CONTRACT) return unknownContract(METRICS_CONTRACT, call);
    if (!Array.isArray(call.samples) || call.samples.length > MAX_SAMPLES_PER_CALL)
      return { v: METRICS_CONTRACT, ok: false, status: 400, message: `samples must be a list of at most ${MAX_SAMPLES_PER_CALL}`, field: "samples" };
    this.ctx.storage.transactionSync(() => recordSamples(this.#sql, call.samples, Date.now()));
    return ok(METRICS_CONTRACT, { samples: call.samples.length });
  }

  /** Per version, this shard's totals for a stage since `since`. */
  totals(call: TotalsCall): Reply<MetricsSample[]> {
    if (call?.v !== METRICS_CONTRACT) return unknownContract(METRICS_CONTRACT, call);
    return ok(METRICS_CONTRACT, stageTotals(this.#sql, call.stage, call.since));
  }

  /** Per version and step, this shard's counts for a stage since `since` (the dashboard's time series). */
  steps(call: StepsCall): Reply<MetricsSample[]> {
    if (call?.v !== METRICS_CONTRACT) return unknownContract(METRICS_CONTRACT, call);
    const { stepMs } = call;
    if (!Number.isInteger(stepMs) || stepMs <= 0 || stepMs % METRICS_SLOT_MS !== 0 || stepMs > MAX_STEP_MS)
      return { v: METRICS_CONTRACT, ok: false, status: 400, message: `stepMs must be a multiple of ${METRICS_SLOT_MS} up to ${MAX_STEP_MS}`, field: "stepMs" };
    return ok(METRICS_CONTRACT, stageSteps(this.#sql, call.stage, call.since, stepMs));
  }
}
