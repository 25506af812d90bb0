/** The admin API's own OpenAPI 3.1 document, served at `<prefix>/openapi.json`. */
import { OBSERVABILITY_PATHS } from "./openapi-observability.ts";

const json = (schema: Record<string, unknown>) => ({ content: { "application/json": { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errorResponses = {
  "400": { description: "Invalid input: `errors` lists each field path and what is wrong.", ...json(ref("Error")) },
  "401": { description: "Missing or wrong bearer token.", ...json(ref("Error")) },
  "404": { description: "Unknown API, stage or deployment.", ...json(ref("Error")) },
  "409": { description: "The request conflicts with the current state (e.g. no canary to promote).", ...json(ref("Error")) },
  "503": { description: "No ADMIN_TOKEN secret is configured.", ...json(ref("Error")) },
};
const apiParam = { name: "api", in: "path", required: true, schema: { type: "string", pattern: "^[a-z0-9][a-z0-9-]{0,62}$" } };
const keyParam = { name: "id", in: "path", required: true, schema: { type: "string", pattern: "^[0-9a-f]{20}$" } };
const stageParam = { name: "stage", in: "path", required: true, schema: { type: "string" } };
const planParam = { name: "plan", in: "path", required: true, schema: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$" } };
/** `--require-clean-shadow`: 409 unless the canary's version has a clean shadow report on the stage. */
const SHADOW_GATE = {
  requireCleanShadow: { type: "boolean", description: "Refuse (409) unless the version has a clean shadow report on this stage." },
  minShadowRequests: { type: "integer", minimum: 1, default: 1, description: "Evaluated requests a clean report needs." },
};
const connectionParam = { name: "id", in: "path", required: true, schema: { type: "string", pattern: "^[A-Za-z0-9_-]{16}$" } };
const groupParam = { name: "group", in: "path", required: true, schema: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$" } };
const ok = (description: string, schema: Record<string, unknown>) => ({ "200": { description, ...json(schema) }, ...errorResponses });

export function openApiDocument(prefix: string): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: {
      title: "Portico admin API",
      version: "1",
      description: "Publish API definitions as immutable bundle versions, point stages at them, run canaries, read per-version metrics.",
    },
    servers: [{ url: prefix }],
    security: [{ bearer: [] }],
    paths: {
      "/validate": {
        post: {
          summary: "Check a definition without publishing it",
          requestBody: json({ type: "object", required: ["definition"], properties: { definition: { description: "The definition, as an object or as YAML/JSON text." } } }),
          responses: ok("Whether it is valid, with every error; and warnings, which never make it invalid.", {
            type: "object",
            properties: { valid: { type: "boolean" }, errors: { type: "array", items: ref("FieldError") }, warnings: { type: "array", items: ref("FieldError") } },
          }),
        },
      },
      "/deployments": {
        post: {
          summary: "Publish a definition to a stage (as its stable version, or as a canary)",
          description: "Compiles the definition to a bundle whose id is the SHA-256 of its canonical JSON, stores it, and moves the stage pointer in one transaction. Publishing an unchanged definition changes nothing (200, `changed: false`).",
          requestBody: json({
            type: "object",
            required: ["definition", "stage"],
            properties: {
              definition: { description: "The definition, as an object or as YAML/JSON text." },
              stage: { type: "string" },
              description: { type: "string", maxLength: 1024 },
              canary: { type: "number", minimum: 0, maximum: 100, description: "Deploy as the stage's canary at this percent." },
            },
          }),
          responses: { "201": { description: "Published.", ...json(ref("PublishResult")) }, ...ok("Nothing changed.", ref("PublishResult")) },
        },
      },
      "/server": {
        get: {
          summary: "What this Worker serves unpublished: the API on its own host names, the embedded bundle, and in `portico dev` the definition file and the stages it serves",
          responses: ok("Server facts.", {
            type: "object",
            properties: {
              defaultApi: { type: "string" },
              embedded: ref("EmbeddedFacts"),
              others: { type: "array", items: ref("EmbeddedFacts") },
              dev: { oneOf: [{ type: "null" }, { type: "object", properties: { file: { type: "string" }, published: { oneOf: [{ const: "all" }, { type: "array", items: { type: "string" } }] } } }] },
            },
          }),
        },
      },
      "/apis": { get: { summary: "APIs with deployments", responses: ok("APIs.", { type: "object" }) } },
      "/apis/{api}/stages": { get: { summary: "Stages and their versions", parameters: [apiParam], responses: ok("Stages.", { type: "object", properties: { stages: { type: "array", items: ref("Stage") } } }) } },
      "/apis/{api}/stages/{stage}": { get: { summary: "One stage", parameters: [apiParam, stageParam], responses: ok("The stage.", ref("Stage")) } },
      "/apis/{api}/history": {
        get: {
          summary: "Deployment history, newest first",
          parameters: [apiParam, { name: "stage", in: "query", schema: { type: "string" } }, { name: "limit", in: "query", schema: { type: "integer" } }],
          responses: ok("History.", { type: "object" }),
        },
      },
      "/apis/{api}/deployments": { get: { summary: "Versions (bundles) of the API", parameters: [apiParam], responses: ok("Deployments.", { type: "object" }) } },
      "/apis/{api}/deployments/{id}": {
        get: { summary: "One version with its bundle (id or unique prefix)", parameters: [apiParam, { name: "id", in: "path", required: true, schema: { type: "string" } }], responses: ok("The bundle.", { type: "object" }) },
      },
      "/apis/{api}/stages/{stage}/rollback": {
        post: {
          summary: "Point the stage back at the previous version, or at any version",
          parameters: [apiParam, stageParam],
          requestBody: json({ type: "object", properties: { to: { type: "string", description: "Deployment id or unique prefix." } } }),
          responses: ok("The stage.", ref("Stage")),
        },
      },
      "/apis/{api}/stages/{stage}/canary": {
        put: {
          summary: "Set the canary's percent, stage-variable overrides, cache sharing and sticky key",
          parameters: [apiParam, stageParam],
          requestBody: json(ref("CanaryInput")),
          responses: ok("The stage.", ref("Stage")),
        },
        delete: { summary: "Remove the canary (all traffic to stable)", parameters: [apiParam, stageParam], responses: ok("The stage.", ref("Stage")) },
      },
      "/apis/{api}/stages/{stage}/canary/promote": {
        post: {
          summary: "Make the canary the stable version",
          parameters: [apiParam, stageParam],
          requestBody: json({ type: "object", properties: SHADOW_GATE }),
          responses: ok("The stage.", ref("Stage")),
        },
      },
      "/apis/{api}/stages/{stage}/canary/auto": {
        post: {
          summary: "Automated canary analysis: step up while within bounds, promote at 100%, roll back when a bound is crossed",
          parameters: [apiParam, stageParam],
          requestBody: json({
            type: "object",
            properties: {
              step: { type: "number", default: 10 },
              intervalSeconds: { type: "integer", default: 60 },
              maxErrorRateIncrease: { type: "number", default: 1, description: "Percentage points of 5xx rate above stable." },
              maxP95Ratio: { type: "number", default: 1.2 },
              minRequests: { type: "integer", default: 100 },
              ...SHADOW_GATE,
            },
          }),
          responses: ok("The stage.", ref("Stage")),
        },
      },
      "/apis/{api}/stages/{stage}/cache/flush": {
        post: {
          summary: "Flush the stage's response cache in O(1) (a new generation in every key; requests see it within the Registry memo bound)",
          parameters: [apiParam, stageParam],
          responses: ok("The new generation.", { type: "object", properties: { stage: { type: "string" }, cacheGeneration: { type: "integer" } } }),
        },
      },
      ...OBSERVABILITY_PATHS,
      "/keys": {
        get: { summary: "API keys (hashes only; values are never stored)", responses: ok("Keys.", { type: "object", properties: { keys: { type: "array", items: ref("ApiKey") } } }) },
        post: {
          summary: "Create an API key: its value is in this response only",
          requestBody: json({
            type: "object",
            required: ["name"],
            properties: {
              name: { type: "string" },
              description: { type: "string" },
              enabled: { type: "boolean", default: true },
              stages: { type: "array", items: { type: "string", examples: ["petstore/prod", "petstore/*"] } },
              plans: { type: "array", items: { type: "string", examples: ["petstore/basic"] }, description: "Usage plans (`api/plan`), at most one per API." },
            },
          }),
          responses: { "201": { description: "Created; `value` is shown once.", ...json({ type: "object", properties: { key: ref("ApiKey"), value: { type: "string" } } }) }, ...errorResponses },
        },
      },
      "/keys/{id}": {
        get: { summary: "One API key", parameters: [keyParam], responses: ok("The key.", ref("ApiKey")) },
        patch: {
          summary: "Enable, disable, rename, or change the stages and usage plans a key covers",
          parameters: [keyParam],
          requestBody: json({
            type: "object",
            properties: { name: { type: "string" }, description: { type: "string" }, enabled: { type: "boolean" }, stages: { type: "array", items: { type: "string" } }, plans: { type: "array", items: { type: "string" } } },
          }),
          responses: ok("The key.", ref("ApiKey")),
        },
        delete: { summary: "Delete an API key", parameters: [keyParam], responses: ok("Deleted.", { type: "object" }) },
      },
      "/keys/{id}/rotate": {
        post: { summary: "Give a key a new value (shown once); the old value stops working", parameters: [keyParam], responses: ok("The key and its new value.", { type: "object" }) },
      },
      "/apis/{api}/plans/{plan}/usage": {
        get: {
          summary: "GetUsage: requests and remaining quota per API key of the plan, per day (UTC)",
          description:
            "One `[used, remaining]` pair per day from startDate to endDate: `remaining` is what was left of that day's quota period at the end of the day (grants and resets included); null when the plan has no quota. The plan must be defined by a version one of the API's stages serves.",
          parameters: [
            apiParam,
            planParam,
            { name: "from", in: "query", required: true, schema: { type: "string", format: "date" } },
            { name: "to", in: "query", required: true, schema: { type: "string", format: "date" }, description: "Inclusive; at most 366 days after from." },
            { name: "key", in: "query", schema: { type: "string", pattern: "^[0-9a-f]{20}$" }, description: "Only this key." },
          ],
          responses: ok("Usage.", ref("Usage")),
        },
      },
      "/apis/{api}/plans/{plan}/usage/{keyId}": {
        post: {
          summary: "UpdateUsage: grant a key extra requests for the current quota period, or set what remains of it",
          parameters: [apiParam, planParam, { name: "keyId", in: "path", required: true, schema: { type: "string", pattern: "^[0-9a-f]{20}$" } }],
          requestBody: json({
            type: "object",
            description: "Exactly one of grant and remaining.",
            properties: { grant: { type: "integer", description: "Requests to add to this period (negative takes away)." }, remaining: { type: "integer", minimum: 0 } },
          }),
          responses: ok("The current period's standing.", { type: "object", properties: { used: { type: "integer" }, remaining: { type: "integer" }, resetAt: { type: "integer", description: "When the period ends (ms since the epoch)." } } }),
        },
      },
      "/apis/{api}/stages/{stage}/connections": {
        get: {
          summary: "WebSocket APIs: live connections of a stage and their counts (every hub is asked)",
          parameters: [apiParam, stageParam, { name: "group", in: "query", schema: { type: "string" } }, { name: "limit", in: "query", schema: { type: "integer", minimum: 0, maximum: 1000, default: 100 } }],
          responses: ok("Counts and connections.", { type: "object", properties: { stats: { type: "object", properties: { connections: { type: "integer" }, hubs: { type: "integer" }, byVersion: { type: "object" }, groups: { type: "object" } } }, connections: { type: "array", items: ref("Connection") } } }),
        },
      },
      "/apis/{api}/stages/{stage}/connections/{id}": {
        get: { summary: "One connection (Amazon's GetConnection, with groups and version)", parameters: [apiParam, stageParam, connectionParam], responses: { ...ok("The connection.", ref("Connection")), "410": { description: "The connection is gone.", ...json(ref("Error")) } } },
        post: {
          summary: "Send a message to a connection (Amazon's PostToConnection)",
          parameters: [apiParam, stageParam, connectionParam],
          requestBody: json({ type: "object", required: ["data"], properties: { data: { type: "string" } } }),
          responses: { ...ok("Sent.", { type: "object" }), "410": { description: "The connection is gone.", ...json(ref("Error")) } },
        },
        delete: { summary: "Close a connection (Amazon's DeleteConnection; the client sees close 1000)", parameters: [apiParam, stageParam, connectionParam], responses: { ...ok("Closed.", { type: "object" }), "410": { description: "The connection is gone.", ...json(ref("Error")) } } },
      },
      "/apis/{api}/stages/{stage}/connections/{id}/groups/{group}": {
        put: { summary: "Add a connection to a group", parameters: [apiParam, stageParam, connectionParam, groupParam], responses: ok("The connection's groups.", { type: "object" }) },
        delete: { summary: "Take a connection out of a group", parameters: [apiParam, stageParam, connectionParam, groupParam], responses: ok("The connection's groups.", { type: "object" }) },
      },
      "/apis/{api}/stages/{stage}/broadcast": {
        post: {
          summary: "Send a message to every connection of a stage, or of a group, on every hub",
          parameters: [apiParam, stageParam],
          requestBody: json({ type: "object", required: ["data"], properties: { data: { type: "string" }, group: { type: "string" } } }),
          responses: ok("How many connections got it.", { type: "object", properties: { delivered: { type: "integer" } } }),
        },
      },
    },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        Error: { type: "object", required: ["message"], properties: { message: { type: "string" }, errors: { type: "array", items: ref("FieldError") } } },
        FieldError: { type: "object", properties: { path: { type: "string", examples: ['definition.routes["GET /pets"].integration.uri'] }, message: { type: "string" } } },
        EmbeddedFacts: {
          type: "object",
          properties: {
            api: { type: "string" },
            flavor: { enum: ["rest", "http", "websocket"] },
            version: { type: "string" },
            stages: { type: "array", items: { type: "string" } },
            domains: { type: "array", items: { type: "object", properties: { host: { type: "string" }, basePath: { type: "string" }, stage: { type: "string" } } } },
          },
        },
        Stage: {
          type: "object",
          properties: {
            api: { type: "string" },
            stage: { type: "string" },
            deploymentId: { type: "string" },
            updatedAt: { type: "integer" },
            canary: { oneOf: [{ type: "null" }, ref("CanaryInput")] },
          },
        },
        CanaryInput: {
          type: "object",
          properties: {
            deploymentId: { type: "string" },
            percent: { type: "number", minimum: 0, maximum: 100 },
            stageVariableOverrides: { type: "object", additionalProperties: { type: "string" } },
            useStageCache: { type: "boolean" },
            sticky: { type: "object", properties: { kind: { enum: ["none", "apiKey", "sub", "header", "cookie", "ip"] }, name: { type: "string" } } },
            ...SHADOW_GATE,
            auto: {
              description: "Set by canary/auto: the automated analysis running on this canary (read-only here).",
              oneOf: [{ type: "null" }, { type: "object" }],
            },
          },
        },
        ApiKey: {
          type: "object",
          properties: {
            id: { type: "string" },
            name: { type: "string" },
            description: { type: ["string", "null"] },
            hint: { type: "string", description: "First and last characters of the value, for recognising it." },
            enabled: { type: "boolean" },
            stages: { type: "array", items: { type: "string" } },
            plans: { type: "array", items: { type: "string" }, description: "Usage plans, as api/plan." },
            createdAt: { type: "integer" },
            updatedAt: { type: "integer" },
          },
        },
        Usage: {
          type: "object",
          properties: {
            usagePlanId: { type: "string", examples: ["petstore/basic"] },
            startDate: { type: "string", format: "date" },
            endDate: { type: "string", format: "date" },
            position: { type: "null" },
            items: {
              type: "object",
              description: "By API key id: one [used, remaining] pair per day.",
              additionalProperties: { type: "array", items: { type: "array", prefixItems: [{ type: "integer" }, { type: ["integer", "null"] }] } },
            },
          },
        },
        Connection: {
          type: "object",
          properties: {
            connectionId: { type: "string" },
            connectedAt: { type: "string", format: "date-time" },
            lastActiveAt: { type: "string", format: "date-time" },
            identity: { type: "object", properties: { sourceIp: { type: "string" }, userAgent: { type: "string" } } },
            groups: { type: "array", items: { type: "string" } },
            version: { type: "string" },
            principalId: { type: ["string", "null"] },
          },
        },
        PublishResult: { type: "object", properties: { api: { type: "string" }, changed: { type: "boolean" }, stage: ref("Stage"), deployment: { type: "object" } } },
      },
    },
  };
}
