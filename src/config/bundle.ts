/**
 * The bundle: an API definition compiled into one immutable JSON document with every default resolved.
 * Its id is the SHA-256 of its canonical JSON (`canonicalJson`), so the same definition always yields the
 * same id and a bundle can be checked against its id wherever it is read.
 *
 * Later features add fields here the same way they add sections to the definition. Bump BUNDLE_FORMAT only
 * when an existing field changes meaning.
 */
import type {
  AwsSubtype,
  ContentHandling,
  Flavor,
  PassthroughBehavior,
  GatewayResponseType,
  HttpMethod,
  JsonSchema,
  PayloadFormat,
  ResponseTransferMode,
  RouteMethod,
  RoutingMode,
} from "./types.ts";

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

/** One integration response. Lists keep the definition's order (a canonical bundle sorts object keys). */
export interface BundleIntegrationResponse {
  /** The selection pattern (matched against the whole string); null for `default`. */
  pattern: string | null;
  statusCode: number;
  /** [content type (lower-cased), template] in definition order: the first is the fallback. */
  responseTemplates: [string, string][];
  /** [method.response.header.<name>, source]. */
  responseParameters: [string, string][];
  contentHandling: ContentHandling | null;
}

/**
 * The mapping of an integration (Amazon's non-proxy model). On `http_proxy` and proxy `service` integrations only
 * the parameters apply (templates and responses are not theirs).
 */
export interface BundleMapping {
  requestTemplates: [string, string][];
  passthroughBehavior: PassthroughBehavior;
  contentHandling: ContentHandling | null;
  /** [target, source] in definition order: REST (`integration.request.header.x`) or HTTP-flavour (`overwrite:header.x`) syntax. */
  requestParameters: [string, string][];
  /** null: none configured, the backend's answer passes through. */
  responses: BundleIntegrationResponse[] | null;
  /** HTTP flavour http_proxy: [status code, [key, value][]]. */
  responseParametersByStatus: [string, [string, string][]][];
}

/**
 * Response streaming (Amazon's responseTransferMode). Written only for a route that streams: absent means BUFFERED,
 * so a definition that does not stream compiles to the bundle (and the version id) it did before streaming existed.
 */
export interface BundleStreaming {
  responseTransferMode?: Extract<ResponseTransferMode, "STREAM">;
  /** STREAM: the longest pause between two chunks before the response is cut off. */
  streamIdleTimeoutMs?: number;
}

export interface BundleHttpIntegration extends BundleStreaming {
  type: "http_proxy" | "http";
  uri: string;
  /** null: the client's method. */
  method: HttpMethod | null;
  timeoutMs: number;
  headers: Record<string, string>;
  /** A service binding to send through instead of the public network (Amazon's private integration). */
  service: string | null;
  /**
   * `connectionType: VPC_LINK` (through `service`): on HTTP APIs the stage is prepended to the path, as Amazon does.
   * Absent for other connections, so their bundles (and ids) are what they were before private integrations.
   */
  vpcLink?: true;
  /** null when nothing is mapped. */
  mapping: BundleMapping | null;
}

export interface BundleMockIntegration {
  type: "mock";
  status: number;
  headers: Record<string, string>;
  body: string;
  mapping: BundleMapping | null;
}

export interface BundleServiceIntegration extends BundleStreaming {
  type: "service";
  service: string;
  payloadFormat: PayloadFormat;
  /** Raw format only: the path template sent to the service; null sends the route's own path. */
  path: string | null;
  timeoutMs: number;
  mapping: BundleMapping | null;
}

/** An AWS service action: the parsed ARN (REST) or a subtype (HTTP flavour), signed with the named secrets. */
export interface BundleAwsIntegration {
  type: "aws";
  /** The ARN as written; null for a subtype. */
  uri: string | null;
  /** The service: the signing name and the endpoint's first label (`s3`, `sqs`, `states` …). */
  service: string;
  /** The region; a subtype's `Region` parameter overrides it per request. */
  region: string;
  /** The ARN's subdomain (`bucket` in `bucket.s3`), or null. */
  subdomain: string | null;
  /** The ARN's form; null for a subtype. */
  form: "action" | "path" | null;
  /** The Action name, or the path template (`{param}`, `${stageVariables.x}`). */
  target: string;
  httpMethod: HttpMethod;
  subtype: AwsSubtype | null;
  /** A subtype's parameters: [name, HTTP-flavour value] in definition order. */
  subtypeParameters: [string, string][];
  /** Names of Worker secrets, never their values. */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string | null };
  /** Replaces the computed endpoint (an emulator, a test server); may use stage variables. */
  endpoint: string | null;
  timeoutMs: number;
  mapping: BundleMapping | null;
}

