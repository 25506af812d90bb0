/**
 * The definition schema: the committed JSON file is exactly `DEFINITION_SCHEMA` (run `npm run schema` after
 * changing `schema.ts`), every field is described, and the example API passes it.
 */
import { describe, expect, it } from "vitest";
import petstoreYaml from "../../examples/petstore/api.yaml?raw";
import schemaJson from "../../schema/portico-api.schema.json";
import { checkDefinitionText, compileDefinitionText } from "./load.ts";
import { DEFINITION_SCHEMA, type SchemaNode } from "./schema.ts";

const isNode = (v: unknown): v is SchemaNode => !!v && typeof v === "object" && !Array.isArray(v);

/** A node's description, or its `$ref` target's (a property written as `{ $ref }` is described by its $def). */
function describedBy(node: SchemaNode): string | undefined {
  if (typeof node.description === "string") return node.description;
  if (typeof node.$ref === "string") {
    const target = (DEFINITION_SCHEMA.$defs as Record<string, SchemaNode>)[node.$ref.replace("#/$defs/", "")];
    return target && typeof target.description === "string" ? target.description : undefined;
  }
  return undefined;
}

/** Paths of every property, $def and additionalProperties schema that has no description. */
function undescribed(node: unknown, path: string, out: string[]): string[] {
  if (!isNode(node)) return out;
  const check = (child: unknown, at: string) => {
    if (!isNode(child)) return;
    const text = describedBy(child);
    if (!text || !text.trim()) out.push(at);
  };
  if (isNode(node.properties))
    for (const [name, child] of Object.entries(node.properties)) check(child, `${path}.properties.${name}`);
  if (isNode(node.$defs)) for (const [name, child] of Object.entries(node.$defs)) check(child, `${path}.$defs.${name}`);
  if (isNode(node.additionalProperties)) check(node.additionalProperties, `${path}.additionalProperties`);
  // Recurse everywhere a subschema can sit.
  for (const [key, child] of Object.entries(node)) {
    if (key === "enum" || key === "const" || key === "required" || key === "examples") continue;
    if (Array.isArray(child)) child.forEach((c, i) => undescribed(c, `${path}.${key}[${i}]`, out));
    else if (isNode(child)) undescribed(child, `${path}.${key}`, out);
  }
  return out;
}

describe("definition schema", () => {
  it("the committed schema/portico-api.schema.json is exactly DEFINITION_SCHEMA (run `npm run schema`)", () => {
    expect(schemaJson).toEqual(JSON.parse(JSON.stringify(DEFINITION_SCHEMA)));
  });

  it("describes every property, $def and map value, at every depth", () => {
    expect(undescribed(DEFINITION_SCHEMA, "#", [])).toEqual([]);
  });

  it("the description walk finds what it should (a missing description is reported)", () => {
    const sample = { properties: { a: { type: "string" }, b: { type: "object", properties: { c: { type: "string", description: "" } } } } };
    expect(undescribed(sample, "#", [])).toEqual(["#.properties.a", "#.properties.b", "#.properties.b.properties.c"]);
  });

  it("every $ref points at an existing $def", () => {
    const defs = Object.keys(DEFINITION_SCHEMA.$defs as object);
    const refs: string[] = [];
    const visit = (n: unknown): void => {
      if (Array.isArray(n)) n.forEach(visit);
      else if (isNode(n)) for (const [k, v] of Object.entries(n)) k === "$ref" && typeof v === "string" ? refs.push(v) : visit(v);
    };
    visit(DEFINITION_SCHEMA);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(defs).toContain(ref.replace("#/$defs/", ""));
  });

  it("the example examples/petstore/api.yaml passes with zero errors and compiles", async () => {
    expect(checkDefinitionText(petstoreYaml)).toEqual([]);
    const { id } = await compileDefinitionText(petstoreYaml);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
  });
});
