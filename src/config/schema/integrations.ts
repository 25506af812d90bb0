/**
 * The definition schema's integrations: what serves a route, one `$defs` entry per kind.
 */
import { HTTP_METHODS } from "../types.ts";
import { AWS_SUBTYPES } from "../integration-types.ts";
import { stringMap, type SchemaNode } from "./common.ts";
import { mappingProperties, requestParameters } from "./mapping.ts";

/** Response streaming (Amazon's responseTransferMode), on proxy integrations. */
const streamingProperties: Record<string, SchemaNode> = {
  responseTransferMode: {
    enum: ["BUFFERED", "STREAM"],
    description:
      "Amazon's response transfer mode. `STREAM`: the response reaches the client as the backend produces it (Lambda-style " +
      "handlers answer in Lambda's streaming format: a JSON prelude, eight NUL bytes, the body), for at most 15 minutes and with " +
      "`streamIdleTimeoutMs` between chunks; the route is never cached and has no response templates. REST flavour only (Amazon's rule). Default `BUFFERED`.",
  },
  streamIdleTimeoutMs: {
    type: "integer",
    minimum: 50,
    maximum: 300000,
    description: "STREAM only: the longest pause between two chunks of the response before it is cut off. Default 300000 (Amazon's idle timeout for regional endpoints).",
  },
};

/** The integration timeout; up to 15 minutes when the response streams (Amazon's rule). */
const TIMEOUT_DESCRIPTION = "Default 29000; at most 300000, or 900000 with responseTransferMode STREAM (then it bounds the wait for the status and headers).";

/** The http and http_proxy integrations: one transport, with mapping (http) or streaming and HTTP-flavour parameters (http_proxy). */
const httpTransport = (type: "http_proxy" | "http", description: string): SchemaNode => ({
  type: "object",
  description,
  required: ["type", "uri"],
  additionalProperties: false,
  properties: {
    type: { const: type, description: "The integration type." },
    uri: {
      type: "string",
      minLength: 1,
      maxLength: 2048,
      description:
        "Backend URL (http or https). May use `${stageVariables.name}` anywhere and `{param}` / `{proxy}` " +
        "for the route's path parameters in the path (substituted as sent, never decoded; never in the host). " +
        (type === "http_proxy" ? "The client's query string is appended. " : "The client's query string is not sent (Amazon's HTTP integration). ") +
        "Refused, when written and when a stage variable renders it: credentials (`user@host`), cloud metadata " +
        "and link-local addresses, and loopback or private-network hosts unless the Worker runs with PORTICO_LOCAL_DEV (docs/security.md).",
    },
    method: { enum: [...HTTP_METHODS], description: "Method sent to the backend; default: the client's method." },
    timeoutMs: {
      type: "integer",
      minimum: 50,
      maximum: 900000,
      description: "Time to the backend's response headers before 504 Endpoint request timed out. " + TIMEOUT_DESCRIPTION,
    },
    headers: stringMap(
      type === "http_proxy"
        ? "Headers set on the backend request (replacing the client's). Values may use `${stageVariables.name}` and `{param}`."
        : "Headers set on the backend request, which otherwise carries only the body's Content-Type, `Accept: application/json` " +
            "and X-Forwarded-For/-Proto. Values may use `${stageVariables.name}` and `{param}`.",
      "Header value.",
    ),
    service: {
      type: "string",
      pattern: "^[A-Z_][A-Z0-9_]*$",
      description:
        "Send through this service binding instead of the public network (Amazon's private integration); " +
        "the URI's host and path are passed to the bound Worker.",
    },
    connectionType: {
      enum: ["INTERNET", "VPC_LINK"],
      description:
        "Amazon's connection type. `VPC_LINK`: a private integration through the Worker binding `connectionId` names (a service binding, " +
        "or a Workers VPC service binding); on HTTP APIs the stage is prepended to the path sent, as Amazon does, unless `overwrite:path` " +
        "maps it (then the URI gives only the origin). Default `INTERNET`.",
    },
    connectionId: {
      type: "string",
      pattern: "^[A-Z_][A-Z0-9_]*$",
      description: "With `connectionType: VPC_LINK`: the binding's name in wrangler.toml (`[[services]]` or `[[vpc_services]]`).",
    },
    ...(type === "http"
      ? mappingProperties("http")
      : {
          ...streamingProperties,
          requestParameters: requestParameters(),
          responseParameters: {
            type: "object",
            description:
              "HTTP flavour only: response parameter mapping by backend status code (Amazon's HTTP API responseParameters): " +
              "`overwrite:statuscode`, or `append:`/`overwrite:`/`remove:` on `header.<name>`, from `$response.header.<name>`, " +
              "`$response.body.<JSONPath>`, `$context.<name>`, `$stageVariables.<name>` or text.",
            propertyNames: { pattern: "^[1-5][0-9][0-9]$" },
            additionalProperties: {
              type: "object",
              description: "The mapping for that status code: parameter → where its value comes from.",
              additionalProperties: { type: "string", maxLength: 2048, description: "Where the value comes from." },
            },
          },
        }),
  },
});

