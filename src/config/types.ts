/**
 * The API definition: what a user writes (YAML or JSON). `schema/portico-api.schema.json` is generated from
 * `schema.ts`, which is the source of truth for field descriptions; these types mirror it.
 *
 * Each later feature adds a top-level section (authorizers, usagePlans, resourcePolicy) or a field on a route
 * or stage (authorizer, apiKeyRequired, throttle, cache) without reshaping what is here.
 */
import type { HttpMethod, RouteMethod } from "./http-methods.ts";
import type { IntegrationDefinition } from "./integration-types.ts";

/** A JSON Schema document (draft-04, -07 or 2020-12), as used for models. */
export type JsonSchema = Record<string, unknown> | boolean;

export type Flavor = "rest" | "http" | "websocket";

export { HTTP_METHODS, type HttpMethod, type RouteMethod } from "./http-methods.ts";

export interface ApiDefinition {
  $schema?: string;
  name: string;
  flavor?: Flavor;
  description?: string;
  settings?: ApiSettings;
  stages: Record<string, StageDefinition>;
  domains?: DomainMapping[];
  /** Routing rules per custom domain host (Amazon's routing rules and routing mode). */
  domainRouting?: Record<string, DomainRoutingDefinition>;
  cors?: CorsDefinition;
  models?: Record<string, JsonSchema>;
  gatewayResponses?: Partial<Record<GatewayResponseType, GatewayResponseDefinition>>;
  authorizers?: Record<string, AuthorizerDefinition>;
  resourcePolicy?: ResourcePolicyDefinition;
  usagePlans?: Record<string, UsagePlanDefinition>;
  /** WebSocket flavour: where a message's route key comes from. Default `$request.body.action`. */
  routeSelectionExpression?: string;
  /** WebSocket flavour: hubs, limits and the @connections management API's credentials. */
  websocket?: WebSocketSettingsDefinition;
  routes: Record<string, RouteDefinition>;
}

/** A WebSocket API's settings (flavor: websocket). */
export interface WebSocketSettingsDefinition {
  /** ConnectionHub objects per stage that connections are spread over. */
  hubs?: number;
  limits?: WebSocketLimitsDefinition;
  /** `@connections` callers sign with SigV4 for one of this authorizer's access keys (a `sigv4` authorizer). */
  management?: { authorizer: string };
}

/** WebSocket limits; the defaults are Amazon's where Amazon has one. */
export interface WebSocketLimitsDefinition {
  maxMessageBytes?: number;
  maxFrameBytes?: number;
  idleTimeoutSeconds?: number;
  maxConnectionSeconds?: number;
  newConnectionsPerSecond?: number;
  messagesPerSecond?: number;
  messageBurst?: number;
  maxGroupsPerConnection?: number;
}

export interface ApiSettings {
  maxBodyBytes?: number;
  requestIdHeader?: string;
  errorTypeHeader?: string | false;
  versionHeader?: string | false;
  binaryMediaTypes?: string[];
  /** Where API keys come from: the `x-api-key` header, or a custom authorizer's `usageIdentifierKey`. */
  apiKeySource?: "HEADER" | "AUTHORIZER";
  /** Rate-limit headers on responses: IETF `RateLimit`/`RateLimit-Policy` (draft), the older X-RateLimit-* style, or none. */
  rateLimitHeaders?: "draft" | "legacy" | false;
  /** Response header saying HIT, MISS or BYPASS for cached routes; `false` turns it off. Default `X-Cache`. */
  cacheStatusHeader?: string | false;
  /** Bounds on JSON bodies that routes validate. */
  jsonLimits?: { maxDepth?: number; maxElements?: number; maxKeyLength?: number; maxPatternInputLength?: number };
  /** Amazon's quotas that Amazon raises on request, raised for this API. */
  quotas?: QuotaOverrides;
}

/** Amazon API Gateway's adjustable quotas (its defaults in compile-quotas.ts). */
export interface QuotaOverrides {
  resourcesPerApi?: number;
  routesPerApi?: number;
  stagesPerApi?: number;
  authorizersPerApi?: number;
  routingRulesPerDomain?: number;
}

/** A token bucket: `rate` requests per second refill it, `burst` is its size. */
export interface ThrottleDefinition {
  rate: number;
  burst: number;
  /** Ask the limiter on every request (exact; for low limits) instead of spending leased tokens. */
  strict?: boolean;
  /** Evaluate but do not enforce: responses it would have throttled are marked instead. */
  shadow?: boolean;
}

