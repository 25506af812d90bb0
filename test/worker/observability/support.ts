/**
 * Helpers for the observability suites: the admin API through SELF, API keys, what the real local backend last
 * received on a path, console lines captured while a block runs, and an Analytics Engine dataset that records
 * every data point and enforces the platform's documented limits (Miniflare's local dataset keeps nothing, so a
 * test cannot read it back).
 */
import { SELF } from "cloudflare:test";
import { expect, vi } from "vitest";
import { backendUrl } from "../support/gateway.ts";

export const uid = () => crypto.randomUUID().replace(/-/g, "").slice(0, 10);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const DEBUG_TOKEN = "test-debug-token-3b1f";

export const admin = (path: string, init: RequestInit & { json?: unknown } = {}) =>
  SELF.fetch(`http://localhost/_portico${path}`, {
    ...init,
    headers: { authorization: "Bearer test-admin-token", "content-type": "application/json", ...(init.headers ?? {}) },
    ...(init.json !== undefined ? { body: JSON.stringify(init.json), method: init.method ?? "POST" } : {}),
  });

export async function createKey(stages: string[], plans: string[] = []): Promise<{ key: { id: string }; value: string }> {
  const res = await admin("/keys", { json: { name: `obs ${uid()}`, stages, plans } });
  expect(res.status).toBe(201);
  return (await res.json()) as { key: { id: string }; value: string };
}

/** The last request the real backend had on `path`: method and headers (lower-cased names). */
export async function lastRequest(path: string): Promise<{ method: string; headers: Record<string, string> }> {
  const res = await fetch(`${backendUrl()}/__last?path=${encodeURIComponent(path)}`);
  expect(res.status, `the backend had no request on ${path}`).toBe(200);
  return (await res.json()) as { method: string; headers: Record<string, string> };
}

/** Runs `work`, returning what it wrote with console.log (one string per call) beside its result. */
export async function capturingLogs<T>(work: () => Promise<T>): Promise<{ lines: string[]; result: T }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(" "));
  });
  try {
    return { lines, result: await work() };
  } finally {
    spy.mockRestore();
  }
}

/** Analytics Engine's documented limits per data point. */
const LIMITS = { blobs: 20, doubles: 20, indexes: 1, indexBytes: 96, blobBytes: 16 * 1024 };

/** A dataset that keeps every data point, refusing one the platform would refuse. */
export function recordingDataset(): AnalyticsEngineDataset & { points: AnalyticsEngineDataPoint[] } {
  const points: AnalyticsEngineDataPoint[] = [];
  return {
    points,
    writeDataPoint(point?: AnalyticsEngineDataPoint) {
      const p = point ?? {};
      const bytes = (v: unknown) => (v === null || v === undefined ? 0 : typeof v === "string" ? new TextEncoder().encode(v).byteLength : (v as ArrayBuffer).byteLength);
      if ((p.blobs?.length ?? 0) > LIMITS.blobs) throw new Error("too many blobs");
      if ((p.doubles?.length ?? 0) > LIMITS.doubles) throw new Error("too many doubles");
      if ((p.indexes?.length ?? 0) > LIMITS.indexes) throw new Error("too many indexes");
      if (bytes(p.indexes?.[0]) > LIMITS.indexBytes) throw new Error("index over 96 bytes");
      if ((p.blobs ?? []).reduce((n: number, b) => n + bytes(b), 0) > LIMITS.blobBytes) throw new Error("blobs over 16 KB");
      for (const d of p.doubles ?? []) if (typeof d !== "number") throw new Error("a double that is not a number");
      points.push(p);
    },
  };
}
