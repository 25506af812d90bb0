/**
 * Backends the integration and pipeline suites talk to, and how to ask each one whether it was called:
 * the real local Node backend (hit counts kept in the Node process, read over HTTP at `/__hits`) and the
 * test-only Lambda-style Workers `LAMBDA_ECHO` / `LAMBDA_CHOOSE` (test/support/lambda-echo-worker.js).
 */
import { env } from "cloudflare:test";
import { backendUrl } from "../support/gateway.ts";

export type TestWorker = "LAMBDA_ECHO" | "LAMBDA_CHOOSE";

/** How many requests the local Node backend has had for `path` (e.g. `/echo/abc`). */
export async function nodeHits(path: string): Promise<number> {
  const res = await fetch(`${backendUrl()}/__hits?path=${encodeURIComponent(path)}`);
  return ((await res.json()) as { count: number }).count;
}

/** How many calls a test Worker has had for `path`: the raw request path, or a Lambda event's path. */
export async function workerHits(worker: TestWorker, path: string): Promise<number> {
  const binding = (env as unknown as Record<TestWorker, Fetcher>)[worker];
  const res = await binding.fetch(`http://test-worker/__hits?path=${encodeURIComponent(path)}`);
  return ((await res.json()) as { count: number }).count;
}

/** A path segment no other test uses, so hit counts belong to one test. */
export const uniqueSegment = (): string => crypto.randomUUID().slice(0, 13);

/** The request id Portico stamps on every response. */
export const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