export interface QuotaDefinition {
  limit: number;
  period: "DAY" | "WEEK" | "MONTH";
  offset?: number;
}

export interface UsagePlanDefinition {
  description?: string;
  stages: string[];
  throttle?: ThrottleDefinition;
  quota?: QuotaDefinition;
  routeThrottles?: Record<string, ThrottleDefinition>;
  /** When a limiter or quota object cannot answer: `open` (default) admits, `closed` refuses. */
  failMode?: "open" | "closed";
}

export interface StageDefinition {
  description?: string;
  variables?: Record<string, string>;
  throttle?: ThrottleDefinition;
  cache?: StageCacheDefinition;
  accessLog?: AccessLogDefinition;
  tracing?: TracingDefinition;
}

/** The stage's access log: one line per request to the Workers log stream (docs/observability.md). */
export interface AccessLogDefinition {
  /** `json` (default), `clf`, `xml`, `csv`, or a format of Amazon's `$context` variables. */
  format?: string;
}

/** Trace propagation and Server-Timing for the stage (docs/observability.md). */
export interface TracingDefinition {
  /** Accept or start a W3C trace (and X-Amzn-Trace-Id) and send it to every backend. Default true. */
  enabled?: boolean;
  /** Server-Timing on every response, not only to requests with the debug token. Default false. */
  serverTiming?: boolean;
}

/** The stage response cache (Amazon's stage cache, on Workers KV fronted by the Cache API). */
export interface StageCacheDefinition {
  enabled?: boolean;
  ttl?: number;
  methods?: HttpMethod[];
  /** Statuses stored: codes (200) or classes ("2xx"). Default ["2xx"]. */
  statuses?: (number | string)[];
  requireAuthorization?: boolean;
  unauthorizedStrategy?: "FAIL_WITH_403" | "SUCCEED_WITH_RESPONSE_HEADER" | "SUCCEED_WITHOUT_RESPONSE_HEADER";
  /** Name of a Worker secret: entries are encrypted with AES-GCM under a key derived from it. */
  encryptionSecret?: string;
  /** Largest body stored; larger responses stream through uncached. Default 1 MiB. */
  maxEntryBytes?: number;
}

/** Per-route cache settings: override the stage's, and name the request parts that form the key. */
export interface RouteCacheDefinition {
  enabled?: boolean;
  ttl?: number;
  /** Cache-key parameters: `query.<name>`, `header.<name>` (path is always in the key). */
  keys?: string[];
  /** Share entries across callers even behind an authorizer or API key (only for responses that are the same for everyone). */
  public?: boolean;
}

export interface DomainMapping {
  host: string;
  basePath?: string;
  stage: string;
}

/** Amazon's routing modes for a custom domain name. */
export type RoutingMode = "API_MAPPING_ONLY" | "ROUTING_RULE_ONLY" | "ROUTING_RULE_THEN_API_MAPPING";

/** A custom domain's routing: Amazon's routing mode and routing rules, with Amazon's field names. */
export interface DomainRoutingDefinition {
  routingMode?: RoutingMode;
  rules?: RoutingRuleDefinition[];
}

export interface RoutingRuleDefinition {
  /** 1–1,000,000; lower first; unique per domain. */
  priority: number;
  conditions?: RoutingRuleCondition[];
  /** Exactly one: invoke a stage of an API. */
  actions: { invokeApi: { apiId?: string; stage: string; stripBasePath?: boolean } }[];
}

export interface RoutingRuleCondition {
  matchHeaders?: { anyOf: { header: string; valueGlob: string }[] };
  matchBasePaths?: { anyOf: string[] };
}

export interface CorsDefinition {
  allowOrigins: string[];
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAge?: number;
  allowCredentials?: boolean;
}

export interface RouteDefinition {
  description?: string;
  integration: IntegrationDefinition;
  validate?: ValidateDefinition;
  authorizer?: string | { name: string; scopes?: string[] };
  apiKeyRequired?: boolean;
  resourcePolicy?: ResourcePolicyDefinition;
  throttle?: ThrottleDefinition;
  cache?: RouteCacheDefinition;
  /** WebSocket routes: send the integration's response body back to the client (Amazon's two-way route). */
  routeResponse?: boolean;
  /** Foreign internal headers (x-envoy-*, X-HTTP-Method-Override …) this route forwards instead of dropping. */
  forwardInternalHeaders?: string[];
}

