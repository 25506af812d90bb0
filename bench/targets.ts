/**
 * The bench's targets by name: the Workers each run in their own Miniflare (its own workerd) on their own port, and
 * the native processes. A new kind of baseline is an entry here; bench/scenarios.ts pairs them.
 */
import { startNginx } from "./nginx.ts";
import { honoGatewayOptions } from "./peers.ts";
import type { ExternalFactory, WorkerFactory } from "./context.ts";

export const WORKERS: Record<string, WorkerFactory> = {
  portico: (ctx) => ctx.portico,
  "portico-throttle": (ctx) => ctx.porticoThrottle,
  "portico-no-memory": (ctx) => ctx.porticoNoMemory,
  "portico-cache": (ctx) => ctx.porticoCache,
  "portico-quiet": (ctx) => ctx.porticoQuiet,
  "bare-hello": () => ({
    modules: true,
    script: `export default { fetch() { return new Response("hello"); } };`,
  }),
  // A Worker answering from the Cache API, as a Portico cache hit does (caches.default.match, then the stored body),
  // one entry per path: in Miniflare the Cache API is emulated by a Worker of its own in the same workerd, which
  // both sides pay.
  "bare-cache": () => ({
    modules: true,
    script: `export default {
  async fetch(request, env, ctx) {
    const key = "https://cache.bench.internal" + new URL(request.url).pathname;
    const hit = await caches.default.match(key);
    if (hit) return new Response(hit.body, { headers: { "content-type": "text/plain;charset=UTF-8", "x-cache": "HIT" } });
    ctx.waitUntil(caches.default.put(key, new Response("hello", { headers: { "cache-control": "max-age=3600" } })));
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
  // The peer: what a Workers user would write instead of Portico (peers/hono-gateway/README in bench/README.md).
  "hono-gateway": (ctx) => honoGatewayOptions(ctx.honoGatewayScript, ctx.upstream),
};

/** Targets that are native processes, not Workers: started on first use, stopped with the pool. */
export const EXTERNAL: Record<string, ExternalFactory> = {
  nginx: (ctx) => startNginx(ctx.upstream),
};

