/**
 * (g) Overload: a throttled route offered twice its rate for 60 s (`BENCH_OVERLOAD_SECONDS`), on the Worker whose
 * account bucket is off (only the route's bucket applies). What must hold: beyond the limit only 429s — no 5xx,
 * no other status, no failed connection — about rate × seconds + burst admitted, and the admitted requests still
 * answered promptly (their p99 under a bound).
 *
 * The load is open-loop, unlike autocannon's: request i is sent at start + i / offered rate whatever the earlier
 * ones are doing (a client population does not wait for the gateway), over keep-alive connections (up to 256; past
 * that a request waits in the client's queue, and that wait counts). A request's latency runs from when it was
 * handed to the client; a gateway that falls behind shows in the tail instead of slowing the load down (no
 * coordinated omission). The generator's own lateness (when it was sent − when it was due: this process starved
 * of CPU on a busy machine) is reported apart, with the latency from when each request was due, so a slow machine
 * is not taken for a slow gateway.
 */
import { Agent, request as httpRequest } from "node:http";
import { fixture } from "./fixture.ts";
import type { WorkerPool } from "./pool.ts";

const ROUTE = "GET /overload";
const PATH = "/bench/overload";
/** Admitted requests' p99 must stay under this: on loopback a request takes 1–3 ms; this is queueing. */
export const ADMITTED_P99_BOUND_MS = 50;
/** Admitted within this share of rate × seconds + burst (as the throttle accuracy target). */
const ADMITTED_TOLERANCE_PERCENT = 5;
const MAX_SOCKETS = 256;

export interface OverloadResult {
  route: string;
  rate: number;
  burst: number;
  offeredRate: number;
  seconds: number;
  requests: number;
  statusCodes: Record<string, number>;
  admitted: number;
  throttled: number;
  /** Responses that were neither 200 `hello` nor 429 Too Many Requests, and failed requests, by kind. */
  other: Record<string, number>;
  /** rate × seconds + burst. */
  expectedAdmitted: number;
  admittedErrorPercent: number;
  admittedTolerancePercent: number;
  /** Latency (ms, from when each request was handed to the client) of the admitted and of the refused. */
  admittedMs: Latency;
  throttledMs: Latency;
  /** The same from when each was due (the generator's lateness included), and that lateness alone. */
  admittedFromDueMs: Latency;
  generatorLateMs: Latency;
  p99BoundMs: number;
  verdicts: { onlyThrottled: boolean; admittedAsLimited: boolean; admittedP99Bounded: boolean };
}

interface Latency {
  p50: number;
  p99: number;
  max: number;
}

interface Outcome {
  kind: "admitted" | "throttled" | string;
  status: number;
  /** From when it was handed to the client, and from when it was due. */
  ms: number;
  fromDueMs: number;
  lateMs: number;
}

const msSince = (t: bigint, now = process.hrtime.bigint()) => Number(now - t) / 1e6;

function send(agent: Agent, url: URL, due: bigint): Promise<Outcome> {
  const sent = process.hrtime.bigint();
  const lateMs = msSince(due, sent);
  return new Promise((resolve) => {
    const fail = (why: string) => resolve({ kind: why, status: 0, ms: 0, fromDueMs: 0, lateMs });
    const req = httpRequest(url, { agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => {
        const now = process.hrtime.bigint();
        const status = res.statusCode ?? 0;
        const kind = status === 200 && body === "hello" ? "admitted" : status === 429 && body.includes("Too Many Requests") ? "throttled" : `${status} ${body.slice(0, 60)}`;
        resolve({ kind, status, ms: msSince(sent, now), fromDueMs: msSince(due, now), lateMs });
      });
      res.on("error", (err) => fail(`response error: ${err.message}`));
    });
    req.on("error", (err) => fail(`request error: ${err.message}`));
    req.end();
  });
}

const percentiles = (values: number[]): Latency => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! : 0);
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0 };
};

export async function measureOverload(pool: WorkerPool, seconds: number, log: (line: string) => void): Promise<OverloadResult> {
  const routes = fixture.definition.routes as Record<string, { throttle?: { rate: number; burst: number } }>;
  const limit = routes[ROUTE]?.throttle;
  if (!limit) throw new Error(`bench-api.yaml: route ${ROUTE} has no throttle`);
  const offeredRate = limit.rate * 2;
  const url = new URL(PATH, await pool.url("portico-throttle"));
  log(`  ${ROUTE} (${limit.rate} r/s, burst ${limit.burst}) offered ${offeredRate} r/s for ${seconds} s, open loop`);
  const agent = new Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
  const total = Math.round(offeredRate * seconds);
  const pending: Promise<Outcome>[] = [];
  const start = process.hrtime.bigint();
  const interval = BigInt(Math.round(1e9 / offeredRate));
  try {
    // Every millisecond, send what has come due: the schedule holds even when the timer is late.
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const now = process.hrtime.bigint();
        while (pending.length < total) {
          const due = start + interval * BigInt(pending.length);
          if (due > now) break;
          pending.push(send(agent, url, due));
        }
        if (pending.length >= total) {
          clearInterval(timer);
          resolve();
        }
      }, 1);
    });
    const outcomes = await Promise.all(pending);
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    const statusCodes: Record<string, number> = {};
    const other: Record<string, number> = {};
    for (const o of outcomes) {
      statusCodes[o.status] = (statusCodes[o.status] ?? 0) + 1;
      if (o.kind !== "admitted" && o.kind !== "throttled") other[o.kind] = (other[o.kind] ?? 0) + 1;
    }
    const admitted = outcomes.filter((o) => o.kind === "admitted");
    const throttled = outcomes.filter((o) => o.kind === "throttled");
    // The schedule's length, not the time the last answer took: the bucket refills while requests are offered.
    const expectedAdmitted = limit.rate * Math.min(seconds, elapsed) + limit.burst;
    const admittedErrorPercent = ((admitted.length - expectedAdmitted) / expectedAdmitted) * 100;
    const admittedMs = percentiles(admitted.map((o) => o.ms));
    return {
      route: ROUTE,
      rate: limit.rate,
      burst: limit.burst,
      offeredRate,
      seconds,
      requests: outcomes.length,
      statusCodes,
      admitted: admitted.length,
      throttled: throttled.length,
      other,
      expectedAdmitted,
      admittedErrorPercent,
      admittedTolerancePercent: ADMITTED_TOLERANCE_PERCENT,
      admittedMs,
      throttledMs: percentiles(throttled.map((o) => o.ms)),
      admittedFromDueMs: percentiles(admitted.map((o) => o.fromDueMs)),
      generatorLateMs: percentiles(outcomes.map((o) => o.lateMs)),
      p99BoundMs: ADMITTED_P99_BOUND_MS,
      verdicts: {
        onlyThrottled: Object.keys(other).length === 0,
        admittedAsLimited: Math.abs(admittedErrorPercent) <= ADMITTED_TOLERANCE_PERCENT,
        admittedP99Bounded: admitted.length > 0 && admittedMs.p99 <= ADMITTED_P99_BOUND_MS,
      },
    };
  } finally {
    agent.destroy();
  }
}
