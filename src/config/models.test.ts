/**
 * Model validators against the recorded request-validation cases (aws-recorded.json, area "request-validation"):
 * the models are compiled the way a bundle is (references rewritten), then validated with plain values.
 * Whether a request *reaches* the validator (absent body, disabled validator, parameters first) is the validate
 * stage's job; here only the schemas' verdicts are checked.
 */
import { describe, expect, it } from "vitest";
import { compileDefinition } from "./compile.ts";
import { buildModelValidator, checkModels, rewriteModelRefs, type ModelValidator } from "./models.ts";
import type { FieldError } from "./field-errors.ts";
import type { JsonSchema } from "./types.ts";

/** The recorded models, as Amazon's API had them (Amazon's URL form of references, `<api-id>` as recorded). */
const TEST_SCHEMA = {
  $schema: "http://json-schema.org/draft-04/schema#",
  title: "testSchema",
  type: "object",
  properties: { a: { type: "number" }, b: { type: "number" } },
  required: ["a", "b"],
};
const TEST_SCHEMA_LIST = { type: "array", items: { $ref: "https://apigateway.amazonaws.com/restapis/<api-id>/models/testSchema" } };
const TEST_MODEL = {
  type: "object",
  properties: { status: { oneOf: [{ type: "null" }, { $ref: "https://apigateway.amazonaws.com/restapis/<api-id>/models/StatusModel" }] } },
  required: ["status"],
};
const STATUS_MODEL = {
  type: "object",
  properties: { Status: { type: "string" }, Order: { type: "integer" } },
  required: ["Status", "Order"],
};

/** Validators built from a compiled bundle, as the gateway builds them. */
async function validatorsFor(models: Record<string, JsonSchema>): Promise<(name: string) => ModelValidator> {
  const { bundle } = await compileDefinition({
    name: "validation",
    stages: { local: {} },
    models,
    routes: { "POST /path": { validate: { body: Object.keys(models)[0] }, integration: { type: "mock" } } },
  });
  return (name) => buildModelValidator(bundle.models, name, bundle.settings.jsonLimits.maxPatternInputLength);
}

describe("draft-04 testSchema (rest-validation-* cases)", () => {
  it("rest-validation-valid-request-passes: {a: 1, b: 2} is valid", async () => {
    const validator = (await validatorsFor({ testSchema: TEST_SCHEMA }))("testSchema");
    expect(validator.validate({ a: 1, b: 2 })).toEqual({ valid: true, error: "" });
  });

  it("rest-validation-disabled-validator-passes: {test: 'test'} fails the model (so only a disabled validator lets it through)", async () => {
    const validator = (await validatorsFor({ testSchema: TEST_SCHEMA }))("testSchema");
    const result = validator.validate({ test: "test" });
    expect(result.valid).toBe(false);
    expect(result.error).toMatch(/^\[.+\]$/);
  });

  it("rest-validation-empty-body-get-invalid: an empty object and non-objects are invalid", async () => {
    const validator = (await validatorsFor({ testSchema: TEST_SCHEMA }))("testSchema");
    for (const instance of [{}, { a: 1 }, { a: 1, b: "2" }, null, [], "body", 1]) expect(validator.validate(instance).valid).toBe(false);
  });

  it("follows draft-04 semantics when the schema declares draft-04 (boolean exclusiveMinimum)", async () => {
    const get = await validatorsFor({
      Positive: { $schema: "http://json-schema.org/draft-04/schema#", type: "number", minimum: 0, exclusiveMinimum: true },
    });
    const validator = get("Positive");
    expect(validator.validate(0).valid).toBe(false);
    expect(validator.validate(0.5).valid).toBe(true);
  });
});

