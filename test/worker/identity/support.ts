/**
 * Helpers for the identity suites: unique backend paths (so a hit count belongs to one test), the real local
 * backend's hit counter, and one assertion for a refusal that also proves the backend was never called.
 */
import { expect } from "vitest";
import type { IntegrationDefinition } from "../../../src/config/integration-types.ts";
import { backendUrl } from "../support/gateway.ts";

/** A short unique id: API names, JWKS names and backend paths per test. */
export const uid = () => crypto.randomUUID().replace(/-/g, "").slice(0, 10);

/** An http_proxy integration to the real backend's echo at `/echo/<name>`. */
export const echoTo = (name: string): IntegrationDefinition => ({ type: "http_proxy", uri: `${backendUrl()}/echo/${name}` });

/** How many requests the real local backend has had on `path`. */
export async function hits(path: string): Promise<number> {
  const res = await fetch(`${backendUrl()}/__hits?path=${encodeURIComponent(path)}`);
  return ((await res.json()) as { count: number }).count;
}

export interface Refusal {
  status: number;
  /** The exact body text on the wire. */
  body: string;
  /** x-amzn-ErrorType, when the case names it. */
  errorType?: string;
}

/** Asserts the response is the refusal and that `backendPath` was not called by it. */
export async function expectRefused(send: () => Promise<Response>, backendPath: string, want: Refusal): Promise<Response> {
  const before = await hits(backendPath);
  const res = await send();
  const text = await res.text();
  expect({ status: res.status, body: text }).toEqual({ status: want.status, body: want.body });
  if (want.errorType !== undefined) expect(res.headers.get("x-amzn-ErrorType")).toBe(want.errorType);
  expect(await hits(backendPath)).toBe(before);
  return res;
}

/** Asserts the request reached the backend (echo) once and returns what the backend received. */
export async function expectServed(send: () => Promise<Response>, backendPath: string): Promise<{ headers: Record<string, string>; query: string }> {
  const before = await hits(backendPath);
  const res = await send();
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(await hits(backendPath)).toBe(before + 1);
  return JSON.parse(text) as { headers: Record<string, string>; query: string };
}

export const UNAUTHORIZED = { status: 401, body: '{"message":"Unauthorized"}', errorType: "UnauthorizedException" };
export const FORBIDDEN_KEY = { status: 403, body: '{"message":"Forbidden"}', errorType: "ForbiddenException" };

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
