/**
 * The bundle's integrations: each kind as the compiler resolves it (compile-bundle.ts, compile-integrations.ts),
 * every default filled in. The stage that serves a route builds its executor from these (src/integrations/).
 */
import type { HttpMethod } from "./http-methods.ts";
import type { AwsSubtype, ContentHandling, PassthroughBehavior, PayloadFormat, ResponseTransferMode } from "./integration-types.ts";

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
