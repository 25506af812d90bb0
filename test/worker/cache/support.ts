/**
 * Helpers for the cache suites: unique names, the real local backend's hit counter (the proof that a request
 * did or did not reach the backend), a service binding that decorates the real backend's responses with the
 * headers a test needs (Set-Cookie, Cache-Control, Vary, no Content-Length), and a look at both cache tiers.
 */
import { createExecutionContext, env } from "cloudflare:test";
import { expect } from "vitest";
import { createApp } from "../../../src/app.ts";
import { compileDefinition } from "../../../src/config/compile.ts";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { EmbeddedConfigSource } from "../../../src/deploy/config-source.ts";
import type { Env } from "../../../src/env.ts";
import { backendUrl, gatewayFor, type TestGateway } from "../support/gateway.ts";

export const ENV = env as unknown as Env;
/**
 * The gateway-wide bucket (ACCOUNT_RATE) is shared by every suite in the run; these suites are not about it, and a
 * busy neighbour draining it must not turn a cache hit into a 429.
 */
export const NO_ACCOUNT_BUCKET: Partial<Env> = { ACCOUNT_RATE: "0" };

/** gatewayFor without the gateway-wide bucket. */
export const cacheGateway = (definition: ApiDefinition, extraEnv: Partial<Env> = {}): Promise<TestGateway> =>
  gatewayFor(definition, { ...NO_ACCOUNT_BUCKET, ...extraEnv });
/** The Cache API tier's URL prefix for a KV key (src/cache/store.ts, LOCATION_ORIGIN). */
export const LOCATION_ORIGIN = "https://cache.portico.internal/";

export const uid = () => crypto.randomUUID().replace(/-/g, "").slice(0, 10);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const xCache = (res: Response) => res.headers.get("x-cache");

/** How many requests the real local backend has had on `path`. */
export async function hits(path: string): Promise<number> {
  const res = await fetch(`${backendUrl()}/__hits?path=${encodeURIComponent(path)}`);
  return ((await res.json()) as { count: number }).count;
}

/** A backend path of its own, and its echo URL. */
export function echoPath(prefix = "c"): { path: string; uri: string } {
  const path = `/echo/${prefix}-${uid()}`;
  return { path, uri: `${backendUrl()}${path}` };
}

/** Runs `send` and asserts how many times it made the backend answer on `path`. */
export async function calls<T>(path: string, n: number, send: () => Promise<T>): Promise<T> {
  const before = await hits(path);
  const out = await send();
  expect(await hits(path), `backend calls on ${path}`).toBe(before + n);
  return out;
}

/** The echo backend's reply: what it received. */
export interface Echo {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
}

/** Sends and reads the whole body, so the response (and any store behind it) is complete. */
export async function read(res: Promise<Response> | Response): Promise<{ res: Response; text: string }> {
  const r = await res;
  return { res: r, text: await r.text() };
}

/**
 * A service binding (for `http_proxy` with `service:`) that forwards to the real backend — so its hit counter
 * still counts — and changes the response's headers: `set` adds them, `chunked` drops Content-Length by
 * re-streaming the body, `ranges` answers a request with a Range header 206 (the echo body standing in for the part),
 * `delayMs` holds the request back that long (a slow backend), `fail` loses the answer (the call counts, then throws).
 */
export function decorating(set: Record<string, string>, options: { chunked?: boolean; ranges?: boolean; delayMs?: number; fail?: boolean } = {}): Fetcher {
  return {
    async fetch(input: RequestInfo | URL, init?: RequestInit) {
      const request = new Request(input, init);
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      if (options.fail) {
        await fetch(request); // counted by the backend, then lost
        throw new Error("injected: connection lost");
      }
      const res = await fetch(request);
      const headers = new Headers(res.headers);
      for (const [name, value] of Object.entries(set)) headers.append(name, value);
      if (options.ranges && request.headers.has("range")) {
        headers.set("content-range", "bytes 0-9/1000");
        return new Response(res.body, { status: 206, headers });
      }
      let body: ReadableStream | null = res.body;
      if (options.chunked && body) {
        headers.delete("content-length");
        body = body.pipeThrough(new TransformStream());
      }
      return new Response(body, { status: res.status, headers });
    },
  } as unknown as Fetcher;
}

/** The KV keys of an API's cache entries (`cache:<api>:<stage>:<hash>`). */
export async function kvKeys(api: string, stage = "prod"): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await ENV.CACHE.list({ prefix: `cache:${api}:${stage}:`, ...(cursor ? { cursor } : {}) });
    out.push(...page.keys.map((k) => k.name));
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return out;
}

/** The raw bytes stored in KV under `key`, as latin1 text (for searching). */
export async function kvText(key: string): Promise<string | null> {
  const bytes = await ENV.CACHE.get(key, "arrayBuffer");
  return bytes ? new TextDecoder("latin1").decode(bytes) : null;
}

/** The raw bytes the Cache API tier holds for `key`, as latin1 text, or null. */
export async function locationText(key: string): Promise<string | null> {
  const res = await caches.default.match(LOCATION_ORIGIN + key);
  return res ? new TextDecoder("latin1").decode(await res.arrayBuffer()) : null;
}

/**
 * A gateway (the Worker's app on the embedded source, like gatewayFor) that hands back the response as soon as
 * it has one, without waiting for background work (`waitUntil`) — for tiers that never answer.
 */
export async function impatientGateway(definition: ApiDefinition, extraEnv: Partial<Env>) {
  // Compiled as the test Worker would (PORTICO_LOCAL_DEV: its backend is on loopback).
  const { bundle, id } = await compileDefinition(definition, { localDev: true });
  const app = createApp({ source: new EmbeddedConfigSource(id, bundle) });
  return (path: string, init?: RequestInit) => app.fetch(new Request(`http://gateway.test${path}`, init), { ...ENV, ...NO_ACCOUNT_BUCKET, ...extraEnv }, createExecutionContext());
}

export type KvFault = "ok" | "hang" | "reject";

/**
 * The real CACHE namespace behind a switch: `get` and `put` can be made to hang or reject; every call counted.
 */
export function faultyKv(): { kv: KVNamespace; control: { get: KvFault; put: KvFault; gets: number; puts: number; putTimes: number[] } } {
  const control = { get: "ok" as KvFault, put: "ok" as KvFault, gets: 0, puts: 0, putTimes: [] as number[] };
  const real = ENV.CACHE;
  const apply = <T>(fault: KvFault, work: () => Promise<T>): Promise<T> =>
    fault === "hang" ? new Promise<T>(() => {}) : fault === "reject" ? Promise.reject(new Error("injected: KV unavailable")) : work();
  const kv = {
    get: (key: string, type: "arrayBuffer") => {
      control.gets++;
      return apply(control.get, () => real.get(key, type));
    },
    put: (key: string, value: ArrayBuffer, opts?: KVNamespacePutOptions) => {
      control.puts++;
      control.putTimes.push(Date.now());
      return apply(control.put, () => real.put(key, value, opts));
    },
    list: (opts?: KVNamespaceListOptions) => real.list(opts),
    delete: (key: string) => real.delete(key),
  };
  return { kv: kv as unknown as KVNamespace, control };
}