/** `#/$defs/integration`: what serves a route: one of the integration kinds. */
export const integrationSchema: SchemaNode = {
  description: "What serves the route.",
  oneOf: [
    { $ref: "#/$defs/httpProxyIntegration" },
    { $ref: "#/$defs/httpIntegration" },
    { $ref: "#/$defs/mockIntegration" },
    { $ref: "#/$defs/serviceIntegration" },
    { $ref: "#/$defs/awsIntegration" },
    { $ref: "#/$defs/queueIntegration" },
    { $ref: "#/$defs/r2Integration" },
    { $ref: "#/$defs/workflowIntegration" },
  ],
};

/** `#/$defs/httpProxyIntegration`: Amazon's HTTP_PROXY. */
export const httpProxyIntegrationSchema = httpTransport(
  "http_proxy",
  "Pass the request through to an HTTP backend and its response back, streamed (Amazon's HTTP_PROXY).",
);

/** `#/$defs/httpIntegration`: Amazon's HTTP (non-proxy). */
export const httpIntegrationSchema = httpTransport(
  "http",
  "Call an HTTP backend with a request the gateway builds (Amazon's HTTP, non-proxy, without mapping templates): " +
    "the client's body (with its Content-Type) and the configured headers, not the client's other headers or query " +
    "string. The client receives the backend's status, Content-Type and body; other backend headers are dropped.",
);

/** `#/$defs/mockIntegration`: Amazon's MOCK. */
export const mockIntegrationSchema: SchemaNode = {
  type: "object",
  description: "Answer from the gateway itself (Amazon's MOCK).",
  required: ["type"],
  additionalProperties: false,
  properties: {
    type: { const: "mock", description: "The integration type." },
    status: { type: "integer", minimum: 100, maximum: 599, description: "Status code; default 200." },
    headers: stringMap("Response headers.", "Header value."),
    body: {
      type: ["string", "object", "array"],
      description: "Response body: a string as is, or JSON (then Content-Type defaults to application/json).",
    },
    ...mappingProperties("mock"),
  },
};

/** `#/$defs/serviceIntegration`: another Worker through a service binding (Lambda-style events optional). */
export const serviceIntegrationSchema: SchemaNode = {
  type: "object",
  description:
    "Another Worker through a service binding: the raw request, or Amazon's Lambda proxy event and reply " +
    "(`payloadFormat` 1.0 or 2.0) so Lambda-style handlers port unchanged.",
  required: ["type", "service"],
  additionalProperties: false,
  properties: {
    type: { const: "service", description: "The integration type." },
    service: { type: "string", pattern: "^[A-Z_][A-Z0-9_]*$", description: "The service binding's name in wrangler.toml." },
    payloadFormat: {
      enum: ["raw", "1.0", "2.0", "custom"],
      description:
        "`raw` forwards the HTTP request; `1.0` / `2.0` send Amazon's Lambda proxy event; `custom` is Amazon's Lambda custom " +
        "(non-proxy) integration: the mapped request body is the event, the handler's result the integration response. Default `raw`.",
    },
    path: {
      type: "string",
      pattern: "^/",
      description: "Raw format only: path sent to the service, may use `{param}`; default the route's own path.",
    },
    timeoutMs: { type: "integer", minimum: 50, maximum: 900000, description: TIMEOUT_DESCRIPTION },
    ...streamingProperties,
    ...mappingProperties("service"),
  },
};

