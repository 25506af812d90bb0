/**
 * The decision record: what the pipeline decided about one request and why — which stage and version served it
 * (and the canary bucket that chose it), the route, each authorizer's verdict, the API key and plan, each token
 * bucket's decision with the tokens left, the cache key (hashed) and its answer, the integration's target (origin
 * and path, never the query) with its status and latency, and the mapping templates' output sizes.
 *
 * Filled only when someone asked: a request carrying the debug token (`x-portico-debug`, debug.ts) gets it back in
 * `x-portico-explain` (base64url JSON, bounded), and shadow evaluation compares a sampled request's record with the
 * candidate version's. Stages write to `ctx.explain?.…`, which costs a property read when nobody asked.
 *
 * Never in it: a token, an API key, a secret, a header value, a body or a query string. Reasons are the gateway
 * errors' log details, which are written under the same rule (docs/security.md).
 */

export interface StageDecision {
  api: string;
  stage: string;
  version: string;
  role: "stable" | "canary";
  /** Why this version: "no canary", "forced by x-portico-force-version", "bucket 312 < 1000 (10%, sticky ip)" … */
  reason: string;
  bucket?: number;
}

export interface AuthorizerVerdict {
  name: string;
  type: string;
  verdict: "allow" | "deny" | "error" | "skipped";
  principal?: string;
  scopes?: string[];
  reason?: string;
  latencyMs?: number;
}

export interface ThrottleVerdict {
  /** The bucket's key: `route:<api>:<stage>:<route>[:shard]`, `plan:<api>:<plan>:<keyId>` … */
  bucket: string;
  level: string;
  rate: number;
  burst: number;
  admitted: boolean;
  remaining?: number;
  retryAfterMs?: number;
  degraded: boolean;
  /** A `shadow` limit: reported, never enforced. */
  shadow?: boolean;
  /** Shadow evaluation only: how the candidate's verdict was reached without charging the bucket. */
  estimate?: string;
}

/** The largest explain header sent (characters of base64url); beyond it the record is cut down and marked. */
export const MAX_EXPLAIN_HEADER = 8192;
export const EXPLAIN_HEADER = "x-portico-explain";
/** The request header carrying the debug token (debug.ts). */
export const DEBUG_HEADER = "x-portico-debug";
const MAX_REASON = 300;

export class DecisionRecord {
  readonly requestId: string;
  stage: StageDecision | undefined;
  route: { key: string | null } | undefined;
  readonly authorizers: AuthorizerVerdict[] = [];
  apiKey: { required: boolean; keyId?: string; plan?: string | null; verdict: "accepted" | "refused" | "not required"; reason?: string } | undefined;
  validation: { verdict: "passed" | "refused" | "none"; reason?: string } | undefined;
  readonly throttle: ThrottleVerdict[] = [];
  quota: { allowed: boolean; remaining: number | null; degraded: boolean } | undefined;
  cache: { keyHash: string; status: string; ttl?: number } | undefined;
  integration: { type: string; target: string; status?: number; latencyMs?: number } | undefined;
  templates: { requestBytes?: number; responseBytes?: number } | undefined;
  response: { status: number; error?: { type: string; message: string | null } } | undefined;

  constructor(requestId: string) {
    this.requestId = requestId;
  }

  /** A log detail as a reason: bounded, one line. */
  static reason(detail: string | undefined): string | undefined {
    if (!detail) return undefined;
    const line = detail.split("\n")[0]!;
    return line.length > MAX_REASON ? line.slice(0, MAX_REASON) + "…" : line;
  }

  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { requestId: this.requestId };
    for (const key of ["stage", "route", "authorizers", "apiKey", "validation", "throttle", "quota", "cache", "integration", "templates", "response"] as const) {
      const value = this[key];
      if (value !== undefined && !(Array.isArray(value) && value.length === 0)) out[key] = value;
    }
    return out;
  }
}

/**
 * The record as a header value: base64url of its JSON, within MAX_EXPLAIN_HEADER. A record that does not fit loses
 * its reasons, then all but the first buckets, and says `"truncated": true` — never a header so large a proxy drops
 * the response.
 */
export function explainHeader(record: DecisionRecord): string {
  let json = record.toJSON();
  let encoded = base64url(JSON.stringify(json));
  if (encoded.length <= MAX_EXPLAIN_HEADER) return encoded;
  json = { ...json, truncated: true };
  for (const a of (json.authorizers as AuthorizerVerdict[] | undefined) ?? []) delete a.reason;
  if (Array.isArray(json.throttle)) json.throttle = (json.throttle as ThrottleVerdict[]).slice(0, 4);
  encoded = base64url(JSON.stringify(json));
  if (encoded.length <= MAX_EXPLAIN_HEADER) return encoded;
  return base64url(JSON.stringify({ requestId: record.requestId, truncated: true, stage: record.stage, route: record.route, response: record.response }));
}

/** Reads an explain header back (the CLI's `portico explain`). */
export function decodeExplainHeader(value: string): Record<string, unknown> {
  const padded = value.replace(/-/g, "+").replace(/_/g, "/");
  const bytes = Uint8Array.from(atob(padded + "=".repeat((4 - (padded.length % 4)) % 4)), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

function base64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
