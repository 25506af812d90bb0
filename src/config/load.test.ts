/** The loader: definition text (YAML or JSON) → value, with line/column errors and bounded work. */
import { describe, expect, it } from "vitest";
import { DefinitionError } from "./field-errors.ts";
import { checkDefinitionText, compileDefinitionText, MAX_DEFINITION_BYTES, parseDefinitionText } from "./load.ts";

const YAML_TEXT = `# a comment
name: petstore
stages:
  prod:
    variables: { backend: "https://pets.example.com" }
routes:
  GET /pets:
    integration: { type: http_proxy, uri: "\${stageVariables.backend}/pets" }
  GET /health:
    integration:
      type: mock
      body: { status: ok }
`;

const VALUE = {
  name: "petstore",
  stages: { prod: { variables: { backend: "https://pets.example.com" } } },
  routes: {
    "GET /pets": { integration: { type: "http_proxy", uri: "${stageVariables.backend}/pets" } },
    "GET /health": { integration: { type: "mock", body: { status: "ok" } } },
  },
};

describe("parseDefinitionText", () => {
  it("reads YAML", () => {
    expect(parseDefinitionText(YAML_TEXT)).toEqual({ value: VALUE, errors: [] });
  });

  it("reads JSON (YAML 1.2 is a superset)", () => {
    expect(parseDefinitionText(JSON.stringify(VALUE, null, 2))).toEqual({ value: VALUE, errors: [] });
    expect(parseDefinitionText(JSON.stringify(VALUE))).toEqual({ value: VALUE, errors: [] });
  });

  it("keeps YAML scalars that look like other types as the schema expects (core schema)", () => {
    expect(parseDefinitionText('a: "1.0"\nb: 1.0\nc: yes\nd: true\ne: ~\n').value).toEqual({ a: "1.0", b: 1, c: "yes", d: true, e: null });
  });

  it("gives a YAML syntax error with its line and column", () => {
    const { value, errors } = parseDefinitionText("name: a\nstages:\n  prod: {\n  x: 1\n");
    expect(value).toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toEqual([]);
    expect(errors[0]!.message).toMatch(/^line 4, column 3: /);
  });

  it("gives a JSON syntax error with its line and column", () => {
    const { errors } = parseDefinitionText('{\n  "name": "a",,\n  "stages": {}\n}');
    expect(errors).toEqual([{ path: [], message: "line 2, column 15: Unexpected , in flow map" }]);
  });

  it("gives an unterminated string's error with a position", () => {
    const { errors } = parseDefinitionText("name: 'unterminated\n");
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) expect(error.message).toMatch(/^line \d+, column \d+: /);
  });

  it("refuses duplicate keys, in YAML and in JSON", () => {
    expect(parseDefinitionText("name: a\nname: b\n").errors).toEqual([{ path: [], message: "line 2, column 1: Map keys must be unique" }]);
    expect(parseDefinitionText('{"name": "a", "name": "b"}').errors).toEqual([
      { path: [], message: "line 1, column 15: Map keys must be unique" },
    ]);
    const nested = "routes:\n  GET /pets:\n    integration: { type: mock }\n  GET /pets:\n    integration: { type: mock }\n";
    expect(parseDefinitionText(nested).errors).toEqual([{ path: [], message: "line 4, column 3: Map keys must be unique" }]);
  });

  it("refuses several documents in one file", () => {
    const { errors } = parseDefinitionText("name: a\n---\nname: b\n");
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/^line 2, column 1: .*multiple documents/);
  });

  it("allows a few aliases", () => {
    const text = "stages:\n  prod: &stage { variables: { a: '1' } }\n  dev: *stage\n";
    expect(parseDefinitionText(text)).toEqual({
      value: { stages: { prod: { variables: { a: "1" } }, dev: { variables: { a: "1" } } } },
      errors: [],
    });
  });

  it("refuses an alias bomb (billion laughs) instead of expanding it", () => {
    const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++) {
      const name = String.fromCharCode(97 + i);
      const previous = String.fromCharCode(96 + i);
      lines.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(", ")}]`);
    }
    const text = lines.join("\n");
    expect(text.length).toBeLessThan(1000); // 10^9 strings if expanded
    const { value, errors } = parseDefinitionText(text);
    expect(value).toBeUndefined();
    expect(errors).toEqual([{ path: [], message: expect.stringMatching(/alias count/i) }]);
  });

  it("refuses an alias to an anchor that does not exist", () => {
    const { value, errors } = parseDefinitionText("a: *nope\n");
    expect(value).toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain("nope");
  });

  it("refuses text over the size limit before parsing it", () => {
    expect(MAX_DEFINITION_BYTES).toBe(5 * 1024 * 1024);
    const text = `name: a\ndescription: "${"x".repeat(MAX_DEFINITION_BYTES)}"\n`;
    expect(parseDefinitionText(text)).toEqual({
      value: undefined,
      errors: [{ path: [], message: `file is larger than ${MAX_DEFINITION_BYTES} bytes` }],
    });
  });

  it("accepts text just under the limit", () => {
    const filler = `# ${"x".repeat(MAX_DEFINITION_BYTES - 20)}\n`;
    const text = `${filler}name: a\n`;
    expect(text.length).toBeLessThanOrEqual(MAX_DEFINITION_BYTES);
    expect(parseDefinitionText(text)).toEqual({ value: { name: "a" }, errors: [] });
  });
});

