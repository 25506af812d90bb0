/**
 * May a request await a promise another request made and settles, then do its own I/O after that request has
 * ended? docs/architecture.md ("Waiting for another request's work") rests on the answer: `awaitShared` and the
 * cache lock's waiters await the other request's promise, raced against their own timer.
 *
 * Each case sends real requests to a Worker of its own (test/worker/support/cross-request-worker.ts) running with
 * wrangler.toml's compatibility date and flags: request A starts work held open at the real local backend and
 * exposes its promise in module state; request B waits for it; the test lets A's work finish, reads A's whole
 * response (A has ended), and only then lets B go on to its own backend fetches and KV. The tests' own Worker
 * cannot be used: the pool runs it with `no_handle_cross_request_promise_resolution`.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import wranglerToml from "../../../wrangler.toml?raw";
import { hits, sleep, uid } from "../cache/support.ts";
import { backendUrl } from "../support/gateway.ts";

const bindings = env as unknown as { CROSS_REQUEST: Fetcher; CROSS_REQUEST_LEGACY: Fetcher };
const WORKER = bindings.CROSS_REQUEST;

type Params = Record<string, string>;
const call = (worker: Fetcher, path: string, params: Params) =>
  worker.fetch(`http://cross-request${path}?${new URLSearchParams({ backend: backendUrl(), ...params })}`);
const json = async <T>(res: Promise<Response>): Promise<{ status: number; body: T }> => {
  const r = await res;
  const text = await r.text();
  expect(r.status, text).toBe(200);
  return { status: r.status, body: JSON.parse(text) as T };
};
const open = async (gate: string) => {
  const res = await fetch(`${backendUrl()}/__open?gate=${encodeURIComponent(gate)}`, { method: "POST" });
  expect(res.status).toBe(204);
};

interface Ready {
  shared: boolean;
  filling: boolean;
  waiting: number;
}
/** Until the Worker's module state shows `what` (A's promise or claim in place, B's requests waiting). */
async function until(worker: Fetcher, tag: string, what: (ready: Ready) => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (what((await json<Ready>(call(worker, "/ready", { tag }))).body)) return;
    await sleep(10);
  }
  throw new Error(`cross-request worker: ${tag} never became ready`);
}

interface Own {
  gate: string;
  echo: string;
  kv: string | null;
}
interface Waited {
  settled: boolean;
  outcome?: string;
  own: Own;
}
interface Looked {
  from: "cache" | "backend";
  body: { path: string };
  waitedMs: number;
  own: Own;
}

/** B's own I/O, done after A ended: the held fetch answered, the counted fetch made, KV written and read. */
function expectOwnWork(own: Own, tag: string) {
  expect(own).toEqual({ gate: JSON.stringify({ opened: `${tag}-b` }), echo: `/echo/${tag}-b`, kv: "written by B" });
}

/** A's work starts and B waits; A's work settles and A's response is read whole; then B goes on. */
async function aThenB(worker: Fetcher, how: string, fail = false) {
  const tag = `xr-${uid()}`;
  const a = call(worker, "/share", { tag, ...(fail ? { fail: "1" } : {}) });
  await until(worker, tag, (r) => r.shared);
  const b = call(worker, "/wait", { tag, how, ms: "5000" });
  await until(worker, tag, (r) => r.waiting === 1);
  await open(tag);
  const aBody = await json<{ a: string }>(a);
  await sleep(50); // A has answered and its response was read: A's request is over
  await open(`${tag}-b`);
  return { tag, a: aBody.body.a, b: await b };
}

describe("a request awaiting another request's promise (production's compatibility date and flags)", () => {
  it("runs with handle_cross_request_promise_resolution: wrangler.toml's date is past 2024-10-14 and no flag turns it off", () => {
    const date = /^compatibility_date\s*=\s*"([\d-]+)"/m.exec(wranglerToml)?.[1];
    expect(date! >= "2024-10-14", `compatibility_date ${date}`).toBe(true);
    expect(wranglerToml).not.toContain("no_handle_cross_request_promise_resolution");
  });

  for (const how of ["race", "shared", "resolver"]) {
    const what = { race: "A's promise raced against B's timer", shared: "awaitShared", resolver: "a promise B made and A resolves" }[how];
    it(`${what}: B settles with A's value, then does its own I/O after A ended`, async () => {
      const { tag, a, b } = await aThenB(WORKER, how);
      expect(a).toBe(`value ${JSON.stringify({ opened: tag })}`);
      const got = await json<Waited>(Promise.resolve(b));
      expect(got.body.settled).toBe(true);
      expect(got.body.outcome).toBe(a);
      expectOwnWork(got.body.own, tag);
      expect(await hits(`/echo/${tag}-b`)).toBe(1);
    });

    it(`${what}: B learns that A's work failed, then does its own I/O`, async () => {
      const { tag, a, b } = await aThenB(WORKER, how, true);
      expect(a).toBe(`error shared work ${tag} failed`);
      const got = await json<Waited>(Promise.resolve(b));
      expect([got.body.settled, got.body.outcome]).toEqual([true, a]);
      expectOwnWork(got.body.own, tag);
    });
  }

  it("B's own timer wins while A's work is held: B answers from its own I/O, and A still answers once its work ends", async () => {
    const tag = `xr-${uid()}`;
    await open(`${tag}-b`);
    const a = call(WORKER, "/share", { tag });
    await until(WORKER, tag, (r) => r.shared);
    const b = await json<Waited>(call(WORKER, "/wait", { tag, how: "race", ms: "100" }));
    expect(b.body.settled).toBe(false);
    expectOwnWork(b.body.own, tag);
    // B's request is over when A's work settles: what B left waiting on it is dropped, A is unaffected.
    await open(tag);
    expect((await json<{ a: string }>(a)).body.a).toBe(`value ${JSON.stringify({ opened: tag })}`);
  });
});

