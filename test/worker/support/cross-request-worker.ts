/**
 * A test-only Worker for the question in docs/architecture.md ("Waiting for another request's work"): may a
 * request await a promise another request created and settles, and then do its own I/O after that request has
 * ended? vitest.config.ts bundles this file (with the product code it imports) and runs it as its own Worker with
 * wrangler.toml's compatibility date and flags — the test runner itself runs with
 * `no_handle_cross_request_promise_resolution` forced on, so it cannot answer the question for production.
 *
 * Every request is a real request of this Worker (the test calls it through a service binding), and module state
 * is shared by the requests of its one isolate, as in production. `backend` is the real local backend's URL and
 * `tag` names one case's state. Paths:
 *
 *   /share?tag=&fail=1   request A: starts shared work (a fetch held open at the backend's /gate/{tag}), exposes its
 *                        promise in module state, awaits it and answers; with `fail`, the work rejects once the
 *                        gate opens
 *   /wait?tag=&ms=&how=  request B: waits for A's work, at most `ms` on its own timer — `how`: `race` awaits A's
 *                        promise raced against a timer, `shared` uses the product's `awaitShared`, `resolver` awaits
 *                        a promise B made itself and A resolves — then does its own I/O (/gate/{tag}-b, held until
 *                        the test opens it after A has ended; /echo/{tag}-b; a KV write and read) and answers
 *   /fill?tag=&fail=1    request A of the cache lock (src/cache/store.ts): claims the key, fetches /gate/{tag} then
 *                        /echo/{tag}-fill (the counted backend call), stores the entry and releases — or, with
 *                        `fail`, releases without storing and answers 502
 *   /lookup?tag=&ms=     request B of the cache lock: waits for the fill (`ms`: its own bound, else the product's),
 *                        then /gate/{tag}-b; answers from the entry, or calls /echo/{tag}-fill itself, as the cache
 *                        stage does
 *   /ready?tag=          whether A's promise and A's claim are in module state yet, and how many B's wait
 */
import { CacheTiers, EntryKey } from "../../../src/cache/store.ts";
import type { Env as PorticoEnv } from "../../../src/env.ts";
import { awaitShared } from "../../../src/util/await-shared.ts";

interface Env {
  KV: KVNamespace;
  CACHE: KVNamespace;
}

/** Request A's work, its outcome once settled, and the resolvers B's requests left for A (`how=resolver`). */
const shared = new Map<string, Promise<string>>();
const outcomes = new Map<string, string>();
const resolvers = new Map<string, ((outcome: string) => void)[]>();
/** B's requests waiting now, by tag (the test starts A's work only once they wait). */
const waiting = new Map<string, number>();
const wait = (tag: string, by: number) => waiting.set(tag, (waiting.get(tag) ?? 0) + by);

/** The cache state of the one app this Worker stands for (an app's, as createApp makes it). */
const tiers = new CacheTiers();

const cacheText = (tag: string) => `cross-request:${tag}`;
const text = async (res: Promise<Response>) => (await res).text();

async function share(backend: string, tag: string, fail: boolean): Promise<Response> {
  // The outcome is recorded before the work settles, as a memo is filled before its refresh resolves.
  const work = text(fetch(`${backend}/gate/${tag}`)).then((body) => {
    outcomes.set(tag, fail ? `error shared work ${tag} failed` : `value ${body}`);
    if (fail) throw new Error(`shared work ${tag} failed`);
    return body;
  });
  shared.set(tag, work);
  const outcome = await work.then(
    (body) => `value ${body}`,
    (err: Error) => `error ${err.message}`,
  );
  for (const resolve of resolvers.get(tag)?.splice(0) ?? []) resolve(outcome);
  return Response.json({ a: outcome });
}

/** B's wait: what it learnt of A's work, on its own timer (cleared after). */
async function waitFor(tag: string, ms: number, how: string): Promise<{ settled: boolean; outcome?: string }> {
  const work = shared.get(tag);
  if (!work) throw new Error(`no shared work ${tag}`);
  if (how === "shared") {
    const settled = await awaitShared(work, ms);
    return settled ? { settled, outcome: outcomes.get(tag) } : { settled };
  }
  const mine =
    how === "resolver"
      ? new Promise<string>((resolve) => resolvers.set(tag, [...(resolvers.get(tag) ?? []), resolve]))
      : work.then(
          (body) => `value ${body}`,
          (err: Error) => `error ${err.message}`,
        );
  let timer: number | null = null;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms)));
  const outcome = await Promise.race([mine, timeout]);
  clearTimeout(timer);
  return outcome === undefined ? { settled: false } : { settled: true, outcome };
}

