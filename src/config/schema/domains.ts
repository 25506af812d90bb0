/**
 * The definition schema's custom domains: mappings and routing rules (compile-routing.ts checks the rules).
 */
import { NAME, type SchemaNode } from "./common.ts";

/** `#/$defs/domain`: one custom-domain mapping (`domains`). */
export const domainSchema: SchemaNode = {
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
};

/** `#/$defs/domainRouting`: one custom domain's routing mode and rules (`domainRouting`). */
export const domainRoutingSchema: SchemaNode = {
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
};

/** `#/$defs/routingRule`: a routing rule (Amazon's, June 2025). */
export const routingRuleSchema: SchemaNode = {
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
};
