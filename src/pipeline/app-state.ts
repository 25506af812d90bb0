/**
 * What one app remembers across its requests: made once by `createApp` (src/app.ts), and once per instance by a
 * Durable Object that runs the same code (the ConnectionHub), and reached from each request as `ctx.state`. Two
 * apps in one isolate — tests make many — never share any of it: what one app fetched, decided, derived from its
 * secrets or cached is not another's. Memos of pure functions of their input alone stay module-level (compiled
 * patterns, templates, globs); docs/architecture.md ("Per-app state and isolate memos") lists both kinds and says why.
 */
import { DecisionMemo } from "../authorizers/custom/decisions.ts";
import type { JwksMemo } from "../authorizers/jwt/jwks.ts";
import type { SigningKeyMemo } from "../authorizers/sigv4/verify.ts";
import { CacheTiers } from "../cache/store.ts";
import { MetricsBuffer } from "../observability/metrics.ts";
import { ShadowState } from "../observability/shadow/state.ts";

export class AppState {
  /** Remote JWKS by URL, with their unknown `kid`s (authorizers/jwt/jwks.ts). */
  readonly jwks: JwksMemo = new Map();
  /** Custom authorizer decisions, for their `resultTtlSeconds` (authorizers/custom/decisions.ts). */
  readonly decisions = new DecisionMemo();
  /** SigV4 signing keys derived from access-key secrets, per day, region and service (authorizers/sigv4/verify.ts). */
  readonly signingKeys: SigningKeyMemo = new Map();
  /** The response cache's memory tier, fills, write coalescing and derived encryption keys (cache/store.ts). */
  readonly cache = new CacheTiers();
  /** Per-version metrics not yet flushed to the API's MetricsStore (observability/metrics.ts). */
  readonly metrics = new MetricsBuffer();
  /** Shadow evaluation: unsent results, evaluations running, compiled candidates (observability/shadow/state.ts). */
  readonly shadow = new ShadowState();
}