export interface BundleQueueIntegration {
  type: "queue";
  /** The Queues producer binding. */
  queue: string;
  batch: boolean;
  /** null: chosen by the request's Content-Type. */
  contentType: "json" | "text" | "bytes" | null;
  delaySeconds: number;
  envelope: boolean;
  mapping: BundleMapping | null;
}

export interface BundleR2Integration {
  type: "r2";
  /** The R2 bucket binding. */
  bucket: string;
  action: "object" | "list";
  /** The key template (object); null for a listing. */
  key: string | null;
  /** The listing's prefix template. */
  prefix: string;
  /** Objects stream both ways: nothing is mapped. */
  mapping: null;
}

export interface BundleWorkflowIntegration {
  type: "workflow";
  /** The Workflows binding. */
  workflow: string;
  action: "create" | "status";
  instanceId: string | null;
  mapping: BundleMapping | null;
}

export type BundleIntegration =
  | BundleHttpIntegration
  | BundleMockIntegration
  | BundleServiceIntegration
  | BundleAwsIntegration
  | BundleQueueIntegration
  | BundleR2Integration
  | BundleWorkflowIntegration;


/**
 * A stored bundle as this version of Portico reads it. Bundles are immutable and outlive releases: fields added
 * since a bundle was written are filled with the defaults that mean "not used", so an older bundle keeps serving
 * exactly as it did. (Its id still hashes its stored text; this only shapes the parsed copy.)
 */
export function upgradeBundle(stored: Bundle): Bundle {
  const b = stored as Partial<Bundle> & Pick<Bundle, "routes" | "stages" | "settings">;
  return {
    ...(b as Bundle),
    settings: {
      versionHeader: "x-portico-version",
      apiKeySource: "HEADER",
      rateLimitHeaders: "draft",
      cacheStatusHeader: "X-Cache",
      // Request hygiene, not behaviour anyone relies on: older bundles get today's bounds.
      jsonLimits: JSON_LIMIT_DEFAULTS,
      ...(b.settings as Partial<BundleSettings>),
    } as BundleSettings,
    stages: Object.fromEntries(
      Object.entries(b.stages).map(([name, s]) => [
        name,
        // Written before observability: no access log, and no part in traces (the client's headers pass as they did).
        { throttle: null, cache: null, accessLog: null, tracing: { enabled: false, serverTiming: false }, ...(s as Partial<BundleStage>) } as BundleStage,
      ]),
    ),
    authorizers: Object.fromEntries(Object.entries(b.authorizers ?? {}).map(([name, a]) => [name, upgradeAuthorizer(a)])),
    resourcePolicy: b.resourcePolicy ?? null,
    usagePlans: b.usagePlans ?? {},
    routes: b.routes.map((r) => {
      const route = {
        authorizer: null,
        apiKeyRequired: false,
        resourcePolicy: null,
        throttle: null,
        cache: null,
        forwardInternalHeaders: [],
        ...(r as Partial<BundleRoute>),
      } as BundleRoute;
      // Bundles written before mapping existed map nothing.
      return { ...route, integration: { ...route.integration, mapping: (route.integration as Partial<BundleIntegration>).mapping ?? null } as BundleIntegration };
    }),
  };
}

/**
 * Authorizers written before a field existed keep their meaning: a JWT authorizer with no audience accepted any
 * (now the explicit waiver), tokens had no lifetime bound, and SigV4 forwarded every header. Republishing the
 * definition applies today's rules (docs/deployments.md).
 */
function upgradeAuthorizer(stored: BundleAuthorizer): BundleAuthorizer {
  if (stored.type === "jwt") {
    const a = stored as Partial<BundleJwtAuthorizer> & Pick<BundleJwtAuthorizer, "audience">;
    return { ...stored, allowAnyAudience: a.allowAnyAudience ?? a.audience.length === 0, maxTokenLifetimeSeconds: a.maxTokenLifetimeSeconds ?? null };
  }
  if (stored.type === "sigv4") return { ...stored, forwardUnsignedHeaders: (stored as Partial<BundleSigV4Authorizer>).forwardUnsignedHeaders ?? true };
  // Custom authorizers written before resultCacheScope cache per route: the safe reading of a simple reply.
  if (stored.type === "custom") return { resultCacheScope: "route", contextToHeaders: {}, ...(stored as Partial<BundleCustomAuthorizer>) } as BundleAuthorizer;
  return stored;
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
