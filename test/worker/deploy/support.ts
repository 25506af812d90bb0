/**
 * Helpers for the deployment tests: the admin API through SELF, unique APIs on their own custom hosts, and an
 * app built on an environment whose Registry can be made to fail (throw, hang, or lose its bundle copies).
 */
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import embedded from "@portico/embedded-bundle";
import { expect, vi } from "vitest";
import { METRICS_SLOT_MS, type MetricsSample } from "../../../src/deploy/types.ts";
import { emptyHistogram, observe } from "../../../src/observability/histogram.ts";
import { createApp } from "../../../src/app.ts";
import type { Bundle } from "../../../src/config/bundle.ts";
import { EmbeddedConfigSource } from "../../../src/deploy/config-source.ts";
import { RegistryConfigSource } from "../../../src/deploy/registry-source.ts";
import { prepareExecutors } from "../../../src/steps/executors.ts";
import type { Env } from "../../../src/env.ts";

export const ENV = env as unknown as Env;
export const TOKEN = "test-admin-token";
export const FORCE_SECRET = "test-force-secret";
/** What vitest.config.ts embeds: the example, and its WebSocket chat beside it (`others`). */
export const EMBEDDED = embedded as { id: string; bundle: Bundle; others?: { id: string; bundle: Bundle }[] };

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const short = (id: string) => id.slice(0, 12);
export const uniqueApi = (prefix = "dp") => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

/**
 * The Worker's app (`createApp`, as the entry builds it) on the test environment: real Registry and KV. Tests use
 * it rather than SELF for volume, because every SELF.fetch in a workerd instance gets slower than the one before
 * (cloudflare/workers-sdk#15446): a few thousand requests through SELF take minutes.
 */
let shared: ReturnType<typeof appOn> | undefined;
// Metrics reach the Registry only when the admin metrics route flushes them (awaited), never from a background
// flush racing a test's before/after reads.
export const gateway = (url: string, init?: RequestInit) => (shared ??= appOn({ ...ENV, METRICS_FLUSH_MS: "3600000" }))(url, init);

export function admin(path: string, init: AdminInit = {}): Promise<Response> {
  return adminVia(gateway, path, init);
}

type AdminInit = { method?: string; json?: unknown; headers?: Record<string, string>; body?: BodyInit };

/**
 * The admin API of one app (an `appOn` one, say): its routes send that app's own unsent metrics and shadow results
 * before reading them — they are per app (src/pipeline/app-state.ts), so another app's admin route would not.
 */
export function adminVia(send: (url: string, init?: RequestInit) => Promise<Response>, path: string, init: AdminInit = {}): Promise<Response> {
  return send(`http://localhost/_portico${path}`, {
    method: init.method ?? (init.json !== undefined ? "POST" : "GET"),
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...(init.headers ?? {}) },
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : init.body !== undefined ? { body: init.body } : {}),
  });
}

/** Publishes through the admin API and returns the published deployment id. */
export async function publish(definition: unknown, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await admin("/deployments", { json: { definition, stage: "prod", ...extra } });
  const body = (await res.json()) as { deployment?: { id: string }; message?: string };
  if (res.status !== 201 && res.status !== 200) throw new Error(`publish failed (${res.status}): ${JSON.stringify(body)}`);
  return body.deployment!.id;
}

export async function adminOk(path: string, init: Parameters<typeof admin>[1]): Promise<unknown> {
  const res = await admin(path, init);
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

/**
 * An API on its own host: `/who` (a mock naming the version's tag), `/only-<tag>` (a route only this version
 * has) and `/greet` (through the demo backend, which echoes a header built from route text and a stage variable).
 */
export function definition(api: string, tag: string, more: Record<string, unknown> = {}, routes: Record<string, unknown> = {}) {
  return {
    name: api,
    domains: [{ host: `${api}.test`, stage: "prod" }],
    stages: { prod: { variables: { word: `var-${tag}` } } },
    routes: {
      "GET /who": { integration: { type: "mock", body: { tag } } },
      [`GET /only-${tag}`]: { integration: { type: "mock", body: { only: tag } } },
      "GET /greet": {
        integration: { type: "http_proxy", uri: "http://backend.internal/greeting", service: "DEMO_BACKEND", headers: { "x-greeting": `route-${tag} \${stageVariables.word}` } },
      },
      ...routes,
    },
    ...more,
  };
}

/** A request to an API's data plane on its custom host, through the shared app (`gateway`). */
export const data = (api: string, path: string, headers: Record<string, string> = {}) => gateway(`http://${api}.test${path}`, { headers });
/** The same through the Worker's own entry (src/index.ts), for the few tests that must go through it. */
export const dataViaSelf = (api: string, path: string, headers: Record<string, string> = {}) => SELF.fetch(`http://${api}.test${path}`, { headers });
export const versionOf = (res: Response) => res.headers.get("x-portico-version");

/** Polls `probe` until it returns true; returns when (ms since epoch), or fails after `limitMs`. */
export async function until(probe: () => Promise<boolean>, limitMs: number, everyMs = 20): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < limitMs) {
    if (await probe()) return Date.now();
    await sleep(everyMs);
  }
  throw new Error(`condition not met within ${limitMs} ms`);
}

