/**
 * The bundle: an API definition compiled into one immutable JSON document with every default resolved.
 * Its id is the SHA-256 of its canonical JSON (`canonicalJson`), so the same definition always yields the
 * same id and a bundle can be checked against its id wherever it is read.
 *
 * Later features add fields here the same way they add sections to the definition. Bump BUNDLE_FORMAT only
 * when an existing field changes meaning.
 */
import type { BundleIntegration } from "./bundle-integrations.ts";
import type { Flavor, GatewayResponseType, HttpMethod, JsonSchema, RouteMethod, RoutingMode } from "./types.ts";

export type { RoutingMode } from "./types.ts";

export const BUNDLE_FORMAT = 1;

export interface Bundle {
  format: typeof BUNDLE_FORMAT;
  api: { name: string; flavor: Flavor; description: string | null };
  settings: BundleSettings;
  stages: Record<string, BundleStage>;
  domains: BundleDomain[];
  /** Routing rules by host; present only when the definition has some (so other bundles' ids are unchanged). */
  domainRouting?: BundleDomainRouting[];
  cors: BundleCors | null;
  /** Models by name; inline route body schemas are added under `$route:<route key>`. */
  models: Record<string, JsonSchema>;
  gatewayResponses: Partial<Record<GatewayResponseType, BundleGatewayResponse>>;
  authorizers: Record<string, BundleAuthorizer>;
  /** The API-wide resource policy; routes may add their own. */
  resourcePolicy: BundleResourcePolicy | null;
  usagePlans: Record<string, BundleUsagePlan>;
  /** Sorted by key, so the id does not depend on the order routes were written in. */
  routes: BundleRoute[];
  /** The WebSocket flavour's settings; absent for rest and http APIs (so their ids are unchanged). */
  websocket?: BundleWebSocket;
}

/** A WebSocket API's settings, every default resolved (src/websocket/). */
export interface BundleWebSocket {
  /** `$request.body.action`, or a template of `${request.body.x}` parts and literals. */
  routeSelectionExpression: string;
  /** ConnectionHub objects per stage (connection ids carry their hub's number). */
  hubs: number;
  limits: BundleWebSocketLimits;
  /** The sigv4 authorizer whose keys may call `@connections`; null: the management API is refused (403). */
  managementAuthorizer: string | null;
}

export interface BundleWebSocketLimits {
  maxMessageBytes: number;
  maxFrameBytes: number;
  idleTimeoutSeconds: number;
  maxConnectionSeconds: number;
  /** Per stage; 0: unlimited. Enforced as the `$connect` route's throttle. */
  newConnectionsPerSecond: number;
  /** Per connection; 0: unlimited. */
  messagesPerSecond: number;
  messageBurst: number;
  maxGroupsPerConnection: number;
}

export interface BundleSettings {
  maxBodyBytes: number;
  requestIdHeader: string;
  errorTypeHeader: string | null;
  /** Response header naming the bundle version that served the request; null: off. */
  versionHeader: string | null;
  binaryMediaTypes: string[];
  apiKeySource: "HEADER" | "AUTHORIZER";
  rateLimitHeaders: "draft" | "legacy" | null;
  cacheStatusHeader: string | null;
  /** Bounds on a JSON body a route validates. */
  jsonLimits: BundleJsonLimits;
}

export interface BundleJsonLimits {
  maxDepth: number;
  /** Values in the document: every object, array, string, number, boolean and null counts one. */
  maxElements: number;
  /** Longest object key, in UTF-16 code units. */
  maxKeyLength: number;
  /** Longest string a model's `pattern` (or a key `patternProperties`) is matched against; longer fails. */
  maxPatternInputLength: number;
}

export interface BundleStageCache {
  enabled: boolean;
  ttl: number;
  methods: string[];
  statuses: string[];
  requireAuthorization: boolean;
  unauthorizedStrategy: "FAIL_WITH_403" | "SUCCEED_WITH_RESPONSE_HEADER" | "SUCCEED_WITHOUT_RESPONSE_HEADER";
  encryptionSecret: string | null;
  maxEntryBytes: number;
}

export interface BundleRouteCache {
  enabled: boolean | null;
  ttl: number | null;
  keys: { query: string[]; headers: string[] };
  public: boolean;
}

export interface BundleThrottle {
  rate: number;
  burst: number;
  strict: boolean;
  shadow: boolean;
}

export interface BundleUsagePlan {
  description: string | null;
  stages: string[];
  throttle: BundleThrottle | null;
  quota: { limit: number; period: "DAY" | "WEEK" | "MONTH"; offset: number } | null;
  /** By normalised route key. */
  routeThrottles: Record<string, BundleThrottle>;
  failMode: "open" | "closed";
}

export interface BundleStage {
  description: string | null;
  variables: Record<string, string>;
  throttle: BundleThrottle | null;
  cache: BundleStageCache | null;
  /** The access log's format (a preset already expanded), or null for none. */
  accessLog: { format: string } | null;
  tracing: BundleTracing;
}

