/**
 * The compiler: `checkDefinition` reports every problem at once with field paths (shape and cross-field rules
 * together); `compileDefinition` resolves defaults and gives a content id that depends on content, not order.
 */
import { describe, expect, it } from "vitest";
import { checkDefinition, compileDefinition } from "./compile.ts";
import { DEFAULT_ERROR_TYPE_HEADER, DEFAULT_MAX_BODY_BYTES, DEFAULT_REQUEST_ID_HEADER, DEFAULT_TIMEOUT_MS, INLINE_MODEL_PREFIX } from "./compile-bundle.ts";
import { DefinitionError, formatFieldError, type FieldError } from "./field-errors.ts";

/** A small valid definition; tests copy and change it. */
const minimal = () => ({
  name: "petstore",
  stages: { prod: { variables: { backend: "https://pets.example.com" } } },
  routes: {
    "GET /pets": { integration: { type: "http_proxy", uri: "${stageVariables.backend}/pets" } },
  },
});

const formatted = (errors: FieldError[]) => errors.map(formatFieldError);

describe("checkDefinition reports every error together, with field paths", () => {
  // One definition with many unrelated mistakes, shape errors and cross-field errors mixed.
  const broken = {
    name: "Pet Store",
    descripton: "typo'd field",
    flavor: "rst",
    settings: { maxBodyByte: 5, requestIdHeader: 5 },
    stages: { prod: { variables: { backend: 5 } } },
    domains: [{ host: "api.example.com", stage: "staging" }],
    cors: { allowOrigins: ["*"], allowCredentials: true },
    models: { Pet: { type: "object" } },
    gatewayResponses: { DEFAULT_4XX: { headers: { "x-bad": "a\nb" } } },
    routes: {
      "FETCH /pets": { integration: { type: "mock" } },
      "GET /pets": { integration: { type: "http_proxy", uri: "https://b.example.com/pets" } },
      "get /pets/": { integration: { type: "mock" } },
      "GET /pets/{id}": { integration: { type: "http_proxy", uri: "https://b.example.com/pets/{petId}", timeoutMs: "5s" } },
      "DELETE /pets/{petId}": { integration: { type: "http", uri: "ftp://b.example.com/pets" } },
      "POST /pets": {
        validate: { body: "Pett", path: ["id"] },
        integration: { type: "mock", headers: { "bad header": "x", "x-injected": "a\r\nSet-Cookie: x=1" } },
      },
      $default: { integration: { type: "mock" } },
      "GET /hello": { integration: { type: "service", service: "BACKEND", payloadFormat: "1.0", path: "/hello" } },
      "GET /lambda": { integration: { type: "lamda" } },
      "GET /mock": { integration: { type: "mok" } },
      "GET /typo": { integraton: { type: "mock" } },
    },
  };
  const errors = checkDefinition(broken);
  const lines = formatted(errors);

  it("finds them all (and nothing else)", () => {
    expect(lines).toEqual([
      'name: "Pet Store" does not match ^[a-z0-9][a-z0-9-]{0,62}$',
      'descripton: unknown field (did you mean "description"?)',
      'flavor: must be one of "rest", "http", "websocket" (did you mean "rest"?)',
      'settings.maxBodyByte: unknown field (did you mean "maxBodyBytes"?)',
      "settings.requestIdHeader: must be a string, not a number",
      "stages.prod.variables.backend: must be a string, not a number",
      'domains[0].stage: unknown stage "staging"; stages are prod',
      'cors.allowCredentials: cannot be true when allowOrigins contains "*" (browsers refuse it)',
      'gatewayResponses.DEFAULT_4XX.headers["x-bad"]: header values cannot contain CR, LF or NUL',
      'routes["FETCH /pets"]: unknown method "FETCH": use one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, ANY',
      'routes["get /pets/"]: same route as "GET /pets"',
      'routes["GET /pets/{id}"].integration.timeoutMs: must be an integer, not a string',
      'routes["GET /pets/{id}"].integration.uri: {petId} is not a path parameter of this route (it has {id})',
      'routes["DELETE /pets/{petId}"]: parameter {petId} conflicts with {id} at the same position in "GET /pets/{id}"; use one name',
      'routes["DELETE /pets/{petId}"].integration.uri: must be an http:// or https:// URL',
      'routes["POST /pets"].validate.body: unknown model "Pett"; models are Pet',
      'routes["POST /pets"].validate.path[0]: {id} is not a path parameter of this route',
      'routes["POST /pets"].integration.headers["bad header"]: invalid header name',
      'routes["POST /pets"].integration.headers["x-injected"]: header values cannot contain CR, LF or NUL',
      "routes.$default: $default is an http-flavour route; in the rest flavour use `ANY /{proxy+}`",
      'routes["GET /hello"].integration.path: only applies with payloadFormat raw',
      'routes["GET /lambda"].integration.type: must be one of "http_proxy", "http", "mock", "service", "aws", "queue", "r2", "workflow"',
      'routes["GET /mock"].integration.type: must be one of "http_proxy", "http", "mock", "service", "aws", "queue", "r2", "workflow" (did you mean "mock"?)',
      'routes["GET /typo"].integration: required',
      'routes["GET /typo"].integraton: unknown field (did you mean "integration"?)',
    ]);
  });

  it("keeps paths as arrays of parts (route keys are one part, list indexes are numbers)", () => {
    expect(errors).toContainEqual({ path: ["routes", "POST /pets", "validate", "path", 0], message: "{id} is not a path parameter of this route" });
    expect(errors).toContainEqual({ path: ["domains", 0, "stage"], message: 'unknown stage "staging"; stages are prod' });
    expect(errors).toContainEqual({ path: ["routes", "get /pets/"], message: 'same route as "GET /pets"' });
  });

  it("a valid definition has no errors", () => {
    expect(checkDefinition(minimal())).toEqual([]);
  });

  it("a non-object is one error at the root", () => {
    expect(formatted(checkDefinition([]))).toEqual(["(root): must be a mapping, not a list"]);
    expect(formatted(checkDefinition(null))).toEqual([expect.stringMatching(/^\(root\): must be a mapping, not /)]);
  });

  it("reports missing required sections", () => {
    expect(formatted(checkDefinition({}))).toEqual(["name: required", "stages: required", "routes: required"]);
  });

  it("$default is accepted in the http flavour", () => {
    const def = { ...minimal(), flavor: "http", routes: { $default: { integration: { type: "mock" } } } };
    expect(checkDefinition(def)).toEqual([]);
  });

  it("sibling parameters with the same name are fine, and greedy parameters are checked too", () => {
    const same = { ...minimal(), routes: { "GET /pets/{id}": { integration: { type: "mock" } }, "DELETE /pets/{id}/": { integration: { type: "mock" } } } };
    expect(checkDefinition(same)).toEqual([]);
    const greedy = { ...minimal(), routes: { "GET /{proxy+}": { integration: { type: "mock" } }, "POST /{path+}": { integration: { type: "mock" } } } };
    expect(formatted(checkDefinition(greedy))).toEqual([
      'routes["POST /{path+}"]: parameter {path} conflicts with {proxy} at the same position in "GET /{proxy+}"; use one name',
    ]);
  });

  it("path placeholders in a uri may name greedy parameters; stage variables are not placeholders", () => {
    const def = {
      ...minimal(),
      routes: { "ANY /api/{proxy+}": { integration: { type: "http_proxy", uri: "${stageVariables.backend}/v2/{proxy}" } } },
    };
    expect(checkDefinition(def)).toEqual([]);
    const bad = { ...minimal(), routes: { "GET /x": { integration: { type: "http", uri: "https://b.example.com/${stageVariables.bad-name}" } } } };
    expect(formatted(checkDefinition(bad))).toEqual([
      'routes["GET /x"].integration.uri: invalid stage variable reference "${stageVariables.bad-name}"',
    ]);
  });

  it("checks placeholders in a service path and in http header values", () => {
    const def = {
      ...minimal(),
      routes: {
        "GET /a/{id}": { integration: { type: "service", service: "B", path: "/x/{nope}" } },
        "GET /b/{id}": { integration: { type: "http", uri: "https://b.example.com/", headers: { "x-id": "{idd}" } } },
      },
    };
    expect(formatted(checkDefinition(def))).toEqual([
      'routes["GET /a/{id}"].integration.path: {nope} is not a path parameter of this route (it has {id})',
      'routes["GET /b/{id}"].integration.headers["x-id"]: {idd} is not a path parameter of this route (it has {id})',
    ]);
  });

  it("a service path is fine with payloadFormat raw or unset", () => {
    for (const payloadFormat of ["raw", undefined]) {
      const def = { ...minimal(), routes: { "GET /h": { integration: { type: "service", service: "B", path: "/h", payloadFormat } } } };
      expect(checkDefinition(JSON.parse(JSON.stringify(def)))).toEqual([]);
    }
  });

  it("reports duplicate domain mappings and unknown model references in models", () => {
    const def = {
      ...minimal(),
      domains: [
        { host: "API.example.com", stage: "prod" },
        { host: "api.example.com", stage: "prod" },
      ],
      models: { Pet: { type: "object", properties: { owner: { $ref: "#/models/Owner" } } } },
    };
    expect(formatted(checkDefinition(def))).toEqual([
      "domains[1]: duplicate mapping for api.example.com/",
      'models.Pet: $ref to unknown model "Owner"',
    ]);
  });

  it("reports an unknown model reference in an inline body schema", () => {
    const def = {
      ...minimal(),
      routes: { "POST /pets": { validate: { body: { type: "object", properties: { s: { $ref: "#/models/Status" } } } }, integration: { type: "mock" } } },
    };
    expect(formatted(checkDefinition(def))).toEqual(['routes["POST /pets"].validate.body: $ref to unknown model "Status"']);
  });

  it("refuses remote references that would need fetching", () => {
    const def = { ...minimal(), models: { Pet: { $ref: "https://schemas.example.com/pet.json" } } };
    expect(formatted(checkDefinition(def))).toEqual([
      'models.Pet: $ref "https://schemas.example.com/pet.json" cannot be resolved: refer to models as "#/models/Name" (remote references are never fetched)',
    ]);
  });
});

