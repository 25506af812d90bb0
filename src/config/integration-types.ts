/**
 * The definition's integrations, as a user writes them (`routes.<key>.integration`): one interface per kind, with
 * Amazon's names for the mapping fields so an import is a copy. `schema/integrations.ts` and `schema/mapping.ts` are
 * the source of truth for descriptions; these types mirror them.
 */
import type { HttpMethod } from "./http-methods.ts";

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