describe("the same Worker with no_handle_cross_request_promise_resolution (what the test pool runs its own Worker with)", () => {
  const LEGACY = bindings.CROSS_REQUEST_LEGACY;

  it("a promise B made and A resolves runs B's continuation in A's request: B's I/O fails once A has ended", async () => {
    const tag = `xr-${uid()}`;
    const a = call(LEGACY, "/share", { tag });
    await until(LEGACY, tag, (r) => r.shared);
    const b = call(LEGACY, "/wait", { tag, how: "resolver", ms: "1000" });
    await until(LEGACY, tag, (r) => r.waiting === 1);
    await open(tag);
    expect((await a).status).toBe(200);
    await sleep(50);
    await open(`${tag}-b`);
    // The fear docs/architecture.md once designed around: "Cannot perform I/O on behalf of a different request"
    // inside B, and B's request never completes.
    const outcome = await b.then(
      (res) => `status ${res.status}`,
      (err: Error) => `rejected: ${err.message}`,
    );
    expect(outcome).not.toBe("status 200");
  });

  it("following A's promise (what the product's waiters do) works even there", async () => {
    const { tag, b } = await aThenB(LEGACY, "race");
    expectOwnWork((await json<Waited>(Promise.resolve(b))).body.own, tag);
  });
});

describe("the cache lock across requests (src/cache/store.ts: claimFill, awaitFill, releaseFill)", () => {
  /** A claims the key and holds at the gate; `waiters` requests of B wait for its fill. */
  async function fillWithWaiters(waiters: number, fail = false, ms?: number) {
    const tag = `xr-${uid()}`;
    const a = call(WORKER, "/fill", { tag, ...(fail ? { fail: "1" } : {}) });
    await until(WORKER, tag, (r) => r.filling);
    const bs = Array.from({ length: waiters }, () => call(WORKER, "/lookup", { tag, ...(ms !== undefined ? { ms: String(ms) } : {}) }));
    await until(WORKER, tag, (r) => r.waiting === waiters);
    return { tag, a, bs };
  }

  it("the filler stores: every waiter is answered from its entry, with one backend call, after the filler ended", async () => {
    const { tag, a, bs } = await fillWithWaiters(3);
    await open(tag);
    expect((await a).status).toBe(200);
    await sleep(50);
    await open(`${tag}-b`);
    const all = await Promise.all(bs.map((b) => json<Looked>(b)));
    expect(all.map((r) => [r.body.from, r.body.body.path])).toEqual(Array(3).fill(["cache", `/echo/${tag}-fill`]));
    for (const r of all) expectOwnWork(r.body.own, tag);
    expect(await hits(`/echo/${tag}-fill`)).toBe(1);
    expect(await hits(`/echo/${tag}-b`)).toBe(3);
  });

  it("the filler fails: its release wakes the waiters at once and each calls the backend itself", async () => {
    const { tag, a, bs } = await fillWithWaiters(3, true);
    await open(tag);
    expect((await a).status).toBe(502);
    await open(`${tag}-b`);
    const all = await Promise.all(bs.map((b) => json<Looked>(b)));
    expect(all.map((r) => r.body.from)).toEqual(["backend", "backend", "backend"]);
    for (const r of all) expect(r.body.waitedMs, "woken by the release, not by the 5 s bound").toBeLessThan(2000);
    expect(await hits(`/echo/${tag}-fill`)).toBe(1 + 3);
  });

  it("the filler holds on: a waiter's own timer ends its wait at its bound, and the filler's later store is unaffected", async () => {
    const { tag, a, bs } = await fillWithWaiters(1, false, 100);
    await open(`${tag}-b`);
    const [b] = await Promise.all(bs.map((r) => json<Looked>(r)));
    expect(b!.body.from).toBe("backend");
    expect(b!.body.waitedMs).toBeLessThan(2000);
    await open(tag);
    expect((await a).status).toBe(200);
    expect(await hits(`/echo/${tag}-fill`)).toBe(2);
  });

  it("the filler never releases: a waiter stops at FILL_WAIT_MS (5 s) and goes to the backend", { timeout: 20_000 }, async () => {
    const { tag, a, bs } = await fillWithWaiters(1);
    await open(`${tag}-b`);
    const [b] = await Promise.all(bs.map((r) => json<Looked>(r)));
    expect(b!.body.from).toBe("backend");
    expect(b!.body.waitedMs).toBeGreaterThanOrEqual(4900);
    expect(b!.body.waitedMs).toBeLessThan(8000);
    await open(tag);
    expect((await a).status).toBe(200);
  });
});
