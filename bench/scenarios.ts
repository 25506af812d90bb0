/**
 * What `npm run bench` measures: the Workers it runs, and the scenarios, each a Portico request paired with a
 * reference doing the same job with less — a bare Worker, or Portico itself without the feature under test. A
 * new scenario is a route in bench-api.yaml and an entry in SCENARIOS; a new kind of baseline is an entry in
 * WORKERS. Measurements that are not a pair (canary split, throttle accuracy, JWT CPU cost, cache read mix) live
 * in their section's module (deployments.ts, jwt.ts, throttle.ts, cache.ts).
 */
import type { WorkerOptions } from "miniflare";
import { primeCache } from "./cache.ts";
import { publishVersions } from "./deployments.ts";
import { fixture } from "./fixture.ts";
import { checkJwtRoute } from "./jwt.ts";

/** What the harness knows when it starts the Workers. */
export interface BenchContext {
  /** The local upstream's base URL (`/hello` answers 200 "hello"). */
  upstream: string;
  /** Miniflare options for the Portico Worker built by `build()` (bindings from wrangler.toml, plus ADMIN_TOKEN). */
  portico: WorkerOptions;
  /**
   * The same build with the account-wide bucket off (ACCOUNT_RATE=0), so only a route's own bucket applies, and
   * RateLimiter wrapped to count lease calls (throttle.ts): the throttle section's Worker.
   */
  porticoThrottle: WorkerOptions;
  /** The Portico build with the cache's memory tier off (CACHE_MEMORY_MS=0): every hit asks the Cache API. */
  porticoNoMemory: WorkerOptions;
}

/** How to start one Worker; each runs in its own Miniflare (its own workerd), on its own port. */
export type WorkerFactory = (ctx: BenchContext) => WorkerOptions;

export const WORKERS: Record<string, WorkerFactory> = {
  portico: (ctx) => ctx.portico,
  "portico-throttle": (ctx) => ctx.porticoThrottle,
  "portico-no-memory": (ctx) => ctx.porticoNoMemory,
  "bare-hello": () => ({
    modules: true,
    script: `export default { fetch() { return new Response("hello"); } };`,
  }),
  // A Worker answering from the Cache API, as a Portico cache hit does (caches.default.match, then the stored body):
  // in Miniflare the Cache API is emulated by a Worker of its own in the same workerd, which both sides pay.
  "bare-cache": () => ({
    modules: true,
    script: `const KEY = "https://cache.bench.internal/hello";
export default {
  async fetch(request, env, ctx) {
    const hit = await caches.default.match(KEY);
    if (hit) return new Response(hit.body, { headers: { "content-type": "text/plain;charset=UTF-8", "x-cache": "HIT" } });
    ctx.waitUntil(caches.default.put(KEY, new Response("hello", { headers: { "cache-control": "max-age=3600" } })));
    return new Response("hello", { headers: { "content-type": "text/plain;charset=UTF-8", "x-cache": "MISS" } });
  },
};`,
  }),
  // The textbook proxy Worker: the client's request (method, headers, body, query) sent on to the upstream's
  // /hello, and the upstream's response returned as is — the job an http_proxy route does, without the gateway.
  "bare-proxy": (ctx) => ({
    modules: true,
    script: `export default { fetch(request, env) { return fetch(new Request(env.UPSTREAM + "/hello" + new URL(request.url).search, request)); } };`,
    bindings: { UPSTREAM: ctx.upstream },
  }),
  // The integrations section's references: the textbook Worker for each binding, doing what the route does without
  // the gateway — a queue producer sending the request's JSON, and an R2 read answering the object with its metadata
  // and ETag (Cloudflare's R2 example). Each Miniflare has its own queue and bucket; no consumer (both sides alike).
  "bare-queue": () => ({
    modules: true,
    script: `export default { async fetch(request, env) { await env.QUEUE.send(await request.json(), { contentType: "json" }); return new Response("hello"); } };`,
    queueProducers: { QUEUE: "bench-queue" },
  }),
  "bare-r2": () => ({
    modules: true,
    script: `export default {
  async fetch(request, env) {
    if (request.method === "PUT") return Response.json(await env.BUCKET.put("hello", request.body));
    const object = await env.BUCKET.get("hello");
    if (!object) return new Response("not found", { status: 404 });
    const headers = new Headers();
    object.writeHttpMetadata(headers);
    headers.set("etag", object.httpEtag);
    return new Response(object.body, { headers });
  },
};`,
    r2Buckets: { BUCKET: "bench-bucket" },
  }),
  // Less than a proxy: a fetch of a fixed URL that forwards nothing of the client's request (for reference).
  "bare-fetch": (ctx) => ({
    modules: true,
    script: `export default { fetch(request, env) { return fetch(env.UPSTREAM + "/hello"); } };`,
    bindings: { UPSTREAM: ctx.upstream },
  }),
};

