/**
 * The RateLimiter Durable Object through its stub (grants, refill in real time, durability across a restart), and
 * the isolate's leasing client `Limiter` over a counting namespace written here: how many object calls a
 * decision costs, single flight, "empty until T", and what happens when the object throws or hangs.
 */
import { abortAllDurableObjects, env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { RateLimiter } from "../../../durable-objects/rate-limiter/index.ts";
import type { Env } from "../../../src/env.ts";
import { LIMITER_DOWN_MS, LEASE_TTL_MS, LIMITER_WAIT_MS, Limiter, type Decision, type LimitSpec } from "../../../src/throttle/lease.ts";

const ENV = env as unknown as Env;
const uid = () => crypto.randomUUID().slice(0, 8);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stub = (name: string) => ENV.RATE_LIMITER.get(ENV.RATE_LIMITER.idFromName(name));
const spec = (rate: number, burst: number, strict = false): LimitSpec => ({ rate, burst, strict });

type Fault = "ok" | "throw" | "hang";

/**
 * The real RATE_LIMITER namespace behind a proxy that records every lease call (`acquire`, or `lease` in contract v0)
 * and, apart, every probe (`probe` / `peek`: the health probe of an object known to be down), and can make them throw
 * or hang.
 */
function countingNamespace() {
  const control = { fault: "ok" as Fault, calls: 0, probes: 0 };
  const real = ENV.RATE_LIMITER;
  const faulty = <T>(call: () => Promise<T>): Promise<T> => {
    if (control.fault === "throw") return Promise.reject(new Error("injected: RateLimiter unreachable"));
    if (control.fault === "hang") return new Promise(() => {});
    return call();
  };
  const ns = {
    idFromName: (name: string) => real.idFromName(name),
    get: (id: DurableObjectId) => ({
      acquire: (...args: Parameters<RateLimiter["acquire"]>) => (control.calls++, faulty<unknown>(() => real.get(id).acquire(...args))),
      probe: (...args: Parameters<RateLimiter["probe"]>) => (control.probes++, faulty<unknown>(() => real.get(id).probe(...args))),
      lease: (...args: Parameters<RateLimiter["lease"]>) => (control.calls++, faulty(() => real.get(id).lease(...args))),
      peek: (...args: Parameters<RateLimiter["peek"]>) => (control.probes++, faulty(() => real.get(id).peek(...args))),
    }),
  };
  return { limiter: new Limiter(() => ns as unknown as DurableObjectNamespace<RateLimiter>), control };
}

const admitted = (ds: Decision[]) => ds.filter((d) => d.admitted).length;

describe("RateLimiter object", () => {
  it("grants up to want, then at least min, then nothing with the wait until min is back", async () => {
    const s = stub(`do-${uid()}`);
    const cfg = { rate: 0.001, burst: 10 };
    expect(await s.lease(cfg, 4, 2)).toEqual({ granted: 4, remaining: 6, retryAfterMs: 0 });
    expect(await s.lease(cfg, 4, 2)).toEqual({ granted: 4, remaining: 2, retryAfterMs: 0 });
    expect(await s.lease(cfg, 4, 2)).toEqual({ granted: 2, remaining: 0, retryAfterMs: 0 });
    const none = await s.lease(cfg, 4, 2);
    expect(none.granted).toBe(0);
    // Two tokens at 0.001/s: about 2000 s, less the few ms of refill since the bucket emptied.
    expect(none.retryAfterMs).toBeGreaterThan(1_990_000);
    expect(none.retryAfterMs).toBeLessThanOrEqual(2_000_000);
  });

  it("sanitises want and min (whole numbers, 1 ≤ min ≤ want)", async () => {
    const s = stub(`do-${uid()}`);
    const cfg = { rate: 0.001, burst: 10 };
    expect((await s.lease(cfg, 2.9, 7)).granted).toBe(2);
    expect((await s.lease(cfg, 0, 5)).granted).toBe(1);
    expect((await s.peek(cfg)).tokens).toBeCloseTo(7, 2);
  });

  it("refills in real time, up to burst", async () => {
    const s = stub(`do-${uid()}`);
    const cfg = { rate: 50, burst: 5 };
    expect((await s.lease(cfg, 5, 5)).granted).toBe(5);
    const empty = await s.lease(cfg, 5, 5);
    expect(empty.granted).toBe(0);
    expect(empty.retryAfterMs).toBeLessThanOrEqual(100);
    await sleep(150); // 7.5 tokens' worth at 50/s, capped at 5
    expect((await s.lease(cfg, 9, 1)).granted).toBe(5);
  });

  it("neither refills nor forgets across a restart", async () => {
    const name = `do-${uid()}`;
    const cfg = { rate: 0.001, burst: 10 };
    expect(await stub(name).lease(cfg, 7, 7)).toMatchObject({ granted: 7, remaining: 3 });
    await abortAllDurableObjects();
    const again = stub(name);
    const rows = await runInDurableObject(again, (_o, state) => state.storage.sql.exec("SELECT tokens FROM bucket").toArray());
    expect(rows).toHaveLength(1);
    expect(rows[0]!.tokens as number).toBeCloseTo(3, 2);
    // Not refilled (10) and not forgotten (a new bucket would start full): the same 3 tokens.
    expect((await again.lease(cfg, 10, 1)).granted).toBe(3);
    await abortAllDurableObjects();
    expect((await stub(name).lease(cfg, 10, 1)).granted).toBe(0);
  });
});

describe("Limiter (the isolate's leasing client)", () => {
  it("spends a lease locally: one object call per lease, not per request", async () => {
    const { limiter, control } = countingNamespace();
    const key = `lease-${uid()}`;
    const s = spec(1000, 2000); // leases of 100
    const first = await limiter.check(key, s, false);
    expect(first).toEqual({ admitted: true, remaining: 1900 + 99, degraded: false });
    for (let i = 1; i < 100; i++) expect((await limiter.check(key, s, false)).admitted).toBe(true);
    expect(control.calls).toBe(1);
    expect(await limiter.check(key, s, false)).toMatchObject({ admitted: true });
    expect(control.calls).toBe(2);
  });

  it("asks the object on every request in strict mode", async () => {
    const { limiter, control } = countingNamespace();
    const key = `strict-${uid()}`;
    const ds = await Promise.all(Array.from({ length: 12 }, () => limiter.check(key, spec(0.001, 5, true), false)));
    expect(admitted(ds)).toBe(5);
    expect(control.calls).toBe(12);
  });

  it("shares one lease call among concurrent checks (single flight), leasing for the queue", async () => {
    const { limiter, control } = countingNamespace();
    const key = `sf-${uid()}`;
    const one = await Promise.all(Array.from({ length: 50 }, () => limiter.check(key, spec(1000, 2000), false)));
    expect(admitted(one)).toBe(50);
    expect(one.every((d) => !d.degraded)).toBe(true);
    expect(control.calls).toBe(1);
    // Leases of 20 when alone: 50 concurrent requests would need three calls one after another, but the lease after
    // the first asks for the requests still waiting (up to a quarter of the burst).
    control.calls = 0;
    const key20 = `sf-${uid()}`;
    const twenty = await Promise.all(Array.from({ length: 50 }, () => limiter.check(key20, spec(100, 1000), false)));
    expect(admitted(twenty)).toBe(50);
    expect(twenty.every((d) => !d.degraded)).toBe(true);
    expect(control.calls).toBe(2);
  });

  it("remembers 'empty until T' and keeps refused requests off the object", async () => {
    const { limiter, control } = countingNamespace();
    const key = `empty-${uid()}`;
    const s = spec(0.5, 3);
    const first = [];
    for (let i = 0; i < 4; i++) first.push(await limiter.check(key, s, false));
    expect(first.map((d) => d.admitted)).toEqual([true, true, true, false]);
    const callsWhenEmpty = control.calls;
    let last = first[3]!.admitted ? 0 : (first[3] as { retryAfterMs: number }).retryAfterMs;
    expect(last).toBeGreaterThan(1500);
    expect(last).toBeLessThanOrEqual(2000);
    for (let i = 0; i < 30; i++) {
      const d = await limiter.check(key, s, false);
      expect(d).toMatchObject({ admitted: false, degraded: false });
      const wait = (d as { retryAfterMs: number }).retryAfterMs;
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(last);
      last = wait;
    }
    expect(control.calls).toBe(callsWhenEmpty);
  });

  it("drops unspent leased tokens after the lease TTL", async () => {
    const { limiter, control } = countingNamespace();
    const key = `ttl-${uid()}`;
    await limiter.check(key, spec(1000, 2000), false);
    expect(control.calls).toBe(1);
    await sleep(LEASE_TTL_MS + 50);
    await limiter.check(key, spec(1000, 2000), false);
    expect(control.calls).toBe(2);
  });

  it("fails open through an in-isolate bucket seeded with what the object last said it held, never a full one", async () => {
    const { limiter, control } = countingNamespace();
    const key = `throw-${uid()}`;
    // Healthy: a lease of one token (this bucket is too small to lease more) leaves the object holding 4.
    expect(await limiter.check(key, spec(0.001, 5), false)).toMatchObject({ admitted: true, degraded: false });
    control.fault = "throw";
    const ds = [];
    for (let i = 0; i < 6; i++) ds.push(await limiter.check(key, spec(0.001, 5), false));
    expect(ds.map((d) => [d.admitted, d.degraded])).toEqual([
      [true, true],
      [true, true],
      [true, true],
      [true, true],
      [false, true],
      [false, true],
    ]);
    expect((ds[5] as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(900_000);
    // A limiter that failed is not asked again per request: one lease call, and no probe before LIMITER_DOWN_MS.
    expect([control.calls, control.probes]).toEqual([2, 0]);
    // An isolate that never heard from the object starts empty: a fresh key admits nothing at this rate.
    expect(await limiter.check(`fresh-${uid()}`, spec(0.001, 5), false)).toMatchObject({ admitted: false, degraded: true });
  });

  it("probes an object known to be down in the background, answering at once meanwhile, and leases again once it answers", async () => {
    const { limiter, control } = countingNamespace();
    const key = `probe-${uid()}`;
    control.fault = "throw";
    expect(await limiter.check(key, spec(1000, 2000), false)).toMatchObject({ degraded: true });
    control.fault = "ok";
    expect(await limiter.check(key, spec(1000, 2000), false)).toMatchObject({ degraded: true });
    expect(control.probes).toBe(0);
    await sleep(LIMITER_DOWN_MS + 50);
    // Due: this request starts the probe and is answered without waiting for it.
    expect(await limiter.check(key, spec(1000, 2000), false)).toMatchObject({ degraded: true });
    expect(control.probes).toBe(1);
    // Once the probe has answered (in the background), the next request leases again.
    let next = await limiter.check(key, spec(1000, 2000), false);
    for (let i = 0; i < 300 && next.degraded; i++) {
      await sleep(10);
      next = await limiter.check(key, spec(1000, 2000), false);
    }
    expect(next).toMatchObject({ admitted: true, degraded: false });
    expect(control.calls).toBe(2);
  });

  it("waits about LIMITER_WAIT_MS for an object that hangs, then fails open — once for all concurrent checks", async () => {
    const { limiter, control } = countingNamespace();
    const key = `hang-${uid()}`;
    expect(await limiter.check(key, spec(0.001, 10), false)).toMatchObject({ admitted: true, degraded: false }); // the object holds 9
    control.fault = "hang";
    const started = Date.now();
    const ds = await Promise.all(Array.from({ length: 20 }, () => limiter.check(key, spec(0.001, 10), false)));
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(LIMITER_WAIT_MS - 5);
    // Waiters on the failed shared call decide with it: no second wait (which would take 2 × LIMITER_WAIT_MS).
    expect(took).toBeLessThan(2 * LIMITER_WAIT_MS);
    expect(control.calls).toBe(2);
    expect(ds.every((d) => d.degraded)).toBe(true);
    expect(admitted(ds)).toBe(9); // what the object last said it held, not a fresh burst
  });

  it("refuses, marked degraded, when failing closed", async () => {
    const { limiter, control } = countingNamespace();
    for (const fault of ["throw", "hang"] as const) {
      control.fault = fault;
      const started = Date.now();
      const d = await limiter.check(`closed-${fault}-${uid()}`, spec(1000, 2000), true);
      expect(d).toEqual({ admitted: false, retryAfterMs: 1000, degraded: true });
      expect(Date.now() - started).toBeLessThan(LIMITER_WAIT_MS + 400);
    }
  });
});
