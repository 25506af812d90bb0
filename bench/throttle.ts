/**
 * The throttle section (throttling issue), on the `portico-throttle` Worker: the same build as `portico`, with the
 * account-wide bucket off (ACCOUNT_RATE=0) so only the route's own bucket applies, and an entry module that
 * re-exports Portico with RateLimiter subclassed to count lease calls (`acquire`, and `lease` of contract v0; the product is not changed; the count is
 * read through a bench-only path the entry answers before Portico does).
 *
 * - accuracy: 64 connections for 10 s against a 100 req/s, burst 200 route bucket; admitted (2xx) against
 *   rate × duration + burst; lease calls per admitted request (every call that reached the object, granted or not);
 * - strict: a burst-50 strict bucket that practically never refills: exactly 50 must be admitted;
 * - cost: the pair in scenarios.ts (a route bucket that never refuses vs none).
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fixture } from "./fixture.ts";
import { drive, type DriveResult } from "./harness.ts";
import type { WorkerPool } from "./pool.ts";
import { leaseSize } from "../src/throttle/bucket.ts";

const COUNT_PATH = "/__bench/lease-calls";

/** Writes the counting entry module beside the built script and returns its path. */
export function writeCountingEntry(builtScript: string): string {
  const entry = join(dirname(builtScript), "bench-throttle-entry.js");
  writeFileSync(
    entry,
    `// Written by bench/throttle.ts: Portico as built, with RateLimiter's lease calls counted (npm run bench only).
import portico, { RateLimiter as PorticoRateLimiter } from "./index.js";
// Every other Durable Object class as built (a local export wins over the star).
export * from "./index.js";
export class RateLimiter extends PorticoRateLimiter {
  #calls = 0;
  #empty = 0;
  acquire(call) {
    this.#calls++;
    const reply = super.acquire(call);
    if (reply.ok && reply.value.granted === 0) this.#empty++;
    return reply;
  }
  lease(config, want, min) {
    this.#calls++;
    const reply = super.lease(config, want, min);
    if (reply.granted === 0) this.#empty++;
    return reply;
  }
  benchLeaseCalls() {
    return { calls: this.#calls, empty: this.#empty };
  }
}
export default {
  async fetch(request, env, ctx) {
    if (request.url.includes(${JSON.stringify(COUNT_PATH)})) {
      const bucket = new URL(request.url).searchParams.get("bucket") ?? "";
      const counts = await env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(bucket)).benchLeaseCalls();
      return Response.json({ bucket, ...counts });
    }
    return portico.fetch(request, env, ctx);
  },
};
`,
  );
  return entry;
}