/** One request shape, repeated by every connection. */
export interface Target {
  /** A key of WORKERS. */
  worker: string;
  /** Path on that Worker (for Portico, with the stage: `/bench/hello`). */
  path: string;
  method?: string;
  /** Request headers; a function when they are only known at run time (a token signed by run.ts). */
  headers?: Record<string, string> | (() => Record<string, string>);
  body?: string;
  /** Every response must carry this body (checked once before the run and counted during it). */
  expectBody: string;
  /** …and these response headers (lower-case names), e.g. `x-cache: HIT`; a wrong one counts as a mismatch. */
  expectHeaders?: Record<string, string>;
}

/** The benchmark's sections, one per issue; `npm run bench -- <section>` runs one. */
export const SECTIONS = ["overhead", "deployments", "jwt", "throttle", "cache", "templates", "integrations", "routing"] as const;
export type Section = (typeof SECTIONS)[number];

export interface Scenario extends Target {
  name: string;
  section: Exclude<Section, "routing">;
  /** The reference doing the same job with less; Portico's throughput is reported as a ratio of its. */
  baseline: Target & { name: string };
  /** The lowest acceptable ratio of Portico's req/s to the baseline's; null: reported for reference only. */
  targetRatio: number | null;
  /** At least this many interleaved slices (a small target difference needs finer interleaving). */
  slices?: number;
  /** Runs once before the scenario's warm-up (prime a cache, publish a definition …), with the Workers' URLs. */
  setup?: (urls: Record<string, URL>) => Promise<void>;
}

const HELLO = { expectBody: "hello" } as const;

