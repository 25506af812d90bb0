/**
 * What `npm run bench` measures: the targets it runs, and the scenarios, each a Portico request paired with a
 * reference doing the same job — a bare Worker, a hand-written Hono gateway, nginx, or Portico itself without
 * the feature under test. A new scenario is a route in bench-api.yaml and an entry in SCENARIOS; a new kind of
 * baseline is an entry in bench/targets.ts (a Worker or a native process). Measurements that are not a pair
 * (canary split, throttle accuracy, JWT CPU cost, cache read mix, overload) live in their section's module.
 */
import { primeCache, primeKeys, ZIPF, zipfStream } from "./cache.ts";
import { publishVersions } from "./deployments.ts";
import { fixture } from "./fixture.ts";
import { checkJwtRoute } from "./jwt.ts";
import { nginxPath } from "./nginx.ts";
import { pipelineStream, preparePipeline } from "./pipeline.ts";
import type { WorkerPool } from "./pool.ts";
import type { Scenario } from "./shapes.ts";

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
    // (a) The whole pipeline at once: a JWT from rotating tokens (a share of requests miss the memo: pipeline.ts),
    // an API key, a generous throttle that admits, parameter and body validation, and the http_proxy route.
    name: "full pipeline",
    label: "Portico full pipeline (JWT rotating, API key, throttle, validation, http_proxy)",
    item: "a",
    section: "overhead",
    worker: "portico",
    path: "/bench/orders?tenant=acme",
    stream: pipelineStream("portico", "/bench/orders?tenant=acme"),
    ...HELLO,
    baseline: { name: "bare fetch-proxy Worker", worker: "bare-proxy", path: "/?tenant=acme", stream: pipelineStream("bare-proxy", "/?tenant=acme", false), ...HELLO },
    targetRatio: 0.7,
    setup: (pool) => preparePipeline(pool, ["portico"]),
  },
  {
    // The deployments issue: a stage served by a version published through the admin API into the Registry
    // (stage pointer memoised per isolate, bundle compiled once) against the embedded bundle, same route, same run.
    // Stage `pub` exists only in the published version, so every 2xx from /pub/ was served by the Registry's.
    name: "published version (Registry)",
    item: "f",
    section: "deployments",
    worker: "portico",
    path: "/pub/hello",
    ...HELLO,
    baseline: { name: "Portico, embedded bundle", worker: "portico", path: "/bench/hello", ...HELLO },
    targetRatio: 0.98,
    // A 2% target: fine interleaving (slices of 1.25 s at the defaults), so drift cannot pass for a difference.
    slices: 8,
    setup: async (pool) => publishVersions(await pool.url("portico")),
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
    setup: async (pool) => checkJwtRoute(await pool.url("portico")),
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
    // (e) Hits over many keys: a Zipf draw over a few thousand primed entries, so hits are not one hot key — a key
    // the isolate has not read within the memory tier's hold (CACHE_MEMORY_MS) asks the Cache API. On the build as
    // deployed, entered through a module that counts Cache API lookups, so the memory tier's share is measured.
    name: `cache hits, Zipf α=${ZIPF.exponent} over ${ZIPF.keys.toLocaleString("en-US")} keys`,
    item: "e",
    section: "cache",
    worker: "portico-cache",
    path: "/cache/items/z-{k}",
    stream: zipfStream((k) => `/cache/items/z-${k}`, "portico-cache"),
    ...HELLO,
    expectHeaders: { "x-cache": "HIT" },
    baseline: { name: "bare hello Worker", worker: "bare-hello", path: "/z-{k}", stream: zipfStream((k) => `/z-${k}`), ...HELLO },
    targetRatio: 0.8,
    setup: async (pool, log) => primeKeys(await pool.url("portico-cache"), (k) => `/cache/items/z-${k}`, log),
  },
  {
    // (e) The Cache API tier alone: the same draw with the memory tier off (CACHE_MEMORY_MS=0), so every hit asks
    // the Cache API, against a bare Worker answering the same paths from caches.default. Miniflare emulates the
    // Cache API with a Worker of its own in the same workerd, far costlier than the edge's; both sides pay it.
    name: `Cache API tier (memory tier off), Zipf over ${ZIPF.keys.toLocaleString("en-US")} keys`,
    item: "e",
    section: "cache",
    worker: "portico-no-memory",
    path: "/cache/items/z-{k}",
    stream: zipfStream((k) => `/cache/items/z-${k}`),
    ...HELLO,
    expectHeaders: { "x-cache": "HIT" },
    baseline: {
      name: "bare Worker, caches.default hits",
      worker: "bare-cache",
      path: "/z-{k}",
      stream: zipfStream((k) => `/z-${k}`),
      ...HELLO,
      expectHeaders: { "x-cache": "HIT" },
    },
    targetRatio: 0.95,
    setup: async (pool, log) => {
      await primeKeys(await pool.url("portico-no-memory"), (k) => `/cache/items/z-${k}`, log);
      await primeKeys(await pool.url("bare-cache"), (k) => `/z-${k}`, log);
    },
  },
  {
    // For reference: one hot key, answered from the isolate's memory tier (the best case; the old headline).
    name: "cache hit, one hot key (memory tier)",
    section: "cache",
    worker: "portico",
    path: "/cache/items/hot",
    ...HELLO,
    expectHeaders: { "x-cache": "HIT" },
    baseline: { name: "bare hello Worker", worker: "bare-hello", path: "/", ...HELLO },
    targetRatio: null,
    setup: async (pool) => primeCache(await pool.url("portico"), "/cache/items/hot"),
  },
  {
    // The observability issue: the http_proxy route with an access-log line per request (console.log, Portico's
    // JSON format), an Analytics Engine data point per request and trace propagation (traceparent and
    // X-Amzn-Trace-Id made and sent to the upstream), against the same route with all three off — a stage with
    // `tracing: {enabled: false}` and no access log, on the same build without the ANALYTICS binding. The batched
    // metrics run on both sides (they are the local store). The log lines pass through workerd's stdout into this
    // process, as `wrangler dev` would show them: that cost is the "on" side's.
    name: "logs + metrics + tracing on",
    label: "Portico http_proxy route, access log + Analytics Engine + tracing",
    section: "observability",
    worker: "portico",
    path: "/observed/proxy",
    ...HELLO,
    baseline: { name: "Portico, the same route with all three off", worker: "portico-quiet", path: "/quiet/proxy", ...HELLO },
    targetRatio: 0.95,
    // A 5% target: fine interleaving, so drift cannot pass for a difference.
    slices: 8,
  },
  {
    // (b) The peer: the same job (JWT from rotating tokens, API key, rate limit, validation, proxy) written by hand
    // with Hono's own middleware — what a Workers user would deploy instead of Portico.
    name: "full pipeline, peer",
    item: "b",
    section: "peers",
    label: "Portico full pipeline",
    worker: "portico",
    path: "/bench/orders?tenant=acme",
    stream: pipelineStream("portico", "/bench/orders?tenant=acme"),
    ...HELLO,
    baseline: { name: "Hono gateway Worker, by hand", worker: "hono-gateway", path: "/orders?tenant=acme", stream: pipelineStream("hono-gateway", "/orders?tenant=acme"), ...HELLO },
    targetRatio: 1.0,
    setup: (pool) => preparePipeline(pool, ["portico", "hono-gateway"]),
  },
  {
    // (c) A native proxy on the same machine and upstream, as a floor (no target): nginx proxy_pass, one worker
    // process, keep-alive to the upstream.
    name: "full pipeline, native floor",
    item: "c",
    section: "peers",
    label: "Portico full pipeline",
    worker: "portico",
    path: "/bench/orders?tenant=acme",
    stream: pipelineStream("portico", "/bench/orders?tenant=acme"),
    ...HELLO,
    baseline: { name: "nginx proxy_pass (1 worker process)", worker: "nginx", path: "/orders?tenant=acme", stream: pipelineStream("nginx", "/orders?tenant=acme", false), ...HELLO },
    targetRatio: null,
    unavailable: () => (nginxPath() ? null : "nginx is not installed (looked on PATH and at /usr/sbin/nginx): (c) skipped"),
    setup: (pool) => preparePipeline(pool, ["portico"]),
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
    setup: async (pool) => {
      for (const url of [new URL("/bench/r2/hello", await pool.url("portico")), new URL("/", await pool.url("bare-r2"))]) {
        const res = await fetch(url, { method: "PUT", body: "hello" });
        if (!res.ok) throw new Error(`storing the r2 object at ${url}: ${res.status} ${await res.text()}`);
      }
    },
  },
];

/**
 * (d) The A/A pair, measured in every run that measures pairs: the same target on both sides, in the same
 * interleaved slices as every pair. How far its ratio (and its slices' ratios) strays from 1 is the run's noise
 * floor (noise.ts): a target counts as met or missed only by more than that.
 */
export const NOISE_SCENARIO: Scenario = {
  name: "A/A: the http_proxy route against itself",
    item: "d",
  section: "noise",
  label: "Portico http_proxy route (A')",
  worker: "portico",
  path: "/bench/proxy",
  ...HELLO,
  baseline: { name: "Portico http_proxy route (A)", worker: "portico", path: "/bench/proxy", ...HELLO },
  targetRatio: null,
};