/** Lease calls the bucket's RateLimiter has had, and how many of them granted nothing (bucket empty). */
async function leaseCalls(url: URL, bucket: string): Promise<{ calls: number; empty: number }> {
  const res = await fetch(new URL(`${COUNT_PATH}?bucket=${encodeURIComponent(bucket)}`, url));
  if (!res.ok) throw new Error(`${COUNT_PATH} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { calls: number; empty: number };
}

interface RouteThrottle {
  rate: number;
  burst: number;
  strict?: boolean;
}

function routeThrottle(routeKey: string): RouteThrottle {
  const routes = fixture.definition.routes as Record<string, { throttle?: RouteThrottle }>;
  const t = routes[routeKey]?.throttle;
  if (!t) throw new Error(`bench-api.yaml: route ${routeKey} has no throttle`);
  return t;
}

/** Admitted = 200 "hello"; refused = 429 Too Many Requests; anything else invalidates the run. */
function classifyThrottled(status: number, body: string): string | { invalid: string } {
  if (status === 200 && body === "hello") return "admitted";
  if (status === 429 && body.includes("Too Many Requests")) return "throttled";
  return { invalid: `${status} ${body.slice(0, 80)}` };
}

/** What both throttle runs report: the route's bucket, the load, and what it let through. */
interface BucketRun {
  route: string;
  rate: number;
  burst: number;
  connections: number;
  seconds: number;
  requests: number;
  admitted: number;
}

export interface AccuracyResult extends BucketRun {
  throttled: number;
  /** rate × seconds + burst. */
  expected: number;
  /** (admitted − expected) ÷ expected × 100. */
  errorPercent: number;
  targetPercent: number;
  /** RateLimiter.lease calls for this bucket during the run, counted in the object (measured). */
  leaseCalls: number;
  /** …of which granted nothing (the bucket was empty: the isolate then refuses locally until it refills). */
  emptyLeaseCalls: number;
  admittedPerLeaseCall: number;
  /** What bucket.ts leaseSize asks for and accepts at least (computed). */
  leaseSize: { want: number; min: number };
  valid: boolean;
  statusCodes: Record<string, number>;
  invalid: Record<string, number>;
}

export interface StrictResult extends BucketRun {
  /** burst + ⌊rate × seconds⌋. */
  expected: number;
  leaseCalls: number;
  emptyLeaseCalls: number;
  valid: boolean;
  statusCodes: Record<string, number>;
  invalid: Record<string, number>;
}

const bucketKey = (routeKey: string) => `route:bench:bench:${routeKey}`;

function accuracyOf(run: DriveResult, route: string, t: RouteThrottle, connections: number, calls: { calls: number; empty: number }): AccuracyResult {
  const admitted = run.counts.admitted ?? 0;
  const expected = t.rate * run.seconds + t.burst;
  return {
    route,
    rate: t.rate,
    burst: t.burst,
    connections,
    seconds: run.seconds,
    requests: run.requests,
    admitted,
    throttled: run.counts.throttled ?? 0,
    expected,
    errorPercent: ((admitted - expected) / expected) * 100,
    targetPercent: 5,
    leaseCalls: calls.calls,
    emptyLeaseCalls: calls.empty,
    admittedPerLeaseCall: calls.calls ? admitted / calls.calls : Infinity,
    leaseSize: leaseSize({ rate: t.rate, burst: t.burst }, false),
    valid: run.valid,
    statusCodes: run.statusCodes,
    invalid: run.invalid,
  };
}

export async function measureThrottleAccuracy(pool: WorkerPool, log: (line: string) => void): Promise<{ accuracy: AccuracyResult; strict: StrictResult }> {
  const url = await pool.url("portico-throttle");
  const ROUTE = "GET /throttled";
  const CONNECTIONS = 64;
  const SECONDS = 10;
  const t = routeThrottle(ROUTE);
  const before = await leaseCalls(url, bucketKey(ROUTE));
  if (before.calls !== 0) throw new Error(`the ${ROUTE} bucket was used before the accuracy run (${before.calls} lease calls)`);
  log(`  accuracy: ${ROUTE} (${t.rate} r/s, burst ${t.burst}), ${CONNECTIONS} connections for ${SECONDS} s`);
  const run = await drive({ url, connections: CONNECTIONS, seconds: SECONDS, next: () => ({ path: "/bench/throttled" }), classify: classifyThrottled });
  const accuracy = accuracyOf(run, ROUTE, t, CONNECTIONS, await leaseCalls(url, bucketKey(ROUTE)));

  const STRICT = "GET /strict";
  const s = routeThrottle(STRICT);
  const STRICT_CONNECTIONS = 16;
  const STRICT_SECONDS = 2;
  log(`  strict: ${STRICT} (burst ${s.burst}, ${s.rate} r/s), ${STRICT_CONNECTIONS} connections for ${STRICT_SECONDS} s`);
  const strictRun = await drive({ url, connections: STRICT_CONNECTIONS, seconds: STRICT_SECONDS, next: () => ({ path: "/bench/strict" }), classify: classifyThrottled });
  const strict: StrictResult = {
    route: STRICT,
    rate: s.rate,
    burst: s.burst,
    connections: STRICT_CONNECTIONS,
    seconds: strictRun.seconds,
    requests: strictRun.requests,
    admitted: strictRun.counts.admitted ?? 0,
    expected: s.burst + Math.floor(s.rate * strictRun.seconds),
    ...(await leaseCalls(url, bucketKey(STRICT)).then((c) => ({ leaseCalls: c.calls, emptyLeaseCalls: c.empty }))),
    valid: strictRun.valid,
    statusCodes: strictRun.statusCodes,
    invalid: strictRun.invalid,
  };
  return { accuracy, strict };
}
