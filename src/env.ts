/**
 * The Worker's environment: its bindings, secrets and vars, the composition of everything below. Only the Worker's
 * own code imports it; each Durable Object types its own (durable-objects/<name>/env.ts), and the modules they share
 * with the Worker take the narrow types they need (docs/architecture.md#layers). Service bindings named by integrations
 * (`service: DEMO_BACKEND`) are looked up by name at request time, hence the index signature.
 */
import type { KeyStore } from "../durable-objects/key-store/index.ts";
import type { MetricsStore } from "../durable-objects/metrics-store/index.ts";
import type { RateLimiter } from "../durable-objects/rate-limiter/index.ts";
import type { Registry } from "../durable-objects/registry/index.ts";
import type { UsageQuota } from "../durable-objects/usage-quota/index.ts";
import type { HubRpc } from "./websocket/hub-contract.ts";

export interface Env {
  /** Immutable bundles by id, and the Registry's configuration snapshots (`snapshot:*`). */
  BUNDLES: KVNamespace;
  /** The stage response cache. */
  CACHE: KVNamespace;
  /** Deployments: one object per API (`api:<name>`) and one domain index (`index`). */
  REGISTRY: DurableObjectNamespace<Registry>;
  /** Token buckets: one object per bucket key. */
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  /** Usage-plan quotas: one object per API key × plan. */
  USAGE_QUOTA: DurableObjectNamespace<UsageQuota>;
  /**
   * WebSocket connections: hubs per API × stage, `hub:<api>:<stage>:<n>` (durable-objects/connection-hub). Typed by
   * the hub's RPC contract, which ConnectionHub implements: hubs call each other, so the hub's own code names it too.
   */
  CONNECTION_HUB: DurableObjectNamespace<HubRpc>;
  /** API keys, sharded by the hash of their value (`shard:<count>:<n>`). */
  KEY_STORE: DurableObjectNamespace<KeyStore>;
  /** Per-version metrics, sharded per API (`metrics:<api>:<n>`). */
  METRICS_STORE: DurableObjectNamespace<MetricsStore>;
  /** How many KeyStore shards hold the API keys (default 16, 1–64). Fixed the first time keys are stored: see STORAGE.md. */
  KEY_SHARDS?: string;
  /** How many MetricsStore shards each API's metrics are spread over (default 16, 1–256). */
  METRICS_SHARDS?: string;
  /** The account-wide (gateway-wide) bucket: requests per second and burst; unset or 0 turns it off. */
  ACCOUNT_RATE?: string;
  ACCOUNT_BURST?: string;
  /** The API served on the Worker's own host names; empty means the embedded bundle's API. */
  PORTICO_API?: string;
  /** How long an isolate trusts a stage pointer it read from the Registry, in ms (default 5000). */
  REGISTRY_MEMO_MS?: string;
  /** How often an isolate sends its batched metrics to the MetricsStore, in ms (default 5000). */
  METRICS_FLUSH_MS?: string;
  /** How long an isolate answers from a cache entry in its own memory, in ms (default 30000, 0 = off, at most 60000). */
  CACHE_MEMORY_MS?: string;
  /** Secret: callers sending it in `x-portico-cache-invalidate` may refresh cache entries with max-age=0. */
  CACHE_INVALIDATE_SECRET?: string;
  /** Secret: the admin API's bearer token. Without it the admin API answers 503. */
  ADMIN_TOKEN?: string;
  /** Secret: lets testers force a version with `x-portico-force-version` when sent in `x-portico-force-secret`. */
  PORTICO_FORCE_SECRET?: string;
  /** Secret: a request carrying it in `x-portico-debug` gets Server-Timing and its decision record (observability/debug.ts). */
  PORTICO_DEBUG_TOKEN?: string;
  /** Workers Analytics Engine: one data point per request when bound (observability/analytics-engine.ts). */
  ANALYTICS?: AnalyticsEngineDataset;
  /** The dataset ANALYTICS writes to, named in SQL queries (default `portico_requests`). */
  ANALYTICS_DATASET?: string;
  /** With ANALYTICS_API_TOKEN: the account whose Analytics Engine SQL API answers metrics queries. */
  ANALYTICS_ACCOUNT_ID?: string;
  /** Secret: an API token with Account Analytics Read, for the SQL API. Without both, metrics are read from the local store. */
  ANALYTICS_API_TOKEN?: string;
  /** The SQL API's address (default Cloudflare's, for ANALYTICS_ACCOUNT_ID); tests point it at a local stand-in. */
  ANALYTICS_SQL_URL?: string;
  /**
   * Dev only, set by `portico dev` in the wrangler config it generates: the definition file the session serves
   * (its stages are served from it, over anything published; see deploy/dev-file-source.ts).
   */
  PORTICO_DEV_FILE?: string;
  /** Dev only: comma-separated stages (or `*`) that `portico dev --published` serves from the Registry instead. */
  PORTICO_DEV_PUBLISHED?: string;
  [binding: string]: unknown;
}