/** B's own I/O after the wait: a fetch the test holds until A has ended, a counted fetch, a KV write and read. */
async function ownWork(env: Env, backend: string, tag: string): Promise<{ gate: string; echo: string; kv: string | null }> {
  const gate = await text(fetch(`${backend}/gate/${tag}-b`));
  const echo = (JSON.parse(await text(fetch(`${backend}/echo/${tag}-b`))) as { path: string }).path;
  await env.KV.put(`cross-request:${tag}`, "written by B");
  return { gate, echo, kv: await env.KV.get(`cross-request:${tag}`) };
}

async function fill(env: Env, exec: ExecutionContext, backend: string, tag: string, fail: boolean): Promise<Response> {
  const key = cacheText(tag);
  const claim = tiers.claimFill(key, Date.now(), true);
  if (claim.busy || !claim.token) return new Response("already being filled", { status: 409 });
  const token = claim.token;
  try {
    await text(fetch(`${backend}/gate/${tag}`));
    const body = await text(fetch(`${backend}/echo/${tag}-fill`));
    if (fail) throw new Error("injected: the fill failed");
    const entry = { status: 200, headers: [["content-type", "application/json"]] as [string, string][], storedAt: Date.now(), ttl: 60, body: new TextEncoder().encode(body) };
    // As the cache step does: store() puts the entry in memory before its first await, then the key is released.
    const stored = tiers.store(env as unknown as PorticoEnv, new EntryKey(key, "cross-request", "prod"), entry, null, 30_000);
    tiers.releaseFill(key, token);
    exec.waitUntil(stored);
    return new Response(body);
  } catch (err) {
    tiers.releaseFill(key, token);
    return new Response((err as Error).message, { status: 502 });
  }
}

async function lookup(env: Env, backend: string, tag: string, ms: number | undefined): Promise<Response> {
  const key = cacheText(tag);
  const claim = tiers.claimFill(key, Date.now(), false);
  if (!claim.busy) return new Response("nothing being filled", { status: 409 });
  const started = Date.now();
  const held = await (ms === undefined ? tiers.awaitFill(key, null) : tiers.awaitFill(key, null, ms));
  const waitedMs = Date.now() - started;
  const own = await ownWork(env, backend, tag);
  const body = held ? new TextDecoder().decode(held.entry.body) : await text(fetch(`${backend}/echo/${tag}-fill`));
  return Response.json({ from: held ? "cache" : "backend", body: JSON.parse(body) as unknown, waitedMs, own });
}

export default {
  async fetch(request: Request, env: Env, exec: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    const q = (name: string) => url.searchParams.get(name) ?? "";
    const backend = q("backend");
    const tag = q("tag");
    const ms = url.searchParams.has("ms") ? Number(q("ms")) : undefined;
    try {
      switch (url.pathname) {
        case "/share":
          return await share(backend, tag, q("fail") === "1");
        case "/wait": {
          wait(tag, 1);
          const waited = await waitFor(tag, ms ?? 1000, q("how")).finally(() => wait(tag, -1));
          return Response.json({ ...waited, own: await ownWork(env, backend, tag) });
        }
        case "/fill":
          return await fill(env, exec, backend, tag, q("fail") === "1");
        case "/lookup":
          wait(tag, 1);
          return await lookup(env, backend, tag, ms).finally(() => wait(tag, -1));
        case "/ready":
          return Response.json({ shared: shared.has(tag), filling: tiers.claimFill(cacheText(tag), Date.now(), false).busy, waiting: waiting.get(tag) ?? 0 });
        default:
          return new Response("not found", { status: 404 });
      }
    } catch (err) {
      // What went wrong, for the test's assertion message (a test-only Worker: no client to hide it from).
      return new Response(`${(err as Error).name}: ${(err as Error).message}`, { status: 500 });
    }
  },
};
