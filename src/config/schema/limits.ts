/**
 * The definition schema's limits: token-bucket throttles and usage plans (compile-limits.ts compiles them).
 */
import { NAME, type SchemaNode } from "./common.ts";

/** `#/$defs/throttle`: a token bucket: stages, routes, usage plans. */
export const throttleSchema: SchemaNode = {
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
};

/** `#/$defs/usagePlan`: a usage plan (`usagePlans`): per-key throttle and quota. */
export const usagePlanSchema: SchemaNode = {
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
};