/** Who may call: IP ranges (v4, v6, IPv4-mapped v6), countries and ASNs from `request.cf`. Explicit deny wins. */
export interface ResourcePolicyDefinition {
  allow?: PolicyMatchDefinition;
  deny?: PolicyMatchDefinition;
}

export interface PolicyMatchDefinition {
  ips?: string[];
  countries?: string[];
  asns?: number[];
}

export interface JwtAuthorizerDefinition {
  type: "jwt";
  issuer: string;
  audience?: string | string[];
  /** The explicit waiver of the audience check: any token of the issuer passes. */
  allowAnyAudience?: boolean;
  /** Longest time from now to a token's `exp`. Default 86400. */
  maxTokenLifetimeSeconds?: number;
  jwksUrl?: string;
  jwks?: { keys: Record<string, unknown>[] };
  secret?: string;
  algorithms?: string[];
  identitySource?: string;
  clockSkewSeconds?: number;
  requiredClaims?: string[];
  claimsToHeaders?: Record<string, string>;
  jwksMinCacheSeconds?: number;
  jwksMaxCacheSeconds?: number;
  jwksRefetchSeconds?: number;
  jwksTimeoutMs?: number;
}

export interface CustomAuthorizerDefinition {
  type: "custom";
  mode?: "token" | "request";
  identitySource?: string | string[];
  validationExpression?: string;
  service?: string;
  url?: string;
  responseFormat?: "policy" | "simple";
  resultTtlSeconds?: number;
  /** simple format: cache a decision per route (default) or, as Amazon does, once for every route. */
  resultCacheScope?: "route" | "shared";
  /** Backend request headers set from the decision's context: header name → context key. */
  contextToHeaders?: Record<string, string>;
  timeoutMs?: number;
}

export interface SigV4AuthorizerDefinition {
  type: "sigv4";
  service?: string;
  region?: string;
  /** Access key id → the name of the Worker secret holding its secret access key. */
  credentials: Record<string, string>;
  /** Send headers outside SignedHeaders on to the backend (default false: dropped). */
  forwardUnsignedHeaders?: boolean;
}

export interface MtlsAuthorizerDefinition {
  type: "mtls";
  issuers?: string[];
  subjects?: string[];
  fingerprints?: string[];
}

export type AuthorizerDefinition =
  | JwtAuthorizerDefinition
  | CustomAuthorizerDefinition
  | SigV4AuthorizerDefinition
  | MtlsAuthorizerDefinition;

export interface ValidateDefinition {
  /** A model name from `models`, or an inline JSON Schema, for JSON request bodies. */
  body?: string | Record<string, unknown>;
  headers?: string[];
  path?: string[];
  query?: string[];
}

/** Amazon's gateway response types, plus INVALID_PATH for paths Portico refuses before routing. */
export const GATEWAY_RESPONSE_TYPES = [
  "ACCESS_DENIED",
  "API_CONFIGURATION_ERROR",
  "AUTHORIZER_CONFIGURATION_ERROR",
  "AUTHORIZER_FAILURE",
  "BAD_REQUEST_BODY",
  "BAD_REQUEST_PARAMETERS",
  "DEFAULT_4XX",
  "DEFAULT_5XX",
  "EXPIRED_TOKEN",
  "INTEGRATION_FAILURE",
  "INTEGRATION_TIMEOUT",
  "INVALID_API_KEY",
  "INVALID_PATH",
  "INVALID_SIGNATURE",
  "MISSING_AUTHENTICATION_TOKEN",
  "QUOTA_EXCEEDED",
  "REQUEST_TOO_LARGE",
  "RESOURCE_NOT_FOUND",
  "STAGE_NOT_FOUND",
  "THROTTLED",
  "UNAUTHORIZED",
  "UNSUPPORTED_MEDIA_TYPE",
] as const;
export type GatewayResponseType = (typeof GATEWAY_RESPONSE_TYPES)[number];

export interface GatewayResponseDefinition {
  status?: number;
  headers?: Record<string, string>;
  /** A body template: `$context.error.message`, `$context.error.messageString`, `$context.requestId` … */
  body?: string;
}
