/**
 * Canary assignment, pure: a caller's sticky key hashes to a bucket in 0..9999, and the canary serves buckets
 * below `percent × 100`. The same caller keeps its version while the split is unchanged; raising the percent only
 * moves callers from stable to canary, never back (a bucket below the old threshold is below the new one).
 */
import type { StickyKey } from "./types.ts";
import { readCookie } from "../util/cookies.ts";

/** 32-bit FNV-1a followed by a murmur3 finaliser, so similar keys spread evenly. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A sticky key's bucket in 0..9999. */
export function bucketOf(key: string): number {
  return hash32(key) % 10_000;
}

/** True when `bucket` belongs to a canary at `percent` (0–100, two decimals). */
export function inCanary(bucket: number, percent: number): boolean {
  return bucket < Math.round(percent * 100);
}

/**
 * The caller's sticky key, or undefined when it has none (then assignment is random per request). `sub` is read
 * from a bearer JWT without verifying it: it only spreads callers across versions, it never authorizes anything.
 */
export function stickyValue(sticky: StickyKey, request: Request, clientIp: string): string | undefined {
  switch (sticky.kind) {
    case "none":
      return undefined;
    case "ip":
      return clientIp || undefined;
    case "apiKey":
      return request.headers.get("x-api-key") ?? undefined;
    case "header":
      return (sticky.name && request.headers.get(sticky.name)) || undefined;
    case "cookie":
      return sticky.name ? readCookie(request.headers.get("cookie"), sticky.name) : undefined;
    case "sub":
      return jwtSubject(request.headers.get("authorization"));
  }
}


function jwtSubject(authorization: string | null): string | undefined {
  const token = authorization?.match(/^Bearer\s+([^.\s]+)\.([^.\s]+)\./i)?.[2];
  if (!token || token.length > 8192) return undefined;
  try {
    const json = atob(token.replace(/-/g, "+").replace(/_/g, "/"));
    const sub = (JSON.parse(json) as { sub?: unknown }).sub;
    return typeof sub === "string" ? sub : undefined;
  } catch {
    return undefined;
  }
}

/** Whether this request goes to the canary. */
export function assignCanary(percent: number, sticky: StickyKey, request: Request, clientIp: string): boolean {
  if (percent <= 0) return false;
  if (percent >= 100) return true;
  return inCanary(canaryBucket(sticky, request, clientIp), percent);
}

/** The caller's bucket in 0..9999: its sticky key's, or a random one when it has none. */
export function canaryBucket(sticky: StickyKey, request: Request, clientIp: string): number {
  const key = stickyValue(sticky, request, clientIp);
  return key === undefined ? Math.floor(Math.random() * 10_000) : bucketOf(key);
}

/** Why a request went where it did, for the explain record: `bucket 312 < 1000 (10%, sticky ip)`. */
export function describeAssignment(a: { reason?: string; bucket?: number; percent?: number; sticky?: StickyKey; hadKey?: boolean }): string {
  if (a.reason !== undefined || a.bucket === undefined || a.percent === undefined || !a.sticky) return a.reason ?? "no canary";
  const { bucket, percent, sticky, hadKey } = a;
  const threshold = Math.round(percent * 100);
  const how = sticky.kind === "none" ? "random" : hadKey ? `sticky ${sticky.kind}${sticky.name ? `:${sticky.name}` : ""}` : `random: no ${sticky.kind} value`;
  return `bucket ${bucket} ${bucket < threshold ? "<" : "≥"} ${threshold} (${percent}%, ${how})`;
}