export interface BundleTracing {
  enabled: boolean;
  serverTiming: boolean;
}

export interface BundleDomain {
  /** Lower-cased host name, without a port. */
  host: string;
  /** Base path without slashes; "" maps the whole host. */
  basePath: string;
  stage: string;
}

export interface BundleDomainRouting {
  /** Lower-cased host (or `*.` wildcard). */
  host: string;
  routingMode: RoutingMode;
  /** In priority order. */
  rules: BundleRoutingRule[];
}

export interface BundleRoutingRule {
  priority: number;
  /** Header conditions, all of which must match: the name lower-cased, the glob as written. */
  headers: { header: string; valueGlob: string }[];
  /** Base paths, any of which matches (no slashes at either end); empty: no base path condition. */
  basePaths: string[];
  /** The API to invoke; null: this bundle's own. */
  apiId: string | null;
  stage: string;
  stripBasePath: boolean;
}

export interface BundleCors {
  allowOrigins: string[];
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  maxAge: number | null;
  allowCredentials: boolean;
}

export interface BundleGatewayResponse {
  status: number | null;
  headers: Record<string, string>;
  body: string | null;
}

export interface BundleRoute {
  /** The key as written, normalised: `GET /pets/{id}`, `ANY /{proxy+}` or `$default`. */
  key: string;
  method: RouteMethod;
  /** The path template, or `$default`. */
  path: string;
  integration: BundleIntegration;
  validate: BundleValidate | null;
  authorizer: { name: string; scopes: string[] } | null;
  apiKeyRequired: boolean;
  resourcePolicy: BundleResourcePolicy | null;
  throttle: BundleThrottle | null;
  cache: BundleRouteCache | null;
  /** WebSocket routes only: the integration's response body goes back to the client. */
  routeResponse?: boolean;
  /** Foreign internal headers forwarded on this route (lower case); every other one is dropped. */
  forwardInternalHeaders: string[];
}

export interface BundlePolicyMatch {
  ips: string[];
  countries: string[];
  asns: number[];
}

export interface BundleResourcePolicy {
  allow: BundlePolicyMatch | null;
  deny: BundlePolicyMatch | null;
}

export interface BundleJwtAuthorizer {
  type: "jwt";
  issuer: string;
  audience: string[];
  /** The waiver: any `aud` of this issuer passes. Only with no `audience`. */
  allowAnyAudience: boolean;
  /** Longest time from now to a token's `exp`; null: no bound (bundles written before the field). */
  maxTokenLifetimeSeconds: number | null;
  jwksUrl: string | null;
  jwks: { keys: Record<string, unknown>[] } | null;
  /** Name of the Worker secret holding the HMAC key (never its value). */
  secret: string | null;
  algorithms: string[] | null;
  identitySource: string;
  clockSkewSeconds: number;
  requiredClaims: string[];
  claimsToHeaders: Record<string, string>;
  jwksMinCacheSeconds: number;
  jwksMaxCacheSeconds: number;
  jwksRefetchSeconds: number;
  jwksTimeoutMs: number;
}

export interface BundleCustomAuthorizer {
  type: "custom";
  mode: "token" | "request";
  identitySource: string[];
  validationExpression: string | null;
  service: string | null;
  url: string | null;
  responseFormat: "policy" | "simple";
  resultTtlSeconds: number;
  /** simple format: one cached decision per route (`route`) or for every route (`shared`, Amazon's). */
  resultCacheScope: "route" | "shared";
  contextToHeaders: Record<string, string>;
  timeoutMs: number;
}

export interface BundleSigV4Authorizer {
  type: "sigv4";
  service: string;
  region: string;
  credentials: Record<string, string>;
  /** Send headers the signature does not cover on to the backend (off: they are dropped). */
  forwardUnsignedHeaders: boolean;
}

export interface BundleMtlsAuthorizer {
  type: "mtls";
  issuers: string[];
  subjects: string[];
  fingerprints: string[];
}

export type BundleAuthorizer = BundleJwtAuthorizer | BundleCustomAuthorizer | BundleSigV4Authorizer | BundleMtlsAuthorizer;

export interface BundleValidate {
  /** Model name in `models`, or null when the body is not validated. */
  body: string | null;
  /** Header names as written (matched case-insensitively). */
  headers: string[];
  path: string[];
  query: string[];
}

/** Defaults of `settings.jsonLimits`. */
export const JSON_LIMIT_DEFAULTS: BundleJsonLimits = { maxDepth: 128, maxElements: 100_000, maxKeyLength: 1024, maxPatternInputLength: 65_536 };

/** JSON with object keys sorted at every level: the form a bundle id is computed over. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

/** The bundle id: hex SHA-256 of the canonical JSON. Works in Workers and in Node (WebCrypto in both). */
export async function bundleId(bundle: Bundle): Promise<string> {
  return sha256Hex(canonicalJson(bundle));
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  let hex = "";
  for (const byte of new Uint8Array(digest)) hex += byte.toString(16).padStart(2, "0");
  return hex;
}
