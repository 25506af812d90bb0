/**
 * The API definition's JSON Schema, as data with a description on every field. It is the source of truth:
 * `npm run schema` writes it to `schema/portico-api.schema.json` for editors, and the loader checks
 * definitions against it with field-path errors (`check.ts`). Rules that need more than one field (route keys,
 * references between sections) live in the compiler.
 *
 * A later feature adds a section under `properties` (and a `$defs` entry) without reshaping the rest.
 */
import { AWS_SUBTYPES, GATEWAY_RESPONSE_TYPES, HTTP_METHODS } from "./types.ts";

export type SchemaNode = Record<string, unknown>;

const NAME = "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$";
const DOMAIN_HOST = "^(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$";
const stringMap = (description: string, valueDescription: string, maxLength = 2048): SchemaNode => ({
  type: "object",
  description,
  additionalProperties: { type: "string", maxLength, description: valueDescription },
});

const CONTENT_TYPE_KEY = "^[A-Za-z0-9!#$%&'*+.^_`|~-]+/[A-Za-z0-9!#$%&'*+.^_`|~-]+$";

const templates = (description: string): SchemaNode => ({
  type: "object",
  description,
  propertyNames: { pattern: CONTENT_TYPE_KEY },
  additionalProperties: {
    type: "string",
    description:
      "A Velocity (VTL) mapping template with Amazon's `$input`, `$context`, `$util` and `$stageVariables` (docs/templates.md); " +
      "at most 300 KB, Amazon's limit.",
  },
});

const contentHandling: SchemaNode = {
  enum: ["CONVERT_TO_TEXT", "CONVERT_TO_BINARY"],
  description:
    "Payload conversion (Amazon's contentHandling): `CONVERT_TO_TEXT` base64-encodes a binary payload, `CONVERT_TO_BINARY` " +
    "base64-decodes a text one; unset, binary payloads (by `settings.binaryMediaTypes`) pass through as they are.",
};

const RENDERED: Record<"http" | "service" | "mock" | "aws" | "queue" | "workflow", string> = {
  http: "is the body sent to the backend.",
  service: "is the event the handler receives.",
  mock: "must be JSON with a `statusCode`, which selects the response.",
  aws: "is the body of the signed request to the AWS service.",
  queue: "is the message (a JSON array of messages with `batch`).",
  workflow: "is the new instance's params (JSON).",
};

/** What an integration response's selection pattern is matched against, by integration. */
const SELECTED: Record<keyof typeof RENDERED, string> = {
  http: "backend status code",
  service: "error message of a handler that threw (a result that returned always takes `default`)",
  mock: "status code the request template chose",
  aws: "status code the AWS service answered",
  queue: "status code of the gateway's own answer (200)",
  workflow: "status code of the gateway's own answer (200; 404 for an unknown instance, 409 for a taken id)",
};

const mappingProperties = (target: "http" | "service" | "mock" | "aws" | "queue" | "workflow"): Record<string, SchemaNode> => ({
  requestTemplates: templates(
    "Request mapping templates by Content-Type (a request without one counts as `application/json`). The rendered template " + RENDERED[target],
  ),
  passthroughBehavior: {
    enum: ["WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER"],
    description:
      "A body whose Content-Type has no template: `WHEN_NO_MATCH` (default) passes it through unmapped; `WHEN_NO_TEMPLATES` " +
      "passes it only when no template is defined; `NEVER` refuses it. A refused body answers 415 Unsupported Media Type.",
  },
  ...(target === "mock" || target === "queue" || target === "workflow"
    ? {}
    : {
        contentHandling,
        requestParameters: target === "aws" ? awsRequestParameters : requestParameters(),
      }),
  responses: {
    type: "object",
    description:
      "Integration responses by selection pattern: `default`, or a regular expression (RE2 syntax) matched against the whole " +
      SELECTED[target] +
      ". The first pattern that matches wins, else `default`; none configured: the " +
      (target === "mock" ? "status and body pass through." : "status, Content-Type and body pass through."),
    additionalProperties: { $ref: "#/$defs/integrationResponse" },
  },
});

const requestParameters = (): SchemaNode => ({
  type: "object",
  description:
    "Parameter mapping onto the backend request (Amazon's requestParameters). REST flavour: `integration.request.header.<name>`, " +
    "`integration.request.querystring.<name>` or `integration.request.path.<name>` from `method.request.path|querystring|header." +
    "<name>`, `method.request.multivaluequerystring|multivalueheader.<name>`, `method.request.body[.<JSONPath>]`, `'literal'`, " +
    "`stageVariables.<name>` or `context.<name>`. HTTP flavour (http_proxy): `overwrite:`, `append:` or `remove:` on `header.<name>` " +
    "or `querystring.<name>`, or `overwrite:path`, from `$request.header|querystring|path|body.<…>`, `$request.path`, `$context.<name>`, " +
    "`$stageVariables.<name>` or text (`${…}` to join several).",
  propertyNames: { maxLength: 256 },
  additionalProperties: { type: "string", maxLength: 2048, description: "Where the value comes from." },
});

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

