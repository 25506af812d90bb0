/**
 * UsageQuota: one object per API key × usage plan (`<api>/<plan>/<keyId>`). Each admitted request is counted
 * durably, by day (UTC), before it is served; a request id is remembered for 10 minutes so a retried count is
 * never counted twice. Remaining quota = limit − requests this period + adjustments (UpdateUsage grants and
 * resets). Tables in durable-objects/STORAGE.md.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../../src/env.ts";
import { dayKey, periodBounds, type Period } from "../../src/throttle/periods.ts";

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

export class UsageQuota extends DurableObject<Env> {
  readonly #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(`
      CREATE TABLE IF NOT EXISTS usage (day TEXT PRIMARY KEY, count INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS adjustments (period_start INTEGER PRIMARY KEY, delta INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS ops (op_id TEXT PRIMARY KEY, at INTEGER NOT NULL, allowed INTEGER NOT NULL);
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

  /** Requests counted per day in [fromDay, toDay] (`YYYY-MM-DD`, inclusive). */
  usage(fromDay: string, toDay: string): { day: string; count: number }[] {
    return this.#sql
      .exec<{ day: string; count: number }>("SELECT day, count FROM usage WHERE day >= ? AND day <= ? ORDER BY day", fromDay, toDay)
      .toArray()
      .map((r) => ({ day: r.day, count: r.count }));
  }

  /** The current period's standing. */
  status(spec: QuotaSpec, now = Date.now()): QuotaReply {
    return this.#reply(spec, now, true);
  }

  /** UpdateUsage: add `grant` requests to this period's quota, or set what remains to `remaining`. */
  adjust(spec: QuotaSpec, change: { grant: number } | { remaining: number }, now = Date.now()): QuotaReply {
    const { start } = periodBounds(now, spec.period, spec.offset);
    const current = this.#reply(spec, now, true);
    const delta = "grant" in change ? change.grant : change.remaining - current.remaining;
    this.#sql.exec(
      "INSERT INTO adjustments (period_start, delta) VALUES (?, ?) ON CONFLICT (period_start) DO UPDATE SET delta = delta + excluded.delta",
      start,
      delta,
    );
    return this.#reply(spec, now, true);
  }
}