/** `#/$defs/awsIntegration`: an AWS service action, SigV4-signed (Amazon's AWS integration). */
export const awsIntegrationSchema: SchemaNode = {
  type: "object",
  description:
    "An AWS service action, signed with SigV4 (Amazon's AWS integration): `uri` in Amazon's ARN form with request templates and " +
    "integration responses (REST), or a `subtype` with its named parameters (HTTP APIs). Credentials are Worker secrets, named here.",
  required: ["type", "credentials"],
  additionalProperties: false,
  properties: {
    type: { const: "aws", description: "The integration type." },
    uri: {
      type: "string",
      maxLength: 2048,
      pattern: "^arn:aws(-cn|-us-gov)?:apigateway:[a-z0-9-]+:([A-Za-z0-9.-]+\\.)?[a-z0-9-]+:(action|path)/.+$",
      description:
        "Amazon's form: `arn:aws:apigateway:{region}:{service}:action/{Action}` (query-protocol services get `?Action=`, JSON-protocol " +
        "ones an `X-Amz-Target`) or `arn:aws:apigateway:{region}:{service}:path/{path}` (S3: `s3:path/{bucket}/{key}`, path style; " +
        "`{bucket}.s3:path/{key}` virtual-host style). The path may use `{param}` (route or mapped path parameters) and `${stageVariables.name}`.",
    },
    httpMethod: { enum: [...HTTP_METHODS], description: "The method of the request to the service (Amazon's integration httpMethod). Default POST." },
    subtype: {
      enum: [...AWS_SUBTYPES],
      description: "HTTP APIs: Amazon's integration subtype. Its parameters are `requestParameters` by Amazon's names (QueueUrl, MessageBody …).",
    },
    region: { type: "string", pattern: "^[a-z]{2}(-[a-z]+)+-[0-9]$", description: "A subtype's region, unless its `Region` parameter sets one." },
    credentials: {
      type: "object",
      description: "The Worker secrets (`wrangler secret put`) holding the AWS credentials: their names, never their values.",
      required: ["accessKeyId", "secretAccessKey"],
      additionalProperties: false,
      properties: {
        accessKeyId: { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$", description: "The secret holding the access key id." },
        secretAccessKey: { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$", description: "The secret holding the secret access key." },
        sessionToken: { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$", description: "The secret holding a session token (temporary credentials)." },
      },
    },
    endpoint: {
      type: "string",
      minLength: 1,
      maxLength: 2048,
      description:
        "Replaces the endpoint AWS's rules give (`https://{service}.{region}.amazonaws.com`, `https://s3.{region}.amazonaws.com`): " +
        "an emulator or a test server, http(s), may use `${stageVariables.name}`. The outbound rules apply (loopback only with PORTICO_LOCAL_DEV).",
    },
    timeoutMs: { type: "integer", minimum: 50, maximum: 300000, description: "Time to the service's response headers before 504. Default 29000." },
    ...mappingProperties("aws"),
  },
};

/** `#/$defs/queueIntegration`: a Cloudflare Queue (the SQS analogue). */
export const queueIntegrationSchema: SchemaNode = {
  type: "object",
  description:
    "Send the request to a Cloudflare Queue (a Queues producer binding: the SQS analogue). Answers SQS's shape (`MessageId`, " +
    "`MD5OfMessageBody`); a message over 128 KB (or a batch over 100 messages or 256 KB) is refused with 413 before anything is sent.",
  required: ["type", "queue"],
  additionalProperties: false,
  properties: {
    type: { const: "queue", description: "The integration type." },
    queue: { type: "string", pattern: "^[A-Z_][A-Z0-9_]*$", description: "The queue producer binding's name in wrangler.toml (`[[queues.producers]]`)." },
    batch: { type: "boolean", description: "The body is a JSON array: each element is one message, sent as one batch (SendMessageBatch's answer)." },
    contentType: {
      enum: ["json", "text", "bytes"],
      description: "How messages are sent (Queues' content types). Default: by the request's Content-Type — JSON as `json`, text as `text`, anything else as `bytes`.",
    },
    delaySeconds: { type: "integer", minimum: 0, maximum: 43200, description: "Delay before delivery, in seconds (Queues allows 12 hours). Default 0." },
    envelope: {
      type: "boolean",
      description: "Send `{messageId, requestId, body}` instead of the body alone, so the consumer sees the MessageId the client was given.",
    },
    ...mappingProperties("queue"),
  },
};

/** `#/$defs/r2Integration`: objects in an R2 bucket (the S3 analogue). */
export const r2IntegrationSchema: SchemaNode = {
  type: "object",
  description:
    "Objects in an R2 bucket (the S3 analogue), streamed both ways: GET (with Range and conditional headers), HEAD, PUT and DELETE " +
    "by key, or a listing (`action: list`).",
  required: ["type", "bucket"],
  additionalProperties: false,
  properties: {
    type: { const: "r2", description: "The integration type." },
    bucket: { type: "string", pattern: "^[A-Z_][A-Z0-9_]*$", description: "The R2 bucket binding's name in wrangler.toml (`[[r2_buckets]]`)." },
    action: {
      enum: ["object", "list"],
      description: "`object` (default): the route's method on one object (GET, HEAD, PUT, DELETE); `list`: the keys under `prefix` (GET).",
    },
    key: {
      type: "string",
      minLength: 1,
      maxLength: 1024,
      description: "The object's key: `{param}` (decoded, e.g. `photos/{key}`) and `${stageVariables.name}`. Required for `object`.",
    },
    prefix: {
      type: "string",
      maxLength: 1024,
      description: "`list`: the prefix listed, may use `{param}` and `${stageVariables.name}`; the client's `prefix` query parameter is appended.",
    },
  },
};

/** `#/$defs/workflowIntegration`: a Cloudflare Workflow (the Step Functions analogue). */
export const workflowIntegrationSchema: SchemaNode = {
  type: "object",
  description: "A Cloudflare Workflow (the Step Functions analogue): start an instance with the request as its params, or read an instance's status.",
  required: ["type", "workflow"],
  additionalProperties: false,
  properties: {
    type: { const: "workflow", description: "The integration type." },
    workflow: { type: "string", pattern: "^[A-Z_][A-Z0-9_]*$", description: "The Workflow binding's name in wrangler.toml (`[[workflows]]`)." },
    action: { enum: ["create", "status"], description: "`create` (default): start an instance; `status`: read one." },
    instanceId: {
      type: "string",
      minLength: 1,
      maxLength: 256,
      description: "`status`: the instance, e.g. `{id}`; `create`: an id for the new instance (default: a new one). May use `{param}` and `${stageVariables.name}`.",
    },
    ...mappingProperties("workflow"),
  },
};