describe("checkDefinitionText and compileDefinitionText", () => {
  it("check a valid file with no errors and compile it", async () => {
    expect(checkDefinitionText(YAML_TEXT)).toEqual([]);
    const { id, bundle } = await compileDefinitionText(YAML_TEXT);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(bundle.routes.map((r) => r.key)).toEqual(["GET /health", "GET /pets"]);
  });

  it("YAML and JSON spellings of one definition compile to the same id", async () => {
    const [fromYaml, fromJson] = await Promise.all([compileDefinitionText(YAML_TEXT), compileDefinitionText(JSON.stringify(VALUE))]);
    expect(fromYaml.id).toBe(fromJson.id);
  });

  it("return syntax errors alone (the definition is not checked)", () => {
    expect(checkDefinitionText("name: a\nname: b\n")).toEqual([{ path: [], message: "line 2, column 1: Map keys must be unique" }]);
  });

  it("return definition errors with field paths for a well-formed file", () => {
    expect(checkDefinitionText("name: petstore\nstages: { prod: {} }\nroutes:\n  GET /pets: { integration: { type: mock, status: 99 } }\n")).toEqual([
      { path: ["routes", "GET /pets", "integration", "status"], message: "must be at least 100" },
    ]);
  });

  it("an empty file is one error at the root", () => {
    expect(checkDefinitionText("")).toEqual([{ path: [], message: expect.stringMatching(/^must be a mapping, not /) }]);
  });

  it("compileDefinitionText throws DefinitionError with syntax errors", async () => {
    const failure = await compileDefinitionText("a: [\n").catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DefinitionError);
    expect((failure as DefinitionError).errors[0]!.message).toMatch(/^line \d+, column \d+: /);
  });

  it("compileDefinitionText throws DefinitionError with field errors", async () => {
    const failure = await compileDefinitionText("name: petstore\nstages: {}\nroutes: {}\n").catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DefinitionError);
    expect((failure as DefinitionError).errors).toEqual([
      { path: ["stages"], message: "must have at least 1 entry" },
      { path: ["routes"], message: "must have at least 1 entry" },
    ]);
  });

  it("a wrong value for an enum that holds false (rateLimitHeaders) is a field error, not a crash", () => {
    // Found by the export round-trip property: "did you mean" compared the string against false.
    expect(checkDefinitionText('name: petstore\nsettings: { rateLimitHeaders: "" }\nstages: { prod: {} }\nroutes:\n  GET /a: { integration: { type: mock } }\n')).toEqual([
      { path: ["settings", "rateLimitHeaders"], message: 'must be one of "draft", "legacy", false' },
    ]);
  });
});