describe("compileDefinition", () => {
  it("resolves every default", async () => {
    const { bundle } = await compileDefinition({
      ...minimal(),
      routes: {
        "GET /pets": { integration: { type: "http_proxy", uri: "${stageVariables.backend}/pets" } },
        "GET /svc": { integration: { type: "service", service: "BACKEND" } },
        "GET /mock": { integration: { type: "mock" } },
      },
    });
    expect(bundle.format).toBe(1);
    expect(bundle.api).toEqual({ name: "petstore", flavor: "rest", description: null });
    // toMatchObject: later features add settings of their own.
    expect(bundle.settings).toMatchObject({
      maxBodyBytes: 10485760,
      requestIdHeader: "x-amzn-RequestId",
      errorTypeHeader: "x-amzn-ErrorType",
      binaryMediaTypes: [],
    });
    expect([DEFAULT_TIMEOUT_MS, DEFAULT_MAX_BODY_BYTES, DEFAULT_REQUEST_ID_HEADER, DEFAULT_ERROR_TYPE_HEADER]).toEqual([
      29000,
      10485760,
      "x-amzn-RequestId",
      "x-amzn-ErrorType",
    ]);
    expect(bundle.stages).toEqual({
      prod: { description: null, variables: { backend: "https://pets.example.com" }, throttle: null, cache: null, accessLog: null, tracing: { enabled: true, serverTiming: false } },
    });
    expect(bundle.domains).toEqual([]);
    expect(bundle.cors).toBeNull();
    expect(bundle.models).toEqual({});
    expect(bundle.gatewayResponses).toEqual({});
    const byKey = Object.fromEntries(bundle.routes.map((r) => [r.key, r]));
    expect(byKey["GET /pets"]!.integration).toEqual({
      type: "http_proxy",
      uri: "${stageVariables.backend}/pets",
      method: null,
      timeoutMs: 29000,
      headers: {},
      service: null,
      mapping: null,
    });
    expect(byKey["GET /svc"]!.integration).toEqual({ type: "service", service: "BACKEND", payloadFormat: "raw", path: null, timeoutMs: 29000, mapping: null });
    expect(byKey["GET /mock"]!.integration).toEqual({ type: "mock", status: 200, headers: {}, body: "", mapping: null });
    expect(byKey["GET /pets"]!.validate).toBeNull();
  });

  it("keeps values that are set, and errorTypeHeader false turns the header off", async () => {
    const { bundle } = await compileDefinition({
      ...minimal(),
      flavor: "http",
      description: "d",
      settings: { maxBodyBytes: 1024, requestIdHeader: "x-request-id", errorTypeHeader: false, binaryMediaTypes: ["image/*"] },
      domains: [{ host: "API.Example.com", stage: "prod" }],
      cors: { allowOrigins: ["https://app.example.com"], allowMethods: ["get", "post"] },
    });
    expect(bundle.api).toEqual({ name: "petstore", flavor: "http", description: "d" });
    expect(bundle.settings).toMatchObject({ maxBodyBytes: 1024, requestIdHeader: "x-request-id", errorTypeHeader: null, binaryMediaTypes: ["image/*"] });
    expect(bundle.domains).toEqual([{ host: "api.example.com", basePath: "", stage: "prod" }]);
    expect(bundle.cors).toEqual({
      allowOrigins: ["https://app.example.com"],
      allowMethods: ["GET", "POST"],
      allowHeaders: ["*"],
      exposeHeaders: [],
      maxAge: null,
      allowCredentials: false,
    });
    const custom = await compileDefinition({ ...minimal(), settings: { errorTypeHeader: "x-error" } });
    expect(custom.bundle.settings.errorTypeHeader).toBe("x-error");
  });

  it("turns a JSON mock body into a string with a JSON content type, unless one is set", async () => {
    const { bundle } = await compileDefinition({
      ...minimal(),
      routes: {
        "GET /json": { integration: { type: "mock", body: { status: "ok", n: [1, 2] } } },
        "GET /list": { integration: { type: "mock", status: 201, body: [1] } },
        "GET /typed": { integration: { type: "mock", headers: { "Content-Type": "application/hal+json" }, body: { a: 1 } } },
        "GET /text": { integration: { type: "mock", body: "hello" } },
      },
    });
    const byKey = Object.fromEntries(bundle.routes.map((r) => [r.key, r.integration]));
    expect(byKey["GET /json"]).toEqual({ type: "mock", status: 200, headers: { "content-type": "application/json" }, body: '{"status":"ok","n":[1,2]}', mapping: null });
    expect(byKey["GET /list"]).toEqual({ type: "mock", status: 201, headers: { "content-type": "application/json" }, body: "[1]", mapping: null });
    expect(byKey["GET /typed"]).toEqual({ type: "mock", status: 200, headers: { "Content-Type": "application/hal+json" }, body: '{"a":1}', mapping: null });
    expect(byKey["GET /text"]).toEqual({ type: "mock", status: 200, headers: {}, body: "hello", mapping: null });
  });

  it("normalises route keys and sorts routes by key", async () => {
    const { bundle } = await compileDefinition({
      ...minimal(),
      flavor: "http",
      routes: {
        "post /b/": { integration: { type: "mock" } },
        $default: { integration: { type: "mock" } },
        "ANY /{proxy+}": { integration: { type: "mock" } },
        "GET //a": { integration: { type: "mock" } },
      },
    });
    expect(bundle.routes.map((r) => r.key)).toEqual(["$default", "ANY /{proxy+}", "GET /a", "POST /b"]);
    expect(bundle.routes.map((r) => [r.method, r.path])).toEqual([
      ["ANY", "$default"],
      ["ANY", "/{proxy+}"],
      ["GET", "/a"],
      ["POST", "/b"],
    ]);
  });

  it("gives a 64-hex-character id", async () => {
    const { id } = await compileDefinition(minimal());
    expect(id).toMatch(/^[0-9a-f]{64}$/);
  });

  it("gives the same id for the same definition written in another order", async () => {
    const a = {
      name: "petstore",
      description: "pets",
      stages: { prod: { variables: { a: "1", b: "2" } }, dev: { description: "dev" } },
      models: { Pet: { type: "object", required: ["name"] }, Owner: { type: "string" } },
      routes: {
        "GET /pets": { integration: { type: "http_proxy", uri: "https://b.example.com/pets", timeoutMs: 1000 } },
        "POST /pets": { validate: { body: "Pet", query: ["q"] }, integration: { type: "mock", status: 201 } },
      },
    };
    const b = {
      routes: {
        "post /pets/": { integration: { status: 201, type: "mock" }, validate: { query: ["q"], body: "Pet" } },
        "GET /pets": { integration: { timeoutMs: 1000, uri: "https://b.example.com/pets", type: "http_proxy" } },
      },
      models: { Owner: { type: "string" }, Pet: { required: ["name"], type: "object" } },
      stages: { dev: { description: "dev" }, prod: { variables: { b: "2", a: "1" } } },
      description: "pets",
      name: "petstore",
    };
    const [x, y] = await Promise.all([compileDefinition(a), compileDefinition(b)]);
    expect(x.id).toBe(y.id);
    expect(x.bundle).toEqual(y.bundle);
    // and compiling twice is stable
    expect((await compileDefinition(a)).id).toBe(x.id);
  });

  it("gives a different id for any change", async () => {
    const base = await compileDefinition(minimal());
    const variants: unknown[] = [
      { ...minimal(), name: "petstore2" },
      { ...minimal(), flavor: "http" },
      { ...minimal(), description: "x" },
      { ...minimal(), stages: { prod: { variables: { backend: "https://pets.example.org" } } } },
      { ...minimal(), stages: { prod: {}, dev: {} } },
      { ...minimal(), routes: { "GET /pets": { integration: { type: "http_proxy", uri: "${stageVariables.backend}/pets", timeoutMs: 28999 } } } },
      { ...minimal(), routes: { "POST /pets": { integration: { type: "http_proxy", uri: "${stageVariables.backend}/pets" } } } },
      { ...minimal(), routes: { "GET /pets": { integration: { type: "http", uri: "${stageVariables.backend}/pets" } } } },
      { ...minimal(), settings: { maxBodyBytes: 10485759 } },
      { ...minimal(), models: { Pet: { type: "object" } } },
      { ...minimal(), cors: { allowOrigins: ["*"] } },
    ];
    const ids = await Promise.all(variants.map(async (v) => (await compileDefinition(v)).id));
    for (const id of ids) expect(id).not.toBe(base.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("stores an inline body schema as the model $route:<normalised key>", async () => {
    const schema = { type: "object", required: ["name"], properties: { owner: { $ref: "#/models/Owner" } } };
    const { bundle } = await compileDefinition({
      ...minimal(),
      models: { Owner: { type: "string" } },
      routes: { "post /pets/": { validate: { body: schema }, integration: { type: "mock" } } },
    });
    expect(INLINE_MODEL_PREFIX).toBe("$route:");
    const route = bundle.routes[0]!;
    expect(route.validate).toEqual({ body: "$route:POST /pets", headers: [], path: [], query: [] });
    expect(Object.keys(bundle.models).sort()).toEqual(["$route:POST /pets", "Owner"]);
    const stored = bundle.models["$route:POST /pets"] as { properties: { owner: { $ref: string } } };
    expect(stored.properties.owner.$ref).not.toBe("#/models/Owner");
    expect(stored.properties.owner.$ref).toMatch(/\/Owner$/);
  });

  it("rewrites both model reference forms to one canonical reference", async () => {
    const { bundle } = await compileDefinition({
      ...minimal(),
      models: {
        Status: { type: "object" },
        Local: { type: "object", properties: { status: { $ref: "#/models/Status" } } },
        Amazon: {
          type: "object",
          properties: { status: { oneOf: [{ type: "null" }, { $ref: "https://apigateway.amazonaws.com/restapis/abc/models/Status" }] } },
        },
        Internal: { definitions: { x: { type: "string" } }, properties: { x: { $ref: "#/definitions/x" } } },
      },
    });
    const local = (bundle.models.Local as { properties: { status: { $ref: string } } }).properties.status.$ref;
    const amazon = (bundle.models.Amazon as { properties: { status: { oneOf: [unknown, { $ref: string }] } } }).properties.status.oneOf[1].$ref;
    expect(local).toBe(amazon);
    expect(local).toMatch(/^https:\/\/.+\/Status$/);
    expect(local).not.toContain("amazonaws");
    // references inside a model are left alone
    expect((bundle.models.Internal as { properties: { x: { $ref: string } } }).properties.x.$ref).toBe("#/definitions/x");
  });

  it("reports an unknown model reference (either form) and refuses to compile", async () => {
    const def = {
      ...minimal(),
      models: {
        A: { $ref: "#/models/Missing" },
        B: { items: { $ref: "https://apigateway.amazonaws.com/restapis/abc/models/Gone" }, type: "array" },
      },
    };
    expect(formatted(checkDefinition(def))).toEqual(['models.A: $ref to unknown model "Missing"', 'models.B: $ref to unknown model "Gone"']);
    const failure = await compileDefinition(def).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DefinitionError);
    expect((failure as DefinitionError).errors).toHaveLength(2);
    expect((failure as DefinitionError).message).toContain('models.A: $ref to unknown model "Missing"');
  });

  it("does not modify the definition it is given", async () => {
    const def = {
      ...minimal(),
      models: { S: { type: "string" }, M: { properties: { s: { $ref: "#/models/S" } } } },
      routes: { "GET /m": { integration: { type: "mock", body: { a: 1 } } } },
    };
    const copy = JSON.parse(JSON.stringify(def));
    await compileDefinition(def);
    expect(def).toEqual(copy);
  });
});
