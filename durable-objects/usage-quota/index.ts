/**
 * UsageQuota: one object per API key × usage plan (`<api>/<plan>/<keyId>`). Each admitted request is counted
 * durably, by day (UTC), before it is served; a request id is remembered for 10 minutes so a retried count is
 * never counted twice. Remaining quota = limit − requests this period + adjustments (UpdateUsage grants and
 * resets). Tables in durable-objects/STORAGE.md. RPC contract USAGE_QUOTA_CONTRACT (`count`, `standing`, `amend`,
 * `dailyReport`, `dailyCounts`); `consume`, `status`, `adjust`, `report` and `usage` are the previous release's
 * (contract v0), answered for one release (durable-objects/contract.ts).
 */
import { DurableObject } from "cloudflare:workers";
import { dayKey, periodBounds, type Period } from "../../src/throttle/periods.ts";
import { ok, unknownContract, type Reply } from "../contract.ts";
import type { UsageQuotaEnv } from "./env.ts";

export const USAGE_QUOTA_CONTRACT = 1;

export interface CountCall {
  v: number;
  spec: QuotaSpec;
  /** The request id: a retried count is counted once. */
  opId: string;
  /** ms since epoch; now by default (tests choose it). */
  at?: number;
}
export interface StandingCall {
  v: number;
  spec: QuotaSpec;
  at?: number;
}
export interface AmendCall {
  v: number;
  spec: QuotaSpec;
  change: { grant: number } | { remaining: number };
  at?: number;
}
export interface DailyReportCall {
  v: number;
  spec: QuotaSpec;
  fromDay: string;
  toDay: string;
}
export interface DailyCountsCall {
  v: number;
  fromDay: string;
  toDay: string;
}

const V = USAGE_QUOTA_CONTRACT;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const validSpec = (s: QuotaSpec | undefined) => !!s && Number.isFinite(s.limit) && ["DAY", "WEEK", "MONTH"].includes(s.period) && Number.isFinite(s.offset);
const badInput = (message: string) => ({ v: V, ok: false as const, status: 400, message });

export interface QuotaSpec {
  limit: number;
  period: Period;
  offset: number;
}

export interface QuotaReply {
  allowed: boolean;
  used: number;
  remaining: number;
  /** When the period ends (ms). */
  resetAt: number;
}

const OP_MEMORY_MS = 10 * 60_000;

