/**
 * The definition schema's mapping (Amazon's non-proxy integrations): request templates, parameter mapping, content
 * handling and integration responses, shared by the integration kinds that map.
 */
import type { SchemaNode } from "./common.ts";

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

/** The mapping fields of an integration kind: templates, passthrough, parameters and responses, as `target` has them. */
export const mappingProperties = (target: "http" | "service" | "mock" | "aws" | "queue" | "workflow"): Record<string, SchemaNode> => ({
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

/** Amazon's requestParameters (both flavours' forms), for http, http_proxy and service integrations. */
export const requestParameters = (): SchemaNode => ({
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

/** `#/$defs/integrationResponse`: one integration response (Amazon's IntegrationResponse). */
export const integrationResponseSchema: SchemaNode = {
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
};
