/**
 * API-wide sections of the definition's schema: `settings`, `cors` and `gatewayResponses`.
 */
import { stringMap, type SchemaNode } from "./common.ts";

/** `#/$defs/settings`: API-wide settings (`settings`). */
export const settingsSchema: SchemaNode = {
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
};

/** `#/$defs/cors`: CORS (`cors`): the gateway answers preflights itself. */
export const corsSchema: SchemaNode = {
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
};

/** `#/$defs/gatewayResponse`: an override of one of the gateway's own error responses (`gatewayResponses`). */
export const gatewayResponseSchema: SchemaNode = {
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
};
