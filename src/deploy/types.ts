/**
 * Deployment state as the Registry keeps it and the admin API and CLI show it: stages pointing at bundle
 * versions, canaries, history and per-version metrics. Plain data, shared by the Worker and the Durable Object.
 */
import type { BundleDomainRouting } from "../config/bundle.ts";

/** What decides which callers a canary gets. `none`: random per request. */
export type StickyKind = "none" | "apiKey" | "sub" | "header" | "cookie" | "ip";

export interface StickyKey {
  kind: StickyKind;
  /** Header or cookie name, for those kinds. */
  name?: string;
}

export interface AutoCanaryConfig {
  /** Percentage points added per step. */
  step: number;
  /** Seconds between evaluations. */
  intervalSeconds: number;
  /** Largest allowed rise of the canary's 5xx rate over stable's, in percentage points. */
  maxErrorRateIncrease: number;
  /** Largest allowed canary p95 latency as a multiple of stable's. */
  maxP95Ratio: number;
  /** Requests the canary must serve in a step before it is judged. */
  minRequests: number;
}

export interface AutoCanaryState extends AutoCanaryConfig {
  /** When the current step began (ms since epoch): each step is judged on its own requests. */
  stepStartedAt: number;
}

export interface CanaryState {
  deploymentId: string;
  /** 0–100, two decimals. */
  percent: number;
  stageVariableOverrides: Record<string, string>;
  useStageCache: boolean;
  sticky: StickyKey;
  auto: AutoCanaryState | null;
}

export interface StageState {
  api: string;
  stage: string;
  deploymentId: string;
  updatedAt: number;
  canary: CanaryState | null;
  /** Bumped by a cache flush; part of every cache key of the stage. */
  cacheGeneration?: number;
  /** A candidate version evaluated beside the live one on a sample of requests (absent: none). */
  shadow?: ShadowState | null;
}

/** Shadow evaluation of a candidate version on a stage (docs/observability.md#shadow-evaluation). */
export interface ShadowState {
  deploymentId: string;
  /** Share of the stage's requests evaluated, 0.01–100. */
  percent: number;
  startedAt: number;
}

export interface DeploymentRecord {
  id: string;
  createdAt: number;
  description: string | null;
  routes: number;
}

export type HistoryAction =
  | "deploy"
  | "rollback"
  | "canary-deploy"
  | "canary-update"
  | "canary-promote"
  | "canary-delete"
  | "auto-start"
  | "auto-step"
  | "auto-promote"
  | "auto-rollback"
  | "shadow-start"
  | "shadow-stop";

export interface HistoryEntry {
  seq: number;
  at: number;
  stage: string;
  action: HistoryAction;
  deploymentId: string;
  description: string | null;
}

/** One API's stage pointers as the Registry serves them (and as its KV snapshot carries them). */
export interface ServingState {
  api: string;
  /** Increases on every pointer change. */
  version: number;
  stages: Record<string, StageState>;
}

/** A custom-domain mapping in the domain index. */
export interface DomainRow {
  host: string;
  basePath: string;
  api: string;
  stage: string;
}

/**
 * A custom domain's routing rules and routing mode in the domain index (`domainRouting` of the version the API most
 * recently made stable): the bundle's form, plus the API that owns the host's rules (each rule's default target).
 */
export interface RoutingRow extends BundleDomainRouting {
  api: string;
}

/** Metrics are kept in slots of this many milliseconds. */
export const METRICS_SLOT_MS = 10_000;

/** One isolate's counts for one stage and version over one slot (what the data plane flushes). */
export interface MetricsSample {
  stage: string;
  version: string;
  /** ms since epoch, floored to METRICS_SLOT_MS. */
  slot: number;
  count: number;
  c4xx: number;
  c5xx: number;
  /** Throttle/quota decisions made without their Durable Object. */
  degraded?: number;
  /** Requests refused because a dependency could not be trusted (JWKS keys past jwksMaxCacheSeconds). */
  failClosed?: number;
  cacheHits?: number;
  cacheMisses?: number;
  /** Refused by a token bucket or quota (429). */
  throttled?: number;
  /** Refused by the gateway for who or what the request is (4xx gateway responses other than throttling). */
  refused?: number;
  /** WebSocket APIs: connections opened and closed, messages from clients, frames sent to clients. */
  wsConnects?: number;
  wsDisconnects?: number;
  wsMessages?: number;
  wsMessagesOut?: number;
  /** Latency histogram counts (see observability/histogram.ts). */
  latency: number[];
  integrationLatency: number[];
}