export type RegistryFault = "ok" | "throw" | "hang" | "no-bundle-copy";

export interface FaultControl {
  fault: RegistryFault;
  /** Registry methods called, in order. */
  calls: string[];
  /** Bundle reads from KV (`bundle:*`). */
  kv: "ok" | "throw";
  /** Snapshot reads from KV (`snapshot:*`): as stored, throwing (KV down), or missing. */
  snapshots: "ok" | "throw" | "miss";
  /** Snapshot texts KV serves instead of what is stored (a stale copy at this location), by key. */
  staleSnapshots: Map<string, string>;
}

/**
 * An environment whose REGISTRY wraps the real namespace; `fault` switches every call (or only the bundle copy:
 * `bundle`, and `bundleText` of contract v0) to reject or never answer. Metrics flushing is pushed far out so a hung
 * Registry never holds a test up.
 */
export function faultyEnv(): { env: Env; control: FaultControl } {
  const control: FaultControl = { fault: "ok", calls: [], kv: "ok", snapshots: "ok", staleSnapshots: new Map() };
  const real = ENV.REGISTRY;
  const call = (id: DurableObjectId, method: string, args: unknown[]): Promise<unknown> => {
    control.calls.push(method);
    const fault = control.fault;
    if (fault === "throw" || (fault === "no-bundle-copy" && (method === "bundle" || method === "bundleText"))) return Promise.reject(new Error(`injected: Registry.${method} unreachable`));
    if (fault === "hang") return new Promise(() => {});
    const stub = real.get(id) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    return stub[method]!(...args);
  };
  const REGISTRY = {
    idFromName: (name: string) => real.idFromName(name),
    get: (id: DurableObjectId) =>
      new Proxy({}, { get: (_t, prop) => (typeof prop === "string" && prop !== "then" ? (...args: unknown[]) => call(id, prop, args) : undefined) }),
  };
  // KV `BUNDLES` whose reads can be made to throw (`kv`, `snapshots`), miss, or serve an older snapshot.
  const BUNDLES = {
    get: (...args: Parameters<KVNamespace["get"]>) => {
      const key = String(args[0]);
      if (key.startsWith("snapshot:")) {
        if (control.snapshots === "throw") return Promise.reject(new Error("injected: KV unavailable"));
        if (control.snapshots === "miss") return Promise.resolve(null);
        const stale = control.staleSnapshots.get(key);
        if (stale !== undefined) return Promise.resolve(stale);
      } else if (control.kv === "throw") return Promise.reject(new Error("injected: KV unavailable"));
      return ENV.BUNDLES.get(...args);
    },
    put: (...args: Parameters<KVNamespace["put"]>) => ENV.BUNDLES.put(...args),
  };
  return { env: { ...ENV, REGISTRY: REGISTRY as unknown as Env["REGISTRY"], BUNDLES: BUNDLES as unknown as KVNamespace, METRICS_FLUSH_MS: "3600000" }, control };
}

/**
 * The Worker's app on `appEnv`, with its own (empty) memo — a fresh isolate: `fetch` waits for background work
 * unless told not to. `embedded` is the bundle compiled into it (by default the example's).
 */
export function appOn(appEnv: Env, embedded: { id: string; bundle: Bundle } = EMBEDDED) {
  // As the Worker's entry (src/index.ts) builds it: executors prepared where a bundle is loaded.
  const app = createApp({ source: new RegistryConfigSource(appEnv, new EmbeddedConfigSource(embedded.id, embedded.bundle), undefined, prepareExecutors) });
  const send = async (url: string, init: RequestInit = {}, wait = false) => {
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(url, init), appEnv, ctx);
    if (wait) await waitOnExecutionContext(ctx);
    return res;
  };
  // The app's own state (its unsent metrics, say): no other app's admin route flushes them.
  return Object.assign(send, { state: app.state });
}

/** Silences console.error from here on and returns a reader of what was logged as JSON lines (the structured log). */
export function errorLog() {
  const spy = vi.spyOn(console, "error").mockImplementation(() => {});
  return () =>
    spy.mock.calls.flatMap((args) => {
      try {
        return [JSON.parse(String(args[0])) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** One metrics sample in the current slot: `count` requests on stage prod, `c5xx` of them 5xx, at `latencyMs` (integration half of it). */
export function metricsSample(version: string, count: number, c5xx: number, latencyMs: number): MetricsSample {
  const now = Date.now();
  const latency = emptyHistogram();
  const integrationLatency = emptyHistogram();
  for (let i = 0; i < count; i++) {
    observe(latency, latencyMs);
    observe(integrationLatency, latencyMs / 2);
  }
  return { stage: "prod", version, slot: now - (now % METRICS_SLOT_MS), count, c4xx: 0, c5xx, degraded: 0, latency, integrationLatency };
}
