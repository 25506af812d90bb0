/**
 * Rate-limit response headers. `draft`: the IETF httpapi RateLimit fields (structured, one policy per limit):
 * `RateLimit-Policy: "stage";q=200;w=2` (quota q per window w seconds — for a token bucket, its burst and the
 * seconds it takes to refill) and `RateLimit: "stage";r=57;t=1` (r remaining, t seconds until more).
 * `legacy`: X-RateLimit-Limit / -Remaining / -Reset. A 429 always carries Retry-After (RFC 9110).
 */
import type { BucketConfig } from "./bucket.ts";

export type HeaderStyle = "draft" | "legacy";

export function rateLimitHeaders(style: HeaderStyle, level: string, config: BucketConfig, remaining: number, resetMs: number): [string, string][] {
  const window = Math.max(1, Math.ceil(config.burst / config.rate));
  const reset = Math.max(0, Math.ceil(resetMs / 1000));
  const r = Math.max(0, Math.floor(remaining));
  if (style === "legacy")
    return [
      ["x-ratelimit-limit", String(config.burst)],
      ["x-ratelimit-remaining", String(r)],
      ["x-ratelimit-reset", String(reset)],
    ];
  return [
    ["ratelimit-policy", `"${level}";q=${config.burst};w=${window}`],
    ["ratelimit", `"${level}";r=${r};t=${reset}`],
  ];
}

export function retryAfter(ms: number): [string, string] {
  return ["retry-after", String(Math.max(1, Math.ceil(ms / 1000)))];
}