export interface VersionMetrics {
  version: string;
  role: "stable" | "canary" | "other";
  count: number;
  c4xx: number;
  c5xx: number;
  errorRate4xx: number;
  errorRate5xx: number;
  /** Throttle/quota decisions made without their Durable Object. */
  degraded?: number;
  /** Requests refused because a dependency could not be trusted (JWKS keys past jwksMaxCacheSeconds). */
  failClosed?: number;
  cacheHits?: number;
  cacheMisses?: number;
  throttled?: number;
  refused?: number;
  /** WebSocket APIs: connections opened and closed, messages from clients, frames sent to clients. */
  wsConnects?: number;
  wsDisconnects?: number;
  wsMessages?: number;
  wsMessagesOut?: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  integrationP50: number | null;
  integrationP95: number | null;
  integrationP99: number | null;
}

/** What shadow evaluation compares, kind by kind (docs/observability.md#shadow-evaluation). */
export type ShadowKind = "route" | "policy" | "authorization" | "apiKey" | "validation" | "throttle" | "cache" | "integration" | "template" | "outcome";

export interface ShadowDifference {
  kind: ShadowKind;
  live: string;
  candidate: string;
}

/** A request whose candidate decisions differed, as kept: no header values, no body, query parameter names only. */
export interface ShadowSample {
  requestId: string;
  at: number;
  method: string;
  path: string;
  queryNames: string[];
  differences: ShadowDifference[];
}

/** One isolate's shadow results for a stage and candidate since its last flush. */
export interface ShadowBatch {
  deploymentId: string;
  evaluated: number;
  differing: number;
  /** Requests not evaluated, or parts left out, by reason ("custom authorizer not cached", "body streamed" …). */
  skipped: Record<string, number>;
  kinds: Partial<Record<ShadowKind, number>>;
  samples: ShadowSample[];
}

export interface ShadowReport {
  stage: string;
  /** The running shadow, or null when stopped (the last report stays until the next start). */
  shadow: ShadowState | null;
  /** The candidate the report is about; null before any shadow ran on the stage. */
  deploymentId: string | null;
  startedAt: number | null;
  stoppedAt: number | null;
  evaluated: number;
  differing: number;
  skipped: Record<string, number>;
  kinds: { kind: ShadowKind; count: number; samples: ShadowSample[] }[];
  /** Evaluated at least once and no difference. */
  clean: boolean;
}

/** One version's counts and percentiles over one step of a time series (the dashboard's charts). */
export interface SeriesPoint {
  /** Start of the step, ms since epoch. */
  t: number;
  count: number;
  c4xx: number;
  c5xx: number;
  p50: number | null;
  p99: number | null;
  integrationP50: number | null;
  integrationP99: number | null;
  cacheHits: number;
  cacheMisses: number;
  throttled: number;
  refused: number;
}

export interface VersionSeries {
  version: string;
  role: VersionMetrics["role"];
  points: SeriesPoint[];
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  description: string | null;
  /** `ptk_abcd…wxyz`: enough to recognise a key. */
  hint: string;
  enabled: boolean;
  /** `api/stage` pairs the key may call; `api/*` covers every stage of an API. */
  stages: string[];
  /** Usage plans the key belongs to, as `api/plan`; a plan also lets the key call the stages it covers. */
  plans: string[];
  createdAt: number;
  updatedAt: number;
}

/** What the data plane needs to decide on a key. */
export interface KeyLookup {
  id: string;
  enabled: boolean;
  stages: string[];
  plans: string[];
}
