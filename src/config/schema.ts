/**
 * The API definition's JSON Schema, as data with a description on every field. It is the source of truth:
 * `npm run schema` writes it to `schema/portico-api.schema.json` for editors, and the loader checks
 * definitions against it with field-path errors (`check.ts`). Rules that need more than one field (route keys,
 * references between sections) live in the compiler.
 *
 * A later feature adds a section under `properties` (and a `$defs` entry) without reshaping the rest.
 *
 * This file is the document's outline: its top-level fields, and every `$defs` entry in the order the generated
 * schema lists them. The entries themselves live in `schema/`, one file per section.
 */
import { GATEWAY_RESPONSE_TYPES } from "./types.ts";
import { DOMAIN_HOST, NAME, type SchemaNode } from "./schema/common.ts";
import { settingsSchema, corsSchema, gatewayResponseSchema } from "./schema/settings.ts";
import { stageSchema, stageCacheSchema } from "./schema/stages.ts";
import { throttleSchema, usagePlanSchema } from "./schema/limits.ts";
import { domainSchema, domainRoutingSchema, routingRuleSchema } from "./schema/domains.ts";
import { routeCacheSchema, routeSchema, validateSchema } from "./schema/routes.ts";
import { websocketSchema, websocketLimitsSchema } from "./schema/websocket.ts";
import {
  resourcePolicySchema,
  policyMatchSchema,
  authorizerSchema,
  jwtAuthorizerSchema,
  customAuthorizerSchema,
  sigv4AuthorizerSchema,
  mtlsAuthorizerSchema,
} from "./schema/identity.ts";
import {
  integrationSchema,
  httpProxyIntegrationSchema,
  httpIntegrationSchema,
  mockIntegrationSchema,
  serviceIntegrationSchema,
  awsIntegrationSchema,
  queueIntegrationSchema,
  r2IntegrationSchema,
  workflowIntegrationSchema,
} from "./schema/integrations.ts";
import { integrationResponseSchema } from "./schema/mapping.ts";

export type { SchemaNode } from "./schema/common.ts";

/** The whole definition schema: what `npm run schema` writes and the loader checks against. */
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
    settings: settingsSchema,
    stage: stageSchema,
    stageCache: stageCacheSchema,
    routeCache: routeCacheSchema,
    throttle: throttleSchema,
    usagePlan: usagePlanSchema,
    domain: domainSchema,
    domainRouting: domainRoutingSchema,
    routingRule: routingRuleSchema,
    cors: corsSchema,
    gatewayResponse: gatewayResponseSchema,
    route: routeSchema,
    websocket: websocketSchema,
    websocketLimits: websocketLimitsSchema,
    resourcePolicy: resourcePolicySchema,
    policyMatch: policyMatchSchema,
    authorizer: authorizerSchema,
    jwtAuthorizer: jwtAuthorizerSchema,
    customAuthorizer: customAuthorizerSchema,
    sigv4Authorizer: sigv4AuthorizerSchema,
    mtlsAuthorizer: mtlsAuthorizerSchema,
    validate: validateSchema,
    integration: integrationSchema,
    httpProxyIntegration: httpProxyIntegrationSchema,
    httpIntegration: httpIntegrationSchema,
    mockIntegration: mockIntegrationSchema,
    integrationResponse: integrationResponseSchema,
    serviceIntegration: serviceIntegrationSchema,
    awsIntegration: awsIntegrationSchema,
    queueIntegration: queueIntegrationSchema,
    r2Integration: r2IntegrationSchema,
    workflowIntegration: workflowIntegrationSchema,
  },
};
