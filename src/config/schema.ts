/**
 * The API definition's JSON Schema, as data with a description on every field. It is the source of truth:
 * `npm run schema` writes it to `schema/portico-api.schema.json` for editors, and the loader checks
 * definitions against it with field-path errors (`check.ts`). Rules that need more than one field (route keys,
 * references between sections) live in the compiler.
 *
 * A later feature adds a section under `properties` (and a `$defs` entry) without reshaping the rest.
 */
import { GATEWAY_RESPONSE_TYPES, HTTP_METHODS } from "./types.ts";

export type SchemaNode = Record<string, unknown>;

const NAME = "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$";
const stringMap = (description: string, valueDescription: string, maxLength = 2048): SchemaNode => ({
  type: "object",
  description,
  additionalProperties: { type: "string", maxLength, description: valueDescription },
});

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
        "for the route's path parameters (substituted as sent, never decoded). The client's query string is appended.",
    },
    method: { enum: [...HTTP_METHODS], description: "Method sent to the backend; default: the client's method." },
    timeoutMs: {
      type: "integer",
      minimum: 50,
      maximum: 300000,
      description: "Time to the backend's response headers before 504 Endpoint request timed out. Default 29000.",
    },
    headers: stringMap(
      "Headers set on the backend request (replacing the client's). Values may use `${stageVariables.name}` and `{param}`.",
      "Header value.",
    ),
    service: {
      type: "string",
      pattern: "^[A-Z_][A-Z0-9_]*$",
      description:
        "Send through this service binding instead of the public network (Amazon's private integration); " +
        "the URI's host and path are passed to the bound Worker.",
    },
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
      enum: ["rest", "http"],
      description:
        "Which Amazon API Gateway behaviours to follow: `rest` (REST API: unknown route → 403 Missing Authentication " +
        "Token) or `http` (HTTP API: unknown route → 404 Not Found, `$default` route). Default `rest`.",
    },
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
      propertyNames: { enum: [...GATEWAY_RESPONSE_TYPES] },
      additionalProperties: { $ref: "#/$defs/gatewayResponse" },
    },
    routes: {
      type: "object",
      description:
        "Routes by key: `METHOD /path` where METHOD is GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS or ANY and the " +
        "path may hold `{param}` segments and a final greedy `{proxy+}`; `$default` (http flavour) catches the rest.",
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
        binaryMediaTypes: {
          type: "array",
          description: "Media types treated as binary (e.g. `image/png`, `image/*`, `*/*`) for Lambda-style payloads.",
          items: { type: "string", pattern: "^[^\\s/]+/[^\\s/]+$" },
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
      ],
    },
    httpProxyIntegration: httpTransport(
      "http_proxy",
      "Pass the request through to an HTTP backend and its response back, streamed (Amazon's HTTP_PROXY).",
    ),
    httpIntegration: httpTransport(
      "http",
      "Call an HTTP backend with a mapped request and map its response (Amazon's HTTP, non-proxy).",
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
          enum: ["raw", "1.0", "2.0"],
          description: "`raw` forwards the HTTP request; `1.0` / `2.0` send Amazon's Lambda proxy event. Default `raw`.",
        },
        path: {
          type: "string",
          pattern: "^/",
          description: "Raw format only: path sent to the service, may use `{param}`; default the route's own path.",
        },
        timeoutMs: { type: "integer", minimum: 50, maximum: 300000, description: "Default 29000." },
      },
    },
  },
};
