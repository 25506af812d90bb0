/**
 * The API definition: what a user writes (YAML or JSON). `schema/portico-api.schema.json` is generated from
 * `schema.ts`, which is the source of truth for field descriptions; these types mirror it.
 *
 * Each later feature adds a top-level section (authorizers, usagePlans, resourcePolicy) or a field on a route
 * or stage (authorizer, apiKeyRequired, throttle, cache) without reshaping what is here.
 */

/** A JSON Schema document (draft-04, -07 or 2020-12), as used for models. */
export type JsonSchema = Record<string, unknown> | boolean;

export type Flavor = "rest" | "http" | "websocket";

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
export type RouteMethod = HttpMethod | "ANY";

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

/** Amazon's response transfer modes: buffered (the default) or streamed (proxy integrations only). */
export type ResponseTransferMode = "BUFFERED" | "STREAM";

/** Response streaming (Amazon's responseTransferMode) on a proxy integration. */
interface StreamingDefinition {
  responseTransferMode?: ResponseTransferMode;
  /** STREAM only: the longest pause between two chunks of the response before it is cut off (Amazon's idle timeout). */
  streamIdleTimeoutMs?: number;
}

interface HttpTransportDefinition extends StreamingDefinition {
  uri: string;
  method?: HttpMethod;
  timeoutMs?: number;
  headers?: Record<string, string>;
  service?: string;
  /** `VPC_LINK`: Amazon's private integration — through the Worker binding `connectionId` names. */
  connectionType?: "INTERNET" | "VPC_LINK";
  /** With VPC_LINK: the service binding (or Workers VPC service binding) that reaches the private backend. */
  connectionId?: string;
  /**
   * Parameter mapping. REST flavour: `integration.request.header|querystring|path.<name>` → `method.request.…`,
   * `'literal'`, `stageVariables.x`, `context.x`. HTTP flavour (http_proxy): `overwrite:|append:|remove:` on
   * `header.<name>` / `querystring.<name>`, or `overwrite:path`, → `$request.…`, `$context.…`, `$stageVariables.…`.
   */
  requestParameters?: Record<string, string>;
}

/** Amazon's integration passthrough behaviours (what happens to a body no request template matches). */
export type PassthroughBehavior = "WHEN_NO_MATCH" | "WHEN_NO_TEMPLATES" | "NEVER";
/** Amazon's payload conversions between text and binary. */
export type ContentHandling = "CONVERT_TO_TEXT" | "CONVERT_TO_BINARY";

/** One integration response (Amazon's IntegrationResponse), chosen by its selection pattern. */
export interface IntegrationResponseDefinition {
  statusCode: number | string;
  responseTemplates?: Record<string, string>;
  /** `method.response.header.<name>` → `integration.response.header.x`, `integration.response.body[.path]`, `'literal'` … */
  responseParameters?: Record<string, string>;
  contentHandling?: ContentHandling;
}

/** The non-proxy (mapped) side of an integration: Amazon's names, so an import is a copy. */
export interface MappingDefinition {
  /** Content type → Velocity template for the request body. */
  requestTemplates?: Record<string, string>;
  passthroughBehavior?: PassthroughBehavior;
  contentHandling?: ContentHandling;
  requestParameters?: Record<string, string>;
  /** Integration responses by selection pattern (`default`, or a regular expression matched against the whole status or error message). */
  responses?: Record<string, IntegrationResponseDefinition>;
}

export interface HttpProxyIntegrationDefinition extends HttpTransportDefinition {
  type: "http_proxy";
  /** HTTP flavour: response parameter mapping by backend status code (`overwrite:statuscode`, `append|overwrite|remove:header.<name>`). */
  responseParameters?: Record<string, Record<string, string>>;
}

export interface HttpIntegrationDefinition extends HttpTransportDefinition, MappingDefinition {
  type: "http";
}