export const SCENARIOS: Scenario[] = [
  {
    name: "mock route",
    section: "overhead",
    worker: "portico",
    path: "/bench/hello",
    ...HELLO,
    baseline: { name: "bare hello Worker", worker: "bare-hello", path: "/", ...HELLO },
    targetRatio: 0.85,
  },
  {
    name: "http_proxy route",
    section: "overhead",
    worker: "portico",
    path: "/bench/proxy",
    ...HELLO,
    baseline: { name: "bare fetch-proxy Worker", worker: "bare-proxy", path: "/", ...HELLO },
    targetRatio: 0.85,
  },
  {
    // For reference: the same route against a Worker that fetches a fixed URL and forwards nothing — the cost of
    // forwarding the client's headers (in Miniflare every subrequest also passes through a JavaScript Worker of
    // its own that copies them) plus the gateway's.
    name: "http_proxy route vs fixed-URL fetch",
    section: "overhead",
    worker: "portico",
    path: "/bench/proxy",
    ...HELLO,
    baseline: { name: "bare fetch Worker (forwards nothing)", worker: "bare-fetch", path: "/", ...HELLO },
    targetRatio: null,
  },
  {
    // The deployments issue: a stage served by a version published through the admin API into the Registry
    // (stage pointer memoised per isolate, bundle compiled once) against the embedded bundle, same route, same run.
    // Stage `pub` exists only in the published version, so every 2xx from /pub/ was served by the Registry's.
    name: "published version (Registry)",
    section: "deployments",
    worker: "portico",
    path: "/pub/hello",
    ...HELLO,
    baseline: { name: "Portico, embedded bundle", worker: "portico", path: "/bench/hello", ...HELLO },
    targetRatio: 0.98,
    slices: 4,
    setup: (urls) => publishVersions(urls.portico!),
  },
  {
    // The identity issue: GET /hello behind an ES256 JWT authorizer (inline JWKS), one token: after the first
    // request every verification is a memo hit (a Map lookup keyed by the token).
    name: "JWT authorizer (ES256, memo hit)",
    section: "jwt",
    worker: "portico",
    path: "/bench/jwt/hello",
    headers: () => ({ authorization: `Bearer ${fixture.jwt}` }),
    ...HELLO,
    baseline: { name: "Portico, no authorizer", worker: "portico", path: "/bench/hello", ...HELLO },
    targetRatio: 0.9,
    setup: (urls) => checkJwtRoute(urls.portico!),
  },
  {
    // The throttling issue: a route bucket that never refuses (1,000,000 requests/s) against the same mock route
    // with none, on the Worker whose account bucket is off — the cost of leasing and spending tokens.
    name: "route throttle (1,000,000 r/s)",
    section: "throttle",
    worker: "portico-throttle",
    path: "/bench/generous",
    ...HELLO,
    baseline: { name: "Portico, no throttle", worker: "portico-throttle", path: "/bench/hello", ...HELLO },
    targetRatio: 0.85,
  },
  {
    // The mapping-templates issue: a mock route with a request template (the statusCode, reading $context and
    // $input), the default integration response and a response template, against the same mock route without.
    name: "mock route with request and response templates",
    section: "templates",
    worker: "portico",
    path: "/bench/templated?q=cats",
    ...HELLO,
    baseline: { name: "Portico, mock route without templates", worker: "portico", path: "/bench/hello", ...HELLO },
    targetRatio: 0.85,
  },
  {
    // The cache issue: hits on a cached http_proxy route (stage `cache`) against the bare hello Worker. A hot key
    // is answered from the isolate's memory tier (CACHE_MEMORY_MS, default 5 s) and re-read from the Cache API
    // when its hold runs out, as deployed.
    name: "cache hit (http_proxy route)",
    section: "cache",
    worker: "portico",
    path: "/cache/items/hot",
    ...HELLO,
    expectHeaders: { "x-cache": "HIT" },
    baseline: { name: "bare hello Worker", worker: "bare-hello", path: "/", ...HELLO },
    targetRatio: 0.8,
    setup: (urls) => primeCache(urls.portico!, "/cache/items/hot"),
  },
  {
    // The same hits with the memory tier off, so every one asks the Cache API, against a bare Worker answering
    // from the Cache API: in Miniflare the Cache API is emulated by a Worker of its own in the same workerd, far
    // costlier than the edge's, which both sides pay here — the ratio shows what Portico adds to a Cache API hit
    // (reference: the target is the hit as deployed, above).
    name: "cache hit, memory tier off",
    section: "cache",
    worker: "portico-no-memory",
    path: "/cache/items/hot",
    ...HELLO,
    expectHeaders: { "x-cache": "HIT" },
    baseline: { name: "bare Worker, caches.default hit", worker: "bare-cache", path: "/", ...HELLO, expectHeaders: { "x-cache": "HIT" } },
    targetRatio: null,
    setup: async (urls) => {
      await primeCache(urls["portico-no-memory"]!, "/cache/items/hot");
      await primeCache(urls["bare-cache"]!, "/");
    },
  },
  {
    // The integrations issue: a queue route (the JSON body sent as a json message; SQS's answer reshaped by a
    // constant response template, so every response is the same 5 bytes) against a bare producer Worker.
    name: "queue route",
    section: "integrations",
    worker: "portico",
    path: "/bench/queue",
    method: "POST",
    headers: { "content-type": "application/json" },
    body: '{"petId":1}',
    ...HELLO,
    baseline: { name: "bare Worker, queue.send", worker: "bare-queue", path: "/", method: "POST", headers: { "content-type": "application/json" }, body: '{"petId":1}', ...HELLO },
    targetRatio: 0.85,
  },
  {
    // An R2 object read through an r2 route against a bare Worker reading the same object from its own bucket.
    name: "r2 route (GET object)",
    section: "integrations",
    worker: "portico",
    path: "/bench/r2/hello",
    ...HELLO,
    baseline: { name: "bare Worker, bucket.get", worker: "bare-r2", path: "/", ...HELLO },
    targetRatio: 0.85,
    setup: async (urls) => {
      for (const url of [new URL("/bench/r2/hello", urls.portico), new URL("/", urls["bare-r2"])]) {
        const res = await fetch(url, { method: "PUT", body: "hello" });
        if (!res.ok) throw new Error(`storing the r2 object at ${url}: ${res.status} ${await res.text()}`);
      }
    },
  },
];
