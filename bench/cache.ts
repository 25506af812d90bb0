/**
 * The cache section (cache issue), on stage `cache` of the Portico Worker (stage cache on, TTL 300 s), route
 * GET /items/{id} → http_proxy to the upstream's /hello; the full path is in the cache key, so each id is an entry.
 *
 * - The pairs in scenarios.ts: hits over many keys (a Zipf draw over ZIPF.keys primed entries, the same sequence
 *   on both sides) against the bare hello Worker; the same draw with the memory tier off against a bare Worker
 *   answering from caches.default; one hot key, for reference. Every response must say `X-Cache: HIT`.
 * - Latency: requests one at a time (no queueing), interleaved between targets: bare hello, Portico mock, cache
 *   hit, cache miss (a new path each time: backend call + store), uncached http_proxy. Client-side wall time.
 * - Read-heavy mix: 95% of requests to 20 hot paths, 5% to paths never seen before; backend calls counted by the
 *   upstream itself (it counts every path: `/__hits?path=/hello`), against the requests and the distinct paths.
 */
import { writeFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { dirname, join } from "node:path";
import { fixture } from "./fixture.ts";
import { drive } from "./harness.ts";
import type { WorkerPool } from "./pool.ts";
import { prng } from "./routing.ts";
import type { RequestStream } from "./shapes.ts";

const CACHE_HEADER = "x-cache";

/** The cache scenario's setup: requests `path` until it is a HIT (the first is a MISS that stores it). */
export async function primeCache(url: URL, path: string): Promise<void> {
  const seen: string[] = [];
  for (let i = 0; i < 50; i++) {
    const res = await fetch(new URL(path, url));
    const body = await res.text();
    seen.push(`${res.status} ${res.headers.get(CACHE_HEADER)}`);
    if (res.status !== 200 || body !== "hello") throw new Error(`${path} answered ${res.status} ${JSON.stringify(body.slice(0, 100))}`);
    if (res.headers.get(CACHE_HEADER) === "HIT") return;
    // The entry is stored after the response (waitUntil): give it a moment.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${path} never became a cache HIT: ${seen.slice(0, 5).join(", ")} …`);
}

/**
 * The many-key draw: key k (0 the hottest) with probability ∝ 1/(k+1)^α. α = 0.8 is within what web caches see
 * (measured 0.64–0.83, Breslau et al., "Web Caching and Zipf-like Distributions", 1999): a long tail of keys asked
 * rarely, each of which asks the Cache API whenever the isolate has not read it within the memory tier's hold.
 */
export const ZIPF = { keys: 4000, exponent: 0.8, seed: 0x5eed };

/**
 * The memory tier's bounds and default hold, as src/cache/store.ts sets them (MEMORY_MAX_ENTRIES, MEMORY_MAX_BYTES,
 * MEMORY_MS_DEFAULT; not imported: the bench's Node build does not take the Worker's types), for the report.
 */
export const MEMORY_TIER = { entries: 10_000, mebibytes: 16, holdSeconds: 30 };

let cdf: Float64Array | undefined;

/** Cumulative probabilities of the draw, by rank. */
function zipfCdf(): Float64Array {
  if (cdf) return cdf;
  const weights = Array.from({ length: ZIPF.keys }, (_, k) => 1 / Math.pow(k + 1, ZIPF.exponent));
  const total = weights.reduce((a, b) => a + b, 0);
  cdf = new Float64Array(ZIPF.keys);
  let sum = 0;
  weights.forEach((w, k) => (cdf![k] = sum += w / total));
  return cdf;
}

/** The share of draws that go to the `top` hottest keys. */
export const zipfShare = (top: number) => zipfCdf()[Math.min(top, ZIPF.keys) - 1]!;

/**
 * Requests over the many-key draw, `pathOf(rank)` each; the same seed on every side, so both sides of a pair ask
 * for the same keys in the same order. Counts the distinct keys asked during the measured slices, how many
 * requests went to the hottest, and — given a `countingWorker` entered through the counting module — how many of
 * them the memory tier left to the Cache API.
 */
export function zipfStream(pathOf: (k: number) => string, countingWorker?: string): (pool: WorkerPool) => RequestStream {
  return (pool) => {
    const lookups = countingWorker ? () => cacheApiLookups(pool, countingWorker) : undefined;
    const random = prng(ZIPF.seed);
    const ranks = zipfCdf();
    let asked = new Set<number>();
    let requests = 0;
    let hottest = 0;
    let lookupsAtBegin = 0;
    return {
      next() {
        const u = random();
        let lo = 0;
        let hi = ranks.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (ranks[mid]! < u) lo = mid + 1;
          else hi = mid;
        }
        asked.add(lo);
        requests++;
        if (lo === 0) hottest++;
        return { path: pathOf(lo) };
      },
      async begin() {
        asked = new Set();
        requests = hottest = 0;
        if (lookups) lookupsAtBegin = await lookups();
      },
      counts: async () => ({
        requests,
        distinctKeys: asked.size,
        hottestKeyRequests: hottest,
        ...(lookups ? { cacheApiLookups: (await lookups()) - lookupsAtBegin } : {}),
      }),
    };
  };
}

/**
 * Stores every key of the draw (each requested once: a MISS that stores it, 50 at a time), so the pair's
 * requests are all hits; every answer must be 200 `hello`.
 */
export async function primeKeys(url: URL, pathOf: (k: number) => string, log?: (line: string) => void): Promise<void> {
  const started = Date.now();
  const run = await drive({
    url,
    connections: 50,
    amount: ZIPF.keys,
    next: (i) => ({ path: pathOf(i) }),
    classify: (status, body, header) => (status === 200 && body === "hello" ? (header(CACHE_HEADER) ?? "none") : { invalid: `${status} ${body.slice(0, 60)}` }),
  });
  if (!run.valid || run.requests !== ZIPF.keys) throw new Error(`priming ${ZIPF.keys} keys on ${url.href}: ${run.requests} answered, ${JSON.stringify(run.statusCodes)}, ${JSON.stringify(run.invalid)}`);
  // Entries are stored after their response (waitUntil).
  await new Promise((resolve) => setTimeout(resolve, 500));
  log?.(`  primed ${ZIPF.keys.toLocaleString("en-US")} keys on ${url.host} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const COUNT_PATH = "/__bench/cache-api-lookups";

/**
 * Writes an entry module beside the built script that serves Portico as built, with every `caches.default.match`
 * counted (the Cache class's method wrapped once, on the first request), and answers COUNT_PATH itself: how many
 * hits the memory tier left to the Cache API. The product is not changed.
 */
export function writeCacheCountingEntry(builtScript: string): string {
  const entry = join(dirname(builtScript), "bench-cache-entry.js");
  writeFileSync(
    entry,
    `// Written by bench/cache.ts: Portico as built, with Cache API lookups counted (npm run bench only).
import portico from "./index.js";
// Every Durable Object class as built.
export * from "./index.js";
let lookups = 0;
let wrapped = false;
export default {
  fetch(request, env, ctx) {
    if (!wrapped) {
      wrapped = true;
      const cache = Object.getPrototypeOf(caches.default);
      const match = cache.match;
      cache.match = function (...args) {
        lookups++;
        return match.apply(this, args);
      };
    }
    if (request.url.endsWith(${JSON.stringify(COUNT_PATH)})) return Response.json({ lookups });
    return portico.fetch(request, env, ctx);
  },
};
`,
  );
  return entry;
}

/** The Cache API lookups `worker` (entered through the counting module) has made so far. */
async function cacheApiLookups(pool: WorkerPool, worker: string): Promise<number> {
  const res = await fetch(new URL(COUNT_PATH, await pool.url(worker)));
  if (!res.ok) throw new Error(`${COUNT_PATH} answered ${res.status}`);
  return ((await res.json()) as { lookups: number }).lookups;
}

/** Upstream requests so far for `path`, counted by the upstream process. */
async function upstreamHits(path: string): Promise<number> {
  const res = await fetch(`${fixture.upstream}/__hits?path=${encodeURIComponent(path)}`);
  if (!res.ok) throw new Error(`the upstream's /__hits answered ${res.status}`);
  return ((await res.json()) as { count: number }).count;
}

export interface LatencyRow {
  name: string;
  requests: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
}

export interface CacheLatencyResult {
  rounds: number;
  perRound: number;
  rows: LatencyRow[];
  valid: boolean;
  problems: string[];
}

interface LatencyTarget {
  name: string;
  worker: string;
  path: (i: number) => string;
  cache?: "HIT" | "MISS";
}

function get(agent: Agent, url: URL): Promise<{ status: number; body: string; cache: string | undefined; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = httpRequest(url, { agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body, cache: res.headers[CACHE_HEADER] as string | undefined, ms: Number(process.hrtime.bigint() - started) / 1e6 }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

export async function measureCacheLatency(pool: WorkerPool, log: (line: string) => void): Promise<CacheLatencyResult> {
  const targets: LatencyTarget[] = [
    { name: "bare hello Worker", worker: "bare-hello", path: () => "/" },
    { name: "bare Worker, caches.default hit", worker: "bare-cache", path: () => "/", cache: "HIT" },
    { name: "Portico mock route", worker: "portico", path: () => "/bench/hello" },
    { name: "Portico cache hit", worker: "portico", path: () => "/cache/items/hot", cache: "HIT" },
    { name: "Portico cache hit, memory tier off", worker: "portico-no-memory", path: () => "/cache/items/hot", cache: "HIT" },
    { name: "Portico cache miss (new path)", worker: "portico", path: (i) => `/cache/items/latency-miss-${i}`, cache: "MISS" },
    { name: "Portico http_proxy, uncached", worker: "portico", path: () => "/bench/proxy" },
  ];
  const ROUNDS = 5;
  const PER_ROUND = 40;
  log(`  latency: one request at a time, ${ROUNDS} interleaved rounds of ${PER_ROUND} per target`);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const urls: URL[] = [];
  for (const t of targets) urls.push(await pool.url(t.worker)); // one at a time: the pool tells Workers' processes apart by start order
  await primeCache(await pool.url("bare-cache"), "/");
  await primeCache(await pool.url("portico"), "/cache/items/hot");
  await primeCache(await pool.url("portico-no-memory"), "/cache/items/hot");
  const times = targets.map(() => [] as number[]);
  const problems: string[] = [];
  let counter = 0;
  try {
    // One unmeasured request each (connection set up).
    for (const [i, t] of targets.entries()) await get(agent, new URL(t.path(counter++), urls[i]));
    for (let round = 0; round < ROUNDS; round++)
      for (const [i, t] of targets.entries())
        for (let n = 0; n < PER_ROUND; n++) {
          const r = await get(agent, new URL(t.path(counter++), urls[i]));
          if (r.status !== 200 || r.body !== "hello" || (t.cache && r.cache !== t.cache)) {
            if (problems.length < 10) problems.push(`${t.name}: ${r.status} ${CACHE_HEADER}: ${r.cache} ${JSON.stringify(r.body.slice(0, 60))}`);
            continue;
          }
          times[i]!.push(r.ms);
        }
  } finally {
    agent.destroy();
  }
  const rows = targets.map((t, i) => {
    const sorted = [...times[i]!].sort((a, b) => a - b);
    return { name: t.name, requests: sorted.length, p50Ms: percentile(sorted, 0.5), p90Ms: percentile(sorted, 0.9), p99Ms: percentile(sorted, 0.99) };
  });
  return { rounds: ROUNDS, perRound: PER_ROUND, rows, valid: problems.length === 0, problems };
}

export interface ReadHeavyResult {
  requests: number;
  connections: number;
  hotPaths: number;
  hotShare: number;
  distinctPaths: number;
  hits: number;
  misses: number;
  /** Requests the upstream received during the run (its own count). */
  backendCalls: number;
  /** requests − backendCalls. */
  backendCallsAvoided: number;
  /** backendCallsAvoided ÷ requests × 100. */
  avoidedPercent: number;
  /** The fewest calls possible: one per distinct path. */
  idealBackendCalls: number;
  /** backendCalls − idealBackendCalls: concurrent misses of one key (no request coalescing), entries not yet stored. */
  extraBackendCalls: number;
  seconds: number;
  reqPerSec: number;
  valid: boolean;
  statusCodes: Record<string, number>;
  invalid: Record<string, number>;
}

export async function measureReadHeavy(pool: WorkerPool, connections: number, log: (line: string) => void): Promise<ReadHeavyResult> {
  const url = await pool.url("portico");
  const REQUESTS = 8_000;
  const HOT = 20;
  const HOT_SHARE = 0.95;
  log(`  read-heavy mix: ${REQUESTS} requests, ${HOT_SHARE * 100}% to ${HOT} hot paths, the rest to new paths; ${connections} connections`);
  const random = prng(20261122);
  const paths = new Set<string>();
  const before = await upstreamHits("/hello");
  const run = await drive({
    url,
    connections,
    amount: REQUESTS,
    next: (i) => {
      const path = random() < HOT_SHARE ? `/cache/items/read-hot-${Math.floor(random() * HOT)}` : `/cache/items/read-cold-${i}`;
      paths.add(path);
      return { path };
    },
    classify: (status, body, header) => {
      const cache = header(CACHE_HEADER);
      if (status !== 200 || body !== "hello") return { invalid: `${status} ${body.slice(0, 60)}` };
      return cache === "HIT" || cache === "MISS" ? cache : { invalid: `${CACHE_HEADER}: ${cache}` };
    },
  });
  const backendCalls = (await upstreamHits("/hello")) - before;
  return {
    requests: run.requests,
    connections,
    hotPaths: HOT,
    hotShare: HOT_SHARE,
    distinctPaths: paths.size,
    hits: run.counts.HIT ?? 0,
    misses: run.counts.MISS ?? 0,
    backendCalls,
    backendCallsAvoided: run.requests - backendCalls,
    avoidedPercent: ((run.requests - backendCalls) / run.requests) * 100,
    idealBackendCalls: paths.size,
    extraBackendCalls: backendCalls - paths.size,
    seconds: run.seconds,
    reqPerSec: run.requests / run.seconds,
    valid: run.valid && run.requests === REQUESTS,
    statusCodes: run.statusCodes,
    invalid: run.invalid,
  };
}