export interface MockIntegrationDefinition extends Pick<MappingDefinition, "requestTemplates" | "passthroughBehavior" | "responses"> {
  type: "mock";
  status?: number;
  headers?: Record<string, string>;
  body?: string | Record<string, unknown> | unknown[];
}

/** `custom`: Amazon's Lambda custom (non-proxy) integration — the mapped request is the event. */
export type PayloadFormat = "raw" | "1.0" | "2.0" | "custom";

export interface ServiceIntegrationDefinition extends MappingDefinition, StreamingDefinition {
  type: "service";
  service: string;
  payloadFormat?: PayloadFormat;
  path?: string;
  timeoutMs?: number;
}

/** Amazon's HTTP API integration subtypes (AWS service actions with named parameters). */
export const AWS_SUBTYPES = [
  "SQS-SendMessage",
  "SQS-ReceiveMessage",
  "SQS-DeleteMessage",
  "StepFunctions-StartExecution",
  "EventBridge-PutEvents",
  "Kinesis-PutRecord",
] as const;
export type AwsSubtype = (typeof AWS_SUBTYPES)[number];

/** The names of the Worker secrets holding AWS credentials (never the values). */
export interface AwsCredentialsDefinition {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * `aws` (Amazon's AWS integration): an AWS service action, signed with SigV4. REST flavour: `uri` in Amazon's ARN
 * form with request templates and integration responses; HTTP flavour: a `subtype` with its named parameters in
 * `requestParameters`.
 */
export interface AwsIntegrationDefinition extends MappingDefinition {
  type: "aws";
  /** `arn:aws:apigateway:{region}:{service}:action/{Action}` or `…:{service}:path/{path}`. */
  uri?: string;
  httpMethod?: HttpMethod;
  subtype?: AwsSubtype;
  /** The subtype's region (its `Region` parameter may also set it). */
  region?: string;
  credentials: AwsCredentialsDefinition;
  /** Instead of `https://{service}.{region}.amazonaws.com`: an emulator or a test server (may use stage variables). */
  endpoint?: string;
  timeoutMs?: number;
}

/** `queue`: a Cloudflare Queues producer binding (the SQS analogue). */
export interface QueueIntegrationDefinition extends Pick<MappingDefinition, "requestTemplates" | "passthroughBehavior" | "responses"> {
  type: "queue";
  queue: string;
  /** The body is a JSON array: one message per element, sent as one batch. */
  batch?: boolean;
  /** How a message is sent: default by the request's Content-Type (JSON → json, text → text, else bytes). */
  contentType?: "json" | "text" | "bytes";
  delaySeconds?: number;
  /** Send `{messageId, requestId, body}` instead of the body alone, so a consumer sees the id the client got. */
  envelope?: boolean;
}

/** `r2`: an R2 bucket binding (the S3 analogue): objects by key, or a listing. */
export interface R2IntegrationDefinition {
  type: "r2";
  bucket: string;
  action?: "object" | "list";
  /** The object's key: may use `{param}` and `${stageVariables.name}`. */
  key?: string;
  /** `list`: the prefix listed (the client's `prefix` query parameter is appended). */
  prefix?: string;
}

/** `workflow`: a Cloudflare Workflows binding (the Step Functions analogue). */
export interface WorkflowIntegrationDefinition extends Pick<MappingDefinition, "requestTemplates" | "passthroughBehavior" | "responses"> {
  type: "workflow";
  workflow: string;
  action?: "create" | "status";
  /** `status`: the instance to read; `create`: an id to give the new instance (default: a new one). */
  instanceId?: string;
}

export type IntegrationDefinition =
  | HttpProxyIntegrationDefinition
  | HttpIntegrationDefinition
  | MockIntegrationDefinition
  | ServiceIntegrationDefinition
  | AwsIntegrationDefinition
  | QueueIntegrationDefinition
  | R2IntegrationDefinition
  | WorkflowIntegrationDefinition;

export type IntegrationType = IntegrationDefinition["type"];

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