const awsRequestParameters: SchemaNode = {
  type: "object",
  description:
    "With a `uri` (REST): Amazon's parameter mapping (`integration.request.header|querystring|path.<name>` from `method.request.…`, " +
    "`'literal'`, `stageVariables.<name>`, `context.<name>`). With a `subtype` (HTTP APIs): the subtype's parameters by Amazon's names " +
    "(`QueueUrl`, `MessageBody`, `StateMachineArn`, `Input`, `Detail` …, and `Region`), each from `$request.header|querystring|path|body…`, " +
    "`$request.body`, `$context.<name>`, `$stageVariables.<name>` or text (`${…}` to join several).",
  propertyNames: { maxLength: 256 },
  additionalProperties: { type: "string", maxLength: 2048, description: "Where the value comes from." },
};

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

export const DEFINITION_SCHEMA: SchemaNode = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://portico.dev/schema/portico-api.schema.json",
  title: "Portico API definition",
  description: "An API served by Portico: its stages, routes and integrations.",
  type: "object",
  required: ["name", "stages", "routes"],
  additionalProperties: false,
  properties: {
    $schema: { type: "string", description: "Path or URL of this JSON Schema, for editor completion." },
    name: {
      type: "string",
      pattern: "^[a-z0-9][a-z0-9-]{0,62}$",
      description: "The API's name: lower-case letters, digits and hyphens. Names the API in stages, metrics and keys.",
    },
    flavor: {
      enum: ["rest", "http", "websocket"],
      description:
        "Which Amazon API Gateway behaviours to follow: `rest` (REST API: unknown route → 403 Missing Authentication " +
        "Token), `http` (HTTP API: unknown route → 404 Not Found, `$default` route) or `websocket` (WebSocket API: " +
        "clients connect at `/<stage>`, messages are routed by `routeSelectionExpression`). Default `rest`.",
    },
    routeSelectionExpression: {
      type: "string",
      minLength: 1,
      maxLength: 256,
      description:
        "WebSocket APIs: where a message's route key comes from — `$request.body.<field>` (dots for nested fields) or a " +
        "template such as `${request.body.type}:${request.body.action}`. A message that is not JSON, or has no such " +
        "field, goes to `$default`. Default `$request.body.action`.",
    },
    websocket: { $ref: "#/$defs/websocket" },
    description: { type: "string", maxLength: 1024, description: "Free text for people." },
    settings: { $ref: "#/$defs/settings" },
    stages: {
      type: "object",
      description: "Stages by name (`prod`, `dev`). The first path segment of a request names its stage: `/prod/pets`.",
      minProperties: 1,
      propertyNames: { pattern: NAME },
      additionalProperties: { $ref: "#/$defs/stage" },
    },
    domains: {
      type: "array",
      description: "Custom-domain mappings: a host (and optional base path) that serves one stage of this API.",
      items: { $ref: "#/$defs/domain" },
    },
    domainRouting: {
      type: "object",
      description:
        "Routing rules for custom domains, by host (Amazon's routing rules, June 2025): in the routing mode that uses them, " +
        "priority-ordered rules with header and base path conditions choose the API and stage, before the host's `domains` mappings.",
      propertyNames: { pattern: DOMAIN_HOST },
      additionalProperties: { $ref: "#/$defs/domainRouting" },
    },
    cors: { $ref: "#/$defs/cors" },
    models: {
      type: "object",
      description:
        "JSON Schemas (draft-04, -07 or 2020-12) by name, for request validation. A model may refer to another " +
        "with `{\"$ref\": \"#/models/Name\"}` or Amazon's `https://apigateway.amazonaws.com/restapis/<id>/models/Name`.",
      propertyNames: { pattern: "^[A-Za-z0-9]{1,64}$" },
      additionalProperties: { type: ["object", "boolean"], description: "A JSON Schema." },
    },
    gatewayResponses: {
      type: "object",
      description: "Overrides of the gateway's own error responses, by Amazon's response type.",
      // INVALID_PATH and STAGE_NOT_FOUND happen before any bundle is known, so no definition can override them.
      propertyNames: { enum: GATEWAY_RESPONSE_TYPES.filter((t) => t !== "INVALID_PATH" && t !== "STAGE_NOT_FOUND") },
      additionalProperties: { $ref: "#/$defs/gatewayResponse" },
    },
    authorizers: {
      type: "object",
      description: "Authorizers by name, referred to by routes' `authorizer`: JWT, custom (Lambda-style), SigV4 (AWS_IAM) or mTLS.",
      propertyNames: { pattern: NAME },
      additionalProperties: { $ref: "#/$defs/authorizer" },
    },
    resourcePolicy: { $ref: "#/$defs/resourcePolicy" },
    usagePlans: {
      type: "object",
      description:
        "Usage plans by name: per-API-key throttles and quotas on the stages they cover. Keys join plans through the " +
        "admin API (`portico keys plans`); a route must require an API key for its plan to apply.",
      propertyNames: { pattern: NAME },
      additionalProperties: { $ref: "#/$defs/usagePlan" },
    },
    routes: {
      type: "object",
      description:
        "Routes by key: `METHOD /path` where METHOD is GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS or ANY and the " +
        "path may hold `{param}` segments and a final greedy `{proxy+}`; `$default` (http flavour) catches the rest. " +
        "WebSocket APIs key routes by route key: `$connect`, `$disconnect`, `$default` and custom keys (`sendMessage`).",
      minProperties: 1,
      additionalProperties: { $ref: "#/$defs/route" },
    },
  },
  $defs: {
    settings: {
      type: "object",
      description: "API-wide settings.",
      additionalProperties: false,
      properties: {
        maxBodyBytes: {
          type: "integer",
          minimum: 1,
          maximum: 104857600,
          description: "Largest request body accepted; larger → 413. Default 10485760 (10 MB, Amazon's limit).",
        },
        requestIdHeader: {
          type: "string",
          pattern: "^[A-Za-z0-9-]+$",
          description: "Response header carrying the request id. Default `x-amzn-RequestId`.",
        },
        errorTypeHeader: {
          type: ["string", "boolean"],
          description: "Header naming a gateway error's type; `false` turns it off. Default `x-amzn-ErrorType`.",
        },
        versionHeader: {
          type: ["string", "boolean"],
          description:
            "Response header naming the bundle version (first 12 characters of its id) that served the request — " +
            "the stable or the canary version; `false` turns it off. Default `x-portico-version`.",
        },
        rateLimitHeaders: {
          enum: ["draft", "legacy", false],
          description:
            "Rate-limit headers on throttled and admitted responses: `draft` (IETF `RateLimit` and `RateLimit-Policy`, default), " +
            "`legacy` (`X-RateLimit-Limit`, `-Remaining`, `-Reset`) or `false` for none. `Retry-After` is always sent with a 429.",
        },
        cacheStatusHeader: {
          type: ["string", "boolean"],
          description: "Response header saying HIT, MISS or BYPASS on routes the cache serves; `false` turns it off. Default `X-Cache`.",
        },
        apiKeySource: {
          enum: ["HEADER", "AUTHORIZER"],
          description: "Where a route's API key comes from: the `x-api-key` header (default) or a custom authorizer's `usageIdentifierKey`.",
        },
        binaryMediaTypes: {
          type: "array",
          description:
            "Media types the API treats as binary (Amazon's binaryMediaTypes): `image/png`, `image/*`, `*/*`. A request body " +
            "whose Content-Type matches, and a response for a client whose Accept (its first type) matches, are binary. " +
            "As on Amazon, an entry with a wildcard on the left (`*/json`) matches nothing.",
          items: { type: "string", pattern: "^[^\\s/]+/[^\\s/]+$" },
        },
        quotas: {
          type: "object",
          description:
            "Amazon API Gateway's quotas that Amazon raises on request (`validate` enforces its defaults: 300 resources (REST) or routes " +
            "(HTTP) per API, 10 stages, 10 authorizers, 50 routing rules per domain), raised for this API.",
          additionalProperties: false,
          properties: {
            resourcesPerApi: { type: "integer", minimum: 1, maximum: 100000, description: "REST flavour: resources (distinct paths, every parent counted). Amazon's default 300." },
            routesPerApi: { type: "integer", minimum: 1, maximum: 100000, description: "HTTP flavour: routes. Amazon's default 300." },
            stagesPerApi: { type: "integer", minimum: 1, maximum: 10000, description: "Stages. Amazon's default 10." },
            authorizersPerApi: { type: "integer", minimum: 1, maximum: 10000, description: "Authorizers. Amazon's default 10." },
            routingRulesPerDomain: { type: "integer", minimum: 1, maximum: 100000, description: "Routing rules per custom domain. Amazon's default 50." },
          },
        },
        jsonLimits: {
          type: "object",
          description:
            "Bounds on a JSON body that a route validates, checked before the model sees it; past any of them → 400 Invalid request body. " +
            "Such bodies are also refused for duplicate keys, a byte-order mark and unpaired surrogate escapes (docs/definition.md).",
          additionalProperties: false,
          properties: {
            maxDepth: { type: "integer", minimum: 1, maximum: 1000, description: "Deepest nesting of objects and arrays. Default 128." },
            maxElements: {
              type: "integer",
              minimum: 1,
              maximum: 10000000,
              description: "Most values in one document: each object, array, string, number, boolean and null counts one. Default 100000.",
            },
            maxKeyLength: { type: "integer", minimum: 1, maximum: 1048576, description: "Longest object key, in characters. Default 1024." },
            maxPatternInputLength: {
              type: "integer",
              minimum: 1,
              maximum: 104857600,
              description:
                "Longest string a model's `pattern` (or a key `patternProperties`) is matched against; a longer one fails validation. Default 65536.",
            },
          },
        },
      },
    },
    stage: {
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
                "Send Server-Timing (one entry per pipeline stage that did work) on every response. Default false: only requests " +
                "carrying the debug token (`x-portico-debug`, the PORTICO_DEBUG_TOKEN secret) get it.",
            },
          },
        },
      },
    },
    stageCache: {
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
    },
    routeCache: {
      type: "object",
      description: "Per-route cache settings over the stage's.",
      additionalProperties: false,
      properties: {
        enabled: { type: "boolean", description: "Cache this route (default: the stage's setting)." },
        ttl: { type: "integer", minimum: 0, maximum: 3600, description: "Seconds, over the stage's ttl." },
        keys: {
          type: "array",
          items: { type: "string", pattern: "^(query\\.[^\\s]+|header\\.[A-Za-z0-9!#$%&'*+.^_`|~-]+)$" },
          description: "Cache-key parameters besides the method and full path (always in the key): `query.<name>`, `header.<name>`.",
        },
        public: {
          type: "boolean",
          description: "Share entries between callers even behind an authorizer or API key. Only for responses that are the same for everyone.",
        },
      },
    },
    throttle: {
      type: "object",
      description:
        "A token bucket: `rate` requests per second refill it up to `burst`. Every applicable bucket (account, stage, route, " +
        "usage plan, plan route) must admit a request, else 429 Too Many Requests with Retry-After.",
      required: ["rate", "burst"],
      additionalProperties: false,
      properties: {
        rate: { type: "number", minimum: 0.001, maximum: 1000000, description: "Steady requests per second (fractions allowed)." },
        burst: { type: "integer", minimum: 1, maximum: 1000000, description: "Bucket size: requests admitted at once after a quiet spell." },
        strict: {
          type: "boolean",
          description: "Ask the limiter on every request (exact, one Durable Object call each) instead of spending leased tokens. For low limits.",
        },
        shadow: {
          type: "boolean",
          description: "Evaluate but do not enforce: requests it would throttle pass with `x-portico-throttle-shadow` naming the limit.",
        },
      },
    },
    usagePlan: {
      type: "object",
      description: "A usage plan (Amazon's): throttle and quota per API key, on the stages it covers.",
      required: ["stages"],
      additionalProperties: false,
      properties: {
        description: { type: "string", maxLength: 1024, description: "Free text for people." },
        stages: { type: "array", minItems: 1, items: { type: "string", pattern: NAME }, description: "Stages of this API the plan covers." },
        throttle: { $ref: "#/$defs/throttle" },
        quota: {
          type: "object",
          description: "Requests per key per period (UTC), counted durably; over it → 429 Limit Exceeded.",
          required: ["limit", "period"],
          additionalProperties: false,
          properties: {
            limit: { type: "integer", minimum: 1, maximum: 2000000000, description: "Requests per period." },
            period: { enum: ["DAY", "WEEK", "MONTH"], description: "The period." },
            offset: {
              type: "integer",
              minimum: 0,
              maximum: 27,
              description: "Days into the period it starts: DAY must be 0; WEEK 0–6 (0 = Sunday); MONTH 0–27 (0 = the 1st).",
            },
          },
        },
        routeThrottles: {
          type: "object",
          description: "Per-route throttles inside the plan, by route key (`GET /pets/{id}`).",
          additionalProperties: { $ref: "#/$defs/throttle" },
        },
        failMode: {
          enum: ["open", "closed"],
          description: "When a limiter or quota object cannot answer in time: `open` admits (default), `closed` refuses with 429. Authorization never fails open.",
        },
      },
    },
    domain: {
      type: "object",
      description: "One custom-domain mapping.",
      required: ["host", "stage"],
      additionalProperties: false,
      properties: {
        host: {
          type: "string",
          pattern: "^(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$",
          description: "Host name, e.g. `api.example.com`.",
        },
        basePath: {
          type: "string",
          pattern: "^[A-Za-z0-9._~-]*$",
          description: "Optional first path segment that selects this mapping (`v1` → `https://host/v1/...`).",
        },
        stage: { type: "string", pattern: NAME, description: "The stage this host (and base path) serves." },
      },
    },
    domainRouting: {
      type: "object",
      description: "One custom domain's routing mode and routing rules (Amazon's names).",
      additionalProperties: false,
      properties: {
        routingMode: {
          enum: ["API_MAPPING_ONLY", "ROUTING_RULE_ONLY", "ROUTING_RULE_THEN_API_MAPPING"],
          description:
            "`API_MAPPING_ONLY` (default, as on Amazon): rules are not evaluated; `ROUTING_RULE_ONLY`: the first matching rule decides, " +
            "no match → 403 Forbidden; `ROUTING_RULE_THEN_API_MAPPING`: the first matching rule, else the host's `domains` mappings.",
        },
        rules: { type: "array", items: { $ref: "#/$defs/routingRule" }, description: "Routing rules, evaluated from the lowest priority value up." },
      },
    },
    routingRule: {
      type: "object",
      description: "A routing rule: when every condition matches, its action invokes a stage of an API.",
      required: ["priority", "actions"],
      additionalProperties: false,
      properties: {
        priority: { type: "integer", description: "1–1,000,000; evaluated lowest first; rules of a domain cannot share one." },
        conditions: {
          type: "array",
          description: "Up to two `matchHeaders` conditions and one `matchBasePaths` condition, all of which must match; none: a catch-all.",
          items: {
            type: "object",
            description: "One condition: `matchHeaders` or `matchBasePaths`.",
            additionalProperties: false,
            properties: {
              matchHeaders: {
                type: "object",
                description: "A header condition.",
                required: ["anyOf"],
                additionalProperties: false,
                properties: {
                  anyOf: {
                    type: "array",
                    description: "The header: `{header, valueGlob}` — the name case-insensitive, the glob case-sensitive over the whole value (`*` as prefix, suffix or both).",
                    items: {
                      type: "object",
                      description: "A header name and value glob.",
                      required: ["header", "valueGlob"],
                      additionalProperties: false,
                      properties: { header: { type: "string", description: "Header name." }, valueGlob: { type: "string", description: "Value glob." } },
                    },
                  },
                },
              },
              matchBasePaths: {
                type: "object",
                description: "A base path condition: the request's path starts with any of these.",
                required: ["anyOf"],
                additionalProperties: false,
                properties: { anyOf: { type: "array", items: { type: "string" }, description: "Base paths (`orders`, `v2/orders`)." } },
              },
            },
          },
        },
        actions: {
          type: "array",
          description: "Exactly one action.",
          items: {
            type: "object",
            description: "An action.",
            required: ["invokeApi"],
            additionalProperties: false,
            properties: {
              invokeApi: {
                type: "object",
                description: "Invoke a stage of an API.",
                required: ["stage"],
                additionalProperties: false,
                properties: {
                  apiId: { type: "string", pattern: "^[a-z0-9][a-z0-9-]{0,62}$", description: "The API (its Portico name); default this one." },
                  stage: { type: "string", pattern: NAME, description: "The stage." },
                  stripBasePath: { type: "boolean", description: "Remove the matched base path before routing. Default false." },
                },
              },
            },
          },
        },
      },
    },
    cors: {
      type: "object",
      description:
        "CORS for browsers: when set, the gateway answers preflight requests itself and adds CORS headers to every response.",
      required: ["allowOrigins"],
      additionalProperties: false,
      properties: {
        allowOrigins: {
          type: "array",
          minItems: 1,
          description: "Allowed origins, e.g. `https://app.example.com`, or `*`.",
          items: { type: "string" },
        },
        allowMethods: { type: "array", items: { type: "string" }, description: "Allowed methods; default all." },
        allowHeaders: { type: "array", items: { type: "string" }, description: "Allowed request headers; default those asked for." },
        exposeHeaders: { type: "array", items: { type: "string" }, description: "Response headers exposed to scripts." },
        maxAge: { type: "integer", minimum: 0, maximum: 86400, description: "Seconds a preflight answer may be cached." },
        allowCredentials: { type: "boolean", description: "Allow cookies and credentials (not with a `*` origin)." },
      },
    },
    gatewayResponse: {
      type: "object",
      description: "An override of one gateway response type.",
      additionalProperties: false,
      properties: {
        status: { type: "integer", minimum: 100, maximum: 599, description: "Status code." },
        headers: stringMap("Headers added to the response.", "Header value."),
        body: {
          type: "string",
          maxLength: 65536,
          description:
            "Body template. `$context.error.message`, `$context.error.messageString` (quoted), " +
            "`$context.error.responseType`, `$context.error.validationErrorString`, `$context.requestId`, " +
            "`$context.stage`, `$context.resourcePath` and `$stageVariables.name` are substituted.",
        },
      },
    },
    route: {
      type: "object",
      description: "One route: what serves it and what is checked first.",
      required: ["integration"],
      additionalProperties: false,
      properties: {
        description: { type: "string", maxLength: 1024, description: "Free text for people." },
        integration: { $ref: "#/$defs/integration" },
        validate: { $ref: "#/$defs/validate" },
        authorizer: {
          anyOf: [
            { type: "string", pattern: NAME },
            {
              type: "object",
              required: ["name"],
              additionalProperties: false,
              properties: {
                name: { type: "string", pattern: NAME, description: "The authorizer's name in `authorizers`." },
                scopes: {
                  type: "array",
                  items: { type: "string", minLength: 1 },
                  description: "JWT only: the token must carry at least one of these scopes (`scope` string or `scp` list), else 403.",
                },
              },
            },
          ],
          description: "The authorizer that must allow the request (a name, or `{name, scopes}`); none means no authorization.",
        },
        apiKeyRequired: {
          type: "boolean",
          description: "Require a valid, enabled API key covering this stage (`x-api-key`); else 403 Forbidden.",
        },
        resourcePolicy: { $ref: "#/$defs/resourcePolicy" },
        throttle: { $ref: "#/$defs/throttle" },
        cache: { $ref: "#/$defs/routeCache" },
        routeResponse: {
          type: "boolean",
          description:
            "WebSocket routes (not `$connect`/`$disconnect`): send the integration's response body back to the client " +
            "(Amazon's two-way route). Default false: the integration is called and its body dropped.",
        },
        forwardInternalHeaders: {
          type: "array",
          items: { type: "string", pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$" },
          description:
            "Other gateways' and frameworks' internal headers that Portico drops from client requests (`x-envoy-*`, " +
            "`x-middleware-*`, `X-HTTP-Method-Override`, `X-Original-URL`, `Forwarded` …, listed in docs/security.md), " +
            "forwarded on this route anyway: exact names. Portico's own `x-portico-*` headers and aliases of headers " +
            "the gateway sets are never forwarded. On a WebSocket API, only `$connect` (the upgrade request) has client headers.",
        },
      },
    },
    websocket: {
      type: "object",
      description: "WebSocket APIs: how connections are held (ConnectionHub Durable Objects), their limits, and who may use `@connections`.",
      additionalProperties: false,
      properties: {
        hubs: {
          type: "integer",
          minimum: 1,
          maximum: 1024,
          description:
            "ConnectionHub objects per stage; new connections are spread over them at random and each connection id names " +
            "its hub. More hubs: more messages per second per stage; a stage broadcast calls every hub. Default 16.",
        },
        limits: { $ref: "#/$defs/websocketLimits" },
        management: {
          type: "object",
          description:
            "The `@connections` management API (`POST|GET|DELETE /<stage>/@connections/<id>`, SigV4-signed as on AWS). " +
            "Without it `@connections` answers 403; the admin API offers the same operations with the admin token.",
          required: ["authorizer"],
          additionalProperties: false,
          properties: {
            authorizer: {
              type: "string",
              pattern: NAME,
              description: "A `sigv4` authorizer in `authorizers`: callers sign with one of its access keys (service `execute-api`).",
            },
          },
        },
      },
    },
    websocketLimits: {
      type: "object",
      description: "WebSocket limits. Defaults are Amazon's where Amazon has one; going over closes the connection or refuses, with Amazon's codes.",
      additionalProperties: false,
      properties: {
        maxMessageBytes: {
          type: "integer",
          minimum: 1,
          maximum: 1048576,
          description: "Largest message, either way; larger → close 1009 (from a client) or 413 (to @connections). Default 131072 (128 KB, Amazon's).",
        },
        maxFrameBytes: {
          type: "integer",
          minimum: 1,
          maximum: 1048576,
          description:
            "Amazon's 32 KB frame limit. Workers hands the hub whole messages, never frames, so Portico applies it to the " +
            "message: a message over it is closed with 1009, which is what one-frame clients (every browser) see on " +
            "Amazon. Raise it to `maxMessageBytes` to accept larger messages. Default 32768.",
        },
        idleTimeoutSeconds: { type: "integer", minimum: 10, maximum: 86400, description: "Close (1001) a connection that sent no message for this long. Default 600 (Amazon's 10 minutes)." },
        maxConnectionSeconds: { type: "integer", minimum: 10, maximum: 604800, description: "Close (1001) any connection this old. Default 7200 (Amazon's 2 hours)." },
        newConnectionsPerSecond: {
          type: "number",
          minimum: 0,
          maximum: 1000000,
          description: "New connections per second per stage, as the `$connect` route's throttle (429 on the upgrade); 0: no limit. Default 500 (Amazon's account default).",
        },
        messagesPerSecond: {
          type: "number",
          minimum: 0,
          maximum: 100000,
          description: "Messages per second per connection (a token bucket in the hub); over it the client gets a 429-style error frame and the message is dropped. 0: no limit. Default 100.",
        },
        messageBurst: { type: "integer", minimum: 1, maximum: 100000, description: "The per-connection bucket's size. Default 200." },
        maxGroupsPerConnection: { type: "integer", minimum: 0, maximum: 64, description: "Groups one connection may be in. Default 16." },
      },
    },
    resourcePolicy: {
      type: "object",
      description:
        "Who may call, by client IP (CF-Connecting-IP; v4, v6 and IPv4-mapped v6 CIDRs), country and ASN (from request.cf). " +
        "An explicit deny wins; with an allow list, only matching callers pass. API-wide and per route (both apply).",
      additionalProperties: false,
      properties: {
        allow: { $ref: "#/$defs/policyMatch" },
        deny: { $ref: "#/$defs/policyMatch" },
      },
    },
    policyMatch: {
      type: "object",
      description: "Callers matching any of these lists.",
      additionalProperties: false,
      properties: {
        ips: { type: "array", items: { type: "string", minLength: 2 }, description: "Addresses or CIDR ranges: `203.0.113.0/24`, `2001:db8::/32`." },
        countries: { type: "array", items: { type: "string", pattern: "^[A-Z]{2}$" }, description: "ISO 3166-1 alpha-2 codes (request.cf.country)." },
        asns: { type: "array", items: { type: "integer", minimum: 0 }, description: "Autonomous system numbers (request.cf.asn)." },
      },
    },
    authorizer: {
      description: "An authorizer.",
      oneOf: [
        { $ref: "#/$defs/jwtAuthorizer" },
        { $ref: "#/$defs/customAuthorizer" },
        { $ref: "#/$defs/sigv4Authorizer" },
        { $ref: "#/$defs/mtlsAuthorizer" },
      ],
    },
    jwtAuthorizer: {
      type: "object",
      description:
        "Verifies a JWT (Amazon's JWT authorizer): signature, issuer, audience, time claims, then route scopes. Keys from exactly one of " +
        "jwksUrl, jwks or secret. `audience` is required unless `allowAnyAudience: true` waives it.",
      required: ["type", "issuer"],
      additionalProperties: false,
      properties: {
        type: { const: "jwt", description: "The authorizer type." },
        issuer: { type: "string", minLength: 1, description: "Required `iss` value." },
        audience: {
          type: ["string", "array"],
          items: { type: "string" },
          description: "Accepted `aud` value(s); the token must name at least one (or, with no `aud`, its `client_id`). Required unless allowAnyAudience.",
        },
        allowAnyAudience: {
          type: "boolean",
          description:
            "The explicit waiver of the audience check: any token the issuer signs passes, whatever application it was issued for. " +
            "Only without `audience`; meant for issuers that serve this API alone.",
        },
        maxTokenLifetimeSeconds: {
          type: "integer",
          minimum: 60,
          maximum: 31536000,
          description: "Longest time from now to a token's `exp` (plus clock skew); a token that expires further ahead is refused (401). Default 86400.",
        },
        jwksUrl: {
          type: "string",
          pattern: "^https?://",
          description:
            "JWKS endpoint (https; http only with PORTICO_LOCAL_DEV), cached per its Cache-Control within the bounds below; the body is read up to 512 KiB.",
        },
        jwks: {
          type: "object",
          required: ["keys"],
          description: "Inline JWKS (public keys only).",
          properties: { keys: { type: "array", minItems: 1, items: { type: "object" }, description: "JSON Web Keys." } },
        },
        secret: {
          type: "string",
          pattern: "^[A-Z_][A-Z0-9_]*$",
          description: "Name of a Worker secret holding an HMAC key (HS256/384/512). The secret's value never enters the bundle.",
        },
        algorithms: {
          type: "array",
          items: { enum: ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "HS256", "HS384", "HS512"] },
          description: "Narrow the algorithms the keys allow (never `none`; never HMAC with a public key).",
        },
        identitySource: {
          type: "string",
          pattern: "^\\$request\\.(header|querystring|cookie)\\.[A-Za-z0-9._~!#$%&'*+^`|-]+$",
          description: "Where the token is: default `$request.header.Authorization` (Bearer).",
        },
        clockSkewSeconds: { type: "integer", minimum: 0, maximum: 300, description: "Leeway for exp and nbf. Default 30." },
        requiredClaims: { type: "array", items: { type: "string" }, description: "Claims that must be present." },
        claimsToHeaders: {
          type: "object",
          description: "Backend request headers set from claims: header name → claim name (e.g. `x-user-id: sub`).",
          additionalProperties: { type: "string", description: "A claim name." },
        },
        jwksMinCacheSeconds: { type: "integer", minimum: 0, maximum: 86400, description: "Shortest time a JWKS is kept, whatever its Cache-Control says. Default 60." },
        jwksMaxCacheSeconds: {
          type: "integer",
          minimum: 60,
          maximum: 604800,
          description:
            "Longest time a fetched JWKS is trusted. Past it, while the endpoint cannot be reached, its keys stop verifying (401, counted as failClosed). Default 86400.",
        },
        jwksRefetchSeconds: { type: "integer", minimum: 1, maximum: 3600, description: "An unknown `kid` refetches the JWKS at most this often. Default 30." },
        jwksTimeoutMs: { type: "integer", minimum: 100, maximum: 30000, description: "Longest wait for the JWKS endpoint. Default 3000." },
      },
    },
    customAuthorizer: {
      type: "object",
      description:
        "Amazon's Lambda authorizer: another Worker (service binding) or an HTTPS endpoint decides, replying with a policy " +
        "(principalId, policyDocument, context, usageIdentifierKey) or a simple `{isAuthorized, context}`. Results are cached by identity-source values " +
        "(and, for simple replies, the route).",
      required: ["type"],
      additionalProperties: false,
      properties: {
        type: { const: "custom", description: "The authorizer type." },
        mode: { enum: ["token", "request"], description: "`token`: one header is sent (Amazon TOKEN); `request`: the request's identity sources (REQUEST). Default token." },
        identitySource: {
          anyOf: [
            { type: "string", pattern: "^\\$(request\\.(header|querystring)\\.|stageVariables\\.|context\\.)[A-Za-z0-9._~!#$%&'*+^`|-]+$" },
            { type: "array", items: { type: "string", pattern: "^\\$(request\\.(header|querystring)\\.|stageVariables\\.|context\\.)[A-Za-z0-9._~!#$%&'*+^`|-]+$" } },
          ],
          description: "Identity sources: `$request.header.X`, `$request.querystring.X`, `$stageVariables.X`, `$context.X`. Missing → 401 without calling the authorizer. Default `$request.header.Authorization`.",
        },
        validationExpression: {
          type: "string",
          maxLength: 1024,
          description:
            "token mode: a regular expression the whole token must match, else 401 without calling. Runs on RE2 (linear time) with JavaScript's " +
            "meaning; lookaround and backreferences are refused. Tokens over 16 KiB do not match.",
        },
        service: { type: "string", pattern: "^[A-Z_][A-Z0-9_]*$", description: "A service binding to the Worker that decides." },
        url: {
          type: "string",
          pattern: "^https?://",
          description: "Or an endpoint that decides (the event is POSTed as JSON; https, http only with PORTICO_LOCAL_DEV; the reply is read up to 1 MiB).",
        },
        responseFormat: { enum: ["policy", "simple"], description: "`policy` (IAM policy document, default) or `simple` (`{isAuthorized, context}`)." },
        resultTtlSeconds: { type: "integer", minimum: 0, maximum: 3600, description: "How long a decision is cached by identity-source values; 0 disables. Default 300." },
        resultCacheScope: {
          enum: ["route", "shared"],
          description:
            "simple format: `route` (default) caches a decision per route, so a yes for one route is never reused for another; " +
            "`shared` is Amazon's behaviour — one cached decision for every route using this authorizer (`portico validate` warns). " +
            "Policy replies are cached across routes either way and checked against each request's ARN.",
        },
        contextToHeaders: {
          type: "object",
          description:
            "Backend request headers set from the decision's context: header name → context key (`principalId` for the principal). " +
            "They overwrite what the client sent under those names; a missing key removes the header.",
          additionalProperties: { type: "string", description: "A context key." },
        },
        timeoutMs: { type: "integer", minimum: 100, maximum: 30000, description: "Longest wait for the decision; then 500, never allow. Default 10000." },
      },
    },
    sigv4Authorizer: {
      type: "object",
      description: "Amazon's AWS_IAM: verifies AWS Signature Version 4 (header or presigned query), within 5 minutes of the signer's clock.",
      required: ["type", "credentials"],
      additionalProperties: false,
      properties: {
        type: { const: "sigv4", description: "The authorizer type." },
        service: { type: "string", pattern: "^[a-z0-9-]+$", description: "Service in the credential scope. Default `execute-api`." },
        region: { type: "string", pattern: "^[a-z0-9-]+$", description: "Region in the credential scope. Default `us-east-1`." },
        credentials: {
          type: "object",
          minProperties: 1,
          description: "Access key id → name of the Worker secret holding its secret access key.",
          propertyNames: { pattern: "^[A-Z0-9]{16,128}$" },
          additionalProperties: { type: "string", pattern: "^[A-Z_][A-Z0-9_]*$", description: "A Worker secret's name." },
        },
        forwardUnsignedHeaders: {
          type: "boolean",
          description:
            "Send the backend the request headers the signature does not cover (SignedHeaders). Default false: they are dropped, so a " +
            "header added in transit cannot pass as part of a signed request.",
        },
      },
    },
    mtlsAuthorizer: {
      type: "object",
      description: "Requires a client certificate verified by Cloudflare (request.cf.tlsClientAuth), optionally from given issuers, subjects or fingerprints.",
      required: ["type"],
      additionalProperties: false,
      properties: {
        type: { const: "mtls", description: "The authorizer type." },
        issuers: { type: "array", items: { type: "string" }, description: "Accepted issuer DNs (exact)." },
        subjects: {
          type: "array",
          items: { type: "string" },
          description: "Accepted subject DNs: exact, or a regular expression between slashes (`/^CN=partner-.*$/`, run on RE2).",
        },
        fingerprints: { type: "array", items: { type: "string", pattern: "^[0-9a-fA-F]{64}$" }, description: "Accepted SHA-256 certificate fingerprints." },
      },
    },
    validate: {
      type: "object",
      description:
        "Request validation (Amazon's request validator): required parameters are checked first, then the body; " +
        "failures answer 400 and the backend is not called.",
      additionalProperties: false,
      properties: {
        body: {
          anyOf: [
            { type: "string", pattern: "^[A-Za-z0-9]{1,64}$" },
            { type: "object" },
          ],
          description: "A model name from `models`, or an inline JSON Schema, for the JSON request body.",
        },
        headers: { type: "array", items: { type: "string", pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$" }, description: "Required headers." },
        path: { type: "array", items: { type: "string" }, description: "Required path parameters." },
        query: { type: "array", items: { type: "string", minLength: 1 }, description: "Required query-string parameters." },
      },
    },
    integration: {
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
    },
    httpProxyIntegration: httpTransport(
      "http_proxy",
      "Pass the request through to an HTTP backend and its response back, streamed (Amazon's HTTP_PROXY).",
    ),
    httpIntegration: httpTransport(
      "http",
      "Call an HTTP backend with a request the gateway builds (Amazon's HTTP, non-proxy, without mapping templates): " +
        "the client's body (with its Content-Type) and the configured headers, not the client's other headers or query " +
        "string. The client receives the backend's status, Content-Type and body; other backend headers are dropped.",
    ),
    mockIntegration: {
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
    },
    integrationResponse: {
      type: "object",
      description: "One integration response (Amazon's IntegrationResponse): the method response a selected backend answer becomes.",
      required: ["statusCode"],
      additionalProperties: false,
      properties: {
        statusCode: {
          type: ["integer", "string"],
          pattern: "^[2-5][0-9][0-9]$",
          minimum: 200,
          maximum: 599,
          description: "The status code the client gets (a template may override it with `$context.responseOverride.status`).",
        },
        responseTemplates: templates(
          "Response mapping templates by the client's Accept type (its first media type; `application/json` when absent); " +
            "no match uses the first template; none passes the body through.",
        ),
        responseParameters: {
          type: "object",
          description:
            "Response headers (`method.response.header.<name>`) from `integration.response.header.<name>`, " +
            "`integration.response.multivalueheader.<name>`, `integration.response.body[.<JSONPath>]`, `'literal'`, " +
            "`stageVariables.<name>` or `context.<name>`.",
          propertyNames: { pattern: "^method\\.response\\.header\\.[A-Za-z0-9!#$%&'*+.^_`|~-]+$" },
          additionalProperties: { type: "string", maxLength: 2048, description: "Where the value comes from." },
        },
        contentHandling,
      },
    },
    serviceIntegration: {
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
    },
    awsIntegration: {
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
    },
    queueIntegration: {
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
    },
    r2Integration: {
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
    },
    workflowIntegration: {
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
    },
  },
};
