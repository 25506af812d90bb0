/**
 * The definition schema's stages: a stage's settings (access log and tracing among them) and its response cache.
 */
import { HTTP_METHODS } from "../types.ts";
import type { SchemaNode } from "./common.ts";

/** `#/$defs/stage`: a stage's settings (`stages`). */
export const stageSchema: SchemaNode = {
  type: "object",
  description: "A stage's settings. The stage serves whichever bundle version it points to.",
  additionalProperties: false,
  properties: {
    description: { type: "string", maxLength: 1024, description: "Free text for people." },
    variables: {
      type: "object",
      description: "Stage variables, used as `${stageVariables.name}` in URIs and header values.",
      propertyNames: { pattern: "^[A-Za-z0-9_]{1,64}$" },
      additionalProperties: { type: "string", maxLength: 2048, description: "The variable's value." },
    },
    throttle: { $ref: "#/$defs/throttle" },
    cache: { $ref: "#/$defs/stageCache" },
    accessLog: {
      type: "object",
      description:
        "The stage's access log (Amazon's access logging): one line per request, written to the Workers log stream that " +
        "`wrangler tail` and Workers Logs read. Never holds a token, an API key or a secret (docs/observability.md).",
      additionalProperties: false,
      properties: {
        format: {
          type: "string",
          minLength: 1,
          maxLength: 4096,
          description:
            "`json` (default: Portico's JSON line), `clf`, `xml` or `csv` (Amazon's presets), or a format of Amazon's " +
            "`$context` variables (`$context.requestId`, `$context.identity.sourceIp`, `$context.status`, " +
            "`$context.responseLatency` …), which must include `$context.requestId` or `$context.extendedRequestId`. " +
            "A format starting with `{` is JSON: variables inside quotes are escaped as text, bare ones written as JSON values.",
        },
      },
    },
    tracing: {
      type: "object",
      description: "Trace propagation (W3C `traceparent`/`tracestate`, Amazon's `X-Amzn-Trace-Id`) and Server-Timing.",
      additionalProperties: false,
      properties: {
        enabled: {
          type: "boolean",
          description:
            "Accept the caller's trace (a malformed `traceparent` is replaced, never passed on) or start one, and send it to " +
            "every backend with the gateway as the parent span. Default true; false passes the client's headers through untouched.",
        },
        serverTiming: {
          type: "boolean",
          description:
            "Send Server-Timing (one entry per pipeline step that did work) on every response. Default false: only requests " +
            "carrying the debug token (`x-portico-debug`, the PORTICO_DEBUG_TOKEN secret) get it.",
        },
      },
    },
  },
};

/** `#/$defs/stageCache`: a stage's response cache. */
export const stageCacheSchema: SchemaNode = {
  type: "object",
  description:
    "The stage's response cache (Amazon's stage cache): entries in Workers KV behind a per-location Cache API layer. " +
    "Behind an authorizer or API key the caller's identity is always in the key unless a route is marked public.",
  additionalProperties: false,
  properties: {
    enabled: { type: "boolean", description: "Cache this stage's cacheable routes. Default true when `cache` is given." },
    ttl: { type: "integer", minimum: 0, maximum: 3600, description: "Seconds an entry lives; 0 stores nothing. Default 300." },
    methods: { type: "array", items: { enum: [...HTTP_METHODS] }, description: "Methods whose responses are cached. Default GET and HEAD." },
    statuses: {
      type: "array",
      items: { type: ["integer", "string"], pattern: "^[1-5]xx$", minimum: 100, maximum: 599 },
      description: "Statuses stored: codes (`200`) or classes (`\"2xx\"`). Default `[\"2xx\"]`.",
    },
    requireAuthorization: {
      type: "boolean",
      description: "A client's `Cache-Control: max-age=0` refreshes an entry only when it may invalidate (see unauthorizedStrategy). Default true.",
    },
    unauthorizedStrategy: {
      enum: ["FAIL_WITH_403", "SUCCEED_WITH_RESPONSE_HEADER", "SUCCEED_WITHOUT_RESPONSE_HEADER"],
      description: "What an unauthorized `max-age=0` gets: 403, the cached response with a warning header (default), or the cached response.",
    },
    encryptionSecret: {
      type: "string",
      pattern: "^[A-Z_][A-Z0-9_]*$",
      description: "Name of a Worker secret: entries are encrypted at rest with AES-GCM under a key derived from it.",
    },
    maxEntryBytes: {
      type: "integer",
      minimum: 1,
      maximum: 26214400,
      description: "Largest body stored (KV allows 25 MiB); larger responses stream through uncached. Default 1048576.",
    },
  },
};