describe("array of $ref to another model (testSchemaList → testSchema)", () => {
  const models = { testSchemaList: TEST_SCHEMA_LIST, testSchema: TEST_SCHEMA };

  it("rest-validation-ref-model-array-ok: [{a: 1, b: 2}] is valid", async () => {
    const validator = (await validatorsFor(models))("testSchemaList");
    expect(validator.validate([{ a: 1, b: 2 }])).toEqual({ valid: true, error: "" });
    expect(validator.validate([{ a: 1, b: 2 }, { a: 3.5, b: -1 }]).valid).toBe(true);
    expect(validator.validate([]).valid).toBe(true);
  });

  it("rest-validation-ref-model-no-body: items that fail the referenced model, or a non-array, are invalid", async () => {
    const validator = (await validatorsFor(models))("testSchemaList");
    expect(validator.validate([{ a: 1 }]).valid).toBe(false);
    expect(validator.validate([{ a: 1, b: 2 }, { a: "x", b: 2 }]).valid).toBe(false);
    expect(validator.validate({ a: 1, b: 2 }).valid).toBe(false);
    expect(validator.validate(null).valid).toBe(false);
  });
});

describe("oneOf with null and a $ref to another model (TestModel → StatusModel)", () => {
  const models = { TestModel: TEST_MODEL, StatusModel: STATUS_MODEL };

  it("rest-validation-oneof-successful: {status: null} is valid", async () => {
    const validator = (await validatorsFor(models))("TestModel");
    expect(validator.validate({ status: null })).toEqual({ valid: true, error: "" });
  });

  it("a status that matches the referenced model is valid", async () => {
    const validator = (await validatorsFor(models))("TestModel");
    expect(validator.validate({ status: { Status: "shipped", Order: 3 } }).valid).toBe(true);
  });

  it("rest-validation-oneof-failed-validation-bad-data: {badFormat: 'bla'} is invalid", async () => {
    const validator = (await validatorsFor(models))("TestModel");
    const result = validator.validate({ badFormat: "bla" });
    expect(result.valid).toBe(false);
    expect(result.error).toContain("status");
  });

  it("a status that fails the referenced model is invalid", async () => {
    const validator = (await validatorsFor(models))("TestModel");
    expect(validator.validate({ status: { Status: "shipped" } }).valid).toBe(false);
    expect(validator.validate({ status: { Status: "shipped", Order: 1.5 } }).valid).toBe(false);
    expect(validator.validate({ status: "shipped" }).valid).toBe(false);
  });

  it("the referenced model can be validated on its own", async () => {
    const validator = (await validatorsFor(models))("StatusModel");
    expect(validator.validate({ Status: "x", Order: 1 }).valid).toBe(true);
    expect(validator.validate({ Status: "x" }).valid).toBe(false);
  });
});

describe("model references", () => {
  it("#/models/Name and Amazon's URL form resolve to the same model", async () => {
    const get = await validatorsFor({
      Local: { type: "array", items: { $ref: "#/models/Item" } },
      Amazon: { type: "array", items: { $ref: "https://apigateway.amazonaws.com/restapis/abc123/models/Item" } },
      Item: { type: "integer" },
    });
    for (const name of ["Local", "Amazon"]) {
      expect(get(name).validate([1, 2]).valid).toBe(true);
      expect(get(name).validate([1, "2"]).valid).toBe(false);
    }
  });

  it("rewriteModelRefs copies without touching other references or the input", () => {
    const input = { properties: { a: { $ref: "#/models/A" }, b: { $ref: "#/definitions/b" } }, definitions: { b: { type: "string" } } };
    const copy = JSON.parse(JSON.stringify(input));
    const out = rewriteModelRefs(input) as typeof input;
    expect(input).toEqual(copy);
    expect(out.properties.a.$ref).not.toBe("#/models/A");
    expect(out.properties.b.$ref).toBe("#/definitions/b");
    expect(out.definitions).toEqual(input.definitions);
  });

  it("a model may be a boolean schema", async () => {
    const get = await validatorsFor({ Anything: true, Nothing: false });
    expect(get("Anything").validate({ x: 1 }).valid).toBe(true);
    expect(get("Nothing").validate({ x: 1 }).valid).toBe(false);
  });

  it("checkModels reports references to missing models in either form", () => {
    const errors: FieldError[] = [];
    checkModels(
      {
        A: { $ref: "#/models/B" },
        C: { items: { $ref: "https://apigateway.amazonaws.com/restapis/x/models/D" } },
        B: { type: "string" },
      },
      errors,
    );
    expect(errors).toEqual([{ path: ["models", "C"], message: '$ref to unknown model "D"' }]);
  });
});
