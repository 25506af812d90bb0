/**
 * The definition loader (load.ts → check.ts → compile.ts) with random input from fast-check: no text and no value
 * makes it throw anything but a DefinitionError whose every error is a field path and a message; and whatever
 * compiles can be made ready to serve (CompiledBundle: routes, integrations, authorizers, policies) without
 * throwing. Values come three ways: arbitrary text, arbitrary JSON, and a valid definition with one node anywhere
 * in it replaced by something random (which reaches the deep rules arbitrary values never get to).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { CompiledBundle } from "../deploy/compiled-bundle.ts";
import { checkDefinition, compileDefinition } from "./compile.ts";
import { DefinitionError, type FieldError } from "./field-errors.ts";
import { compileDefinitionText, parseDefinitionText } from "./load.ts";

const VALID = {
  name: "orders",
  flavor: "rest",
  settings: { maxBodyBytes: 1024, jsonLimits: { maxDepth: 10 } },
  stages: { prod: { variables: { backend: "https://orders.example.com" }, throttle: { rate: 10, burst: 20 }, cache: { ttl: 60 } } },
  models: { Order: { type: "object", required: ["item"], properties: { item: { type: "string", pattern: "^[a-z]+$" } } } },
  authorizers: {
    users: { type: "jwt", issuer: "https://issuer.example.com/", audience: ["orders"], jwksUrl: "https://issuer.example.com/jwks.json", claimsToHeaders: { "x-user": "sub" } },
    gate: { type: "custom", url: "https://authz.example.com/decide", validationExpression: "Bearer .+" },
  },
  resourcePolicy: { deny: { ips: ["203.0.113.0/24"] } },
  usagePlans: { basic: { stages: ["prod"], quota: { limit: 100, period: "DAY" } } },
  routes: {
    "GET /orders/{id}": { authorizer: "users", integration: { type: "http_proxy", uri: "${stageVariables.backend}/orders/{id}" }, cache: { keys: ["query.page"] } },
    "POST /orders": { authorizer: "gate", validate: { body: "Order" }, integration: { type: "http", uri: "https://orders.example.com/orders" } },
    "GET /health": { integration: { type: "mock", body: { ok: true } } },
    "ANY /{proxy+}": { apiKeyRequired: true, integration: { type: "service", service: "ORDERS", path: "/{proxy}" } },
  },
};

/** Every path to a node of `value`. */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  return out;
}
const ALL_PATHS = paths(VALID).filter((p) => p.length > 0);

function replaced(path: (string | number)[], replacement: unknown): unknown {
  const copy = structuredClone(VALID) as Record<string | number, unknown>;
  let node = copy;
  for (const part of path.slice(0, -1)) node = node[part] as Record<string | number, unknown>;
  node[path.at(-1)!] = replacement;
  return copy;
}

const nasty = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, "", " ", "{x}", "${stageVariables.}", "http://169.254.169.254/", "(?=a)", "__proto__", -1, 1e308, NaN, [], {}),
  fc.dictionary(fc.constantFrom("__proto__", "constructor", "type", "uri", "name", "keys", "$ref", "pattern"), fc.jsonValue({ maxDepth: 2 })),
);
const mutated = fc.tuple(fc.constantFrom(...ALL_PATHS), nasty).map(([path, value]) => replaced(path, value));

function expectFieldErrors(errors: FieldError[]): void {
  expect(errors.length).toBeGreaterThan(0);
  for (const e of errors) {
    expect(Array.isArray(e.path)).toBe(true);
    for (const part of e.path) expect(["string", "number"]).toContain(typeof part);
    expect(typeof e.message).toBe("string");
    expect(e.message.length).toBeGreaterThan(0);
  }
}

/** Compiles `value`; a failure must be a DefinitionError of field errors; a success must be servable. */
async function compilesOrExplains(value: unknown): Promise<void> {
  let compiled;
  try {
    compiled = await compileDefinition(value);
  } catch (err) {
    expect(err).toBeInstanceOf(DefinitionError);
    expectFieldErrors((err as DefinitionError).errors);
    expect(checkDefinition(value)).toEqual((err as DefinitionError).errors);
    return;
  }
  expect(checkDefinition(value)).toEqual([]);
  expect(() => CompiledBundle.of(compiled.id, compiled.bundle)).not.toThrow();
}

describe("the definition loader, property-based", () => {
  it("the valid base definition compiles", async () => {
    await compilesOrExplains(VALID);
    expect(checkDefinition(VALID)).toEqual([]);
  });

  it("answers any text with a bundle or field errors, never a throw", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.string({ unit: "binary" }), mutated.map((v) => stringify(v)), mutated.map((v) => JSON.stringify(v) ?? "")), async (text) => {
        const { errors } = parseDefinitionText(text);
        if (errors.length) expectFieldErrors(errors);
        try {
          await compileDefinitionText(text);
        } catch (err) {
          expect(err).toBeInstanceOf(DefinitionError);
          expectFieldErrors((err as DefinitionError).errors);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("answers any JSON value with a bundle or field errors", async () => {
    await fc.assert(fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), compilesOrExplains), { numRuns: 300 });
  });

  it("answers a valid definition with any one node replaced by anything with a bundle or field errors", async () => {
    await fc.assert(fc.asyncProperty(mutated, compilesOrExplains), { numRuns: 1500 });
  });
});
