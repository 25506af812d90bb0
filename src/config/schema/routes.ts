/**
 * The definition schema's routes: a route and what it holds besides its integration and authorizer (cache, validation).
 */
import { NAME, type SchemaNode } from "./common.ts";

/** `#/$defs/route`: one route (`routes`). */
export const routeSchema: SchemaNode = {
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
};

/** `#/$defs/routeCache`: a route's cache settings over its stage's. */
export const routeCacheSchema: SchemaNode = {
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
};

/** `#/$defs/validate`: a route's request validation. */
export const validateSchema: SchemaNode = {
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
};