export class UsageQuota extends DurableObject<UsageQuotaEnv> {
  readonly #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: UsageQuotaEnv) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(`
      CREATE TABLE IF NOT EXISTS usage (day TEXT PRIMARY KEY, count INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS adjustments (period_start INTEGER PRIMARY KEY, delta INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS ops (op_id TEXT PRIMARY KEY, at INTEGER NOT NULL, allowed INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS ops_by_time ON ops (at);
    `);
  }

  #used(start: number, end: number): number {
    const row = this.#sql
      .exec<{ n: number | null }>("SELECT SUM(count) AS n FROM usage WHERE day >= ? AND day < ?", dayKey(start), dayKey(end))
      .toArray()[0];
    return row?.n ?? 0;
  }

  #adjustment(start: number): number {
    return this.#sql.exec<{ delta: number }>("SELECT delta FROM adjustments WHERE period_start = ?", start).toArray()[0]?.delta ?? 0;
  }

  #reply(spec: QuotaSpec, now: number, allowed: boolean): QuotaReply {
    const { start, end } = periodBounds(now, spec.period, spec.offset);
    const used = this.#used(start, end);
    return { allowed, used, remaining: Math.max(0, spec.limit + this.#adjustment(start) - used), resetAt: end };
  }

  /** Counts one request if the quota has room (idempotent per `opId`). */
  count(call: CountCall): Reply<QuotaReply> {
    if (call?.v !== V) return unknownContract(V, call);
    if (!validSpec(call.spec) || typeof call.opId !== "string" || !call.opId) return badInput("spec and opId are required");
    return ok(V, this.consume(call.spec, call.opId, call.at ?? Date.now()));
  }

  /** The current period's standing. */
  standing(call: StandingCall): Reply<QuotaReply> {
    if (call?.v !== V) return unknownContract(V, call);
    if (!validSpec(call.spec)) return badInput("spec is required");
    return ok(V, this.status(call.spec, call.at ?? Date.now()));
  }

  /** UpdateUsage: add `grant` requests to this period's quota, or set what remains of it to `remaining`. */
  amend(call: AmendCall): Reply<QuotaReply> {
    if (call?.v !== V) return unknownContract(V, call);
    const change = call.change as { grant?: unknown; remaining?: unknown } | undefined;
    if (!validSpec(call.spec) || !change || !(Number.isInteger(change.grant) || Number.isInteger(change.remaining))) return badInput("spec and a grant or remaining are required");
    return ok(V, this.adjust(call.spec, call.change, call.at ?? Date.now()));
  }

  /** GetUsage per day in [fromDay, toDay]: see `report`. */
  dailyReport(call: DailyReportCall): Reply<{ day: string; used: number; remaining: number }[]> {
    if (call?.v !== V) return unknownContract(V, call);
    if (!validSpec(call.spec) || !DAY.test(call.fromDay) || !DAY.test(call.toDay)) return badInput("spec, fromDay and toDay (YYYY-MM-DD) are required");
    return ok(V, this.report(call.spec, call.fromDay, call.toDay));
  }

  /** Requests counted per day in [fromDay, toDay]. */
  dailyCounts(call: DailyCountsCall): Reply<{ day: string; count: number }[]> {
    if (call?.v !== V) return unknownContract(V, call);
    if (!DAY.test(call.fromDay) || !DAY.test(call.toDay)) return badInput("fromDay and toDay (YYYY-MM-DD) are required");
    return ok(V, this.usage(call.fromDay, call.toDay));
  }

  /** @deprecated contract v0: `count`. */
  consume(spec: QuotaSpec, opId: string, now = Date.now()): QuotaReply {
    const seen = this.#sql.exec<{ allowed: number }>("SELECT allowed FROM ops WHERE op_id = ?", opId).toArray()[0];
    if (seen) return this.#reply(spec, now, seen.allowed === 1);
    return this.ctx.storage.transactionSync(() => {
      const before = this.#reply(spec, now, true);
      const allowed = before.remaining > 0;
      if (allowed) this.#sql.exec("INSERT INTO usage (day, count) VALUES (?, 1) ON CONFLICT (day) DO UPDATE SET count = count + 1", dayKey(now));
      this.#sql.exec("INSERT INTO ops (op_id, at, allowed) VALUES (?, ?, ?)", opId, now, allowed ? 1 : 0);
      this.#sql.exec("DELETE FROM ops WHERE at < ?", now - OP_MEMORY_MS);
      return this.#reply(spec, now, allowed);
    });
  }

  /** @deprecated contract v0: `dailyCounts`. Requests counted per day in [fromDay, toDay] (`YYYY-MM-DD`, inclusive). */
  usage(fromDay: string, toDay: string): { day: string; count: number }[] {
    return this.#sql
      .exec<{ day: string; count: number }>("SELECT day, count FROM usage WHERE day >= ? AND day <= ? ORDER BY day", fromDay, toDay)
      .toArray()
      .map((r) => ({ day: r.day, count: r.count }));
  }

  /**
   * @deprecated contract v0: `dailyReport`.
   * GetUsage, in one consistent read: for each day in [fromDay, toDay], the requests counted that day and what
   * remained of that day's period at the day's end (limit + the period's adjustments − its requests so far).
   * Adjustments are not readable otherwise, and a per-period `status` call would cost a call per day.
   */
  report(spec: QuotaSpec, fromDay: string, toDay: string): { day: string; used: number; remaining: number }[] {
    const from = Date.parse(`${fromDay}T00:00:00Z`);
    const to = Date.parse(`${toDay}T00:00:00Z`);
    const first = periodBounds(from, spec.period, spec.offset).start;
    const counts = new Map(this.usage(dayKey(first), toDay).map((r) => [r.day, r.count]));
    const out: { day: string; used: number; remaining: number }[] = [];
    let period = { start: -1, end: -1 };
    let soFar = 0;
    let adjustment = 0;
    for (let day = first; day <= to; day += 86_400_000) {
      if (day >= period.end) {
        period = periodBounds(day, spec.period, spec.offset);
        soFar = 0;
        adjustment = this.#adjustment(period.start);
      }
      const used = counts.get(dayKey(day)) ?? 0;
      soFar += used;
      if (day >= from) out.push({ day: dayKey(day), used, remaining: Math.max(0, spec.limit + adjustment - soFar) });
    }
    return out;
  }

  /** @deprecated contract v0: `standing`. */
  status(spec: QuotaSpec, now = Date.now()): QuotaReply {
    return this.#reply(spec, now, true);
  }

  /** @deprecated contract v0: `amend`. */
  adjust(spec: QuotaSpec, change: { grant: number } | { remaining: number }, now = Date.now()): QuotaReply {
    const { start, end } = periodBounds(now, spec.period, spec.offset);
    // From the unclamped standing: after a limit was lowered below what was used, `remaining` shows 0 but the
    // period is further behind, and setting what remains must still land exactly on the value asked for.
    const standing = spec.limit + this.#adjustment(start) - this.#used(start, end);
    const delta = "grant" in change ? change.grant : change.remaining - standing;
    this.#sql.exec(
      "INSERT INTO adjustments (period_start, delta) VALUES (?, ?) ON CONFLICT (period_start) DO UPDATE SET delta = delta + excluded.delta",
      start,
      delta,
    );
    return this.#reply(spec, now, true);
  }
}
