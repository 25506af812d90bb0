/**
 * The migration path with the real binary: `portico import` (output, the list of what is not carried over, exit
 * codes, --json, bad input), `portico validate` on an export as it is, `portico export` and back, and the one
 * command a team leaving Amazon runs first — `portico dev` on Amazon's PetStore example export — serving it
 * through wrangler dev, its demo backend stood in for by a local server (--backend).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackend, type BackendServer } from "../support/backend-server.ts";
import { isolatedCheckout, REPO_ROOT, runCli, type Checkout } from "./support/checkout.ts";
import { startDev, type DevServer } from "./support/dev-server.ts";
import { eventually } from "./support/processes.ts";

const CLI = join(REPO_ROOT, "cli", "portico.mjs");
const FIXTURES = join(REPO_ROOT, "test", "fixtures", "aws");
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "portico-import-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const portico = (...args: string[]) => runCli(CLI, args, dir);
const fixture = (name: string) => join(FIXTURES, name);

describe("portico import", () => {
  it("writes the definition and lists what it did not carry over; exit 0 when nothing would serve wrongly", async () => {
    const out = join(dir, "petstore.yaml");
    const { status, stderr } = await portico("import", fixture("petstore-example.swagger2.json"), "-o", out, "--stage", "test");
    expect(status, stderr).toBe(0);
    expect(stderr).toMatch(/petstore-example\.swagger2\.json: swagger2 imported into .*petstore\.yaml: 6 routes; not carried over: 2 \(0 that would serve wrongly\)/);
    expect(stderr).toContain('  warning: ["x-amazon-apigateway-documentation"]: not carried over: documentation parts');
    const text = readFileSync(out, "utf8");
    expect(text).toMatch(/^# Imported from .*petstore-example\.swagger2\.json by portico import; 2 items not carried over/);
    const def = parse(text);
    expect(Object.keys(def.routes)).toEqual(["GET /", "GET /pets", "POST /pets", "OPTIONS /pets", "GET /pets/{petId}", "OPTIONS /pets/{petId}"]);
    expect(def.stages).toEqual({ test: {} });
    expect((await portico("validate", out, "--skip-env-check")).status).toBe(0);
  });

  it("exit 1 when the result would serve wrongly: the errors at the template's JSON paths, the definition still written", async () => {
    const { status, stdout, stderr } = await portico("import", fixture("http-api-jwt-lambda.cfn.json"), "--lambda", "HttpApiFunction=HELLO_FN");
    expect(status).toBe(1);
    expect(stderr).toContain('  error: Resources.MyApi.Properties.Body.paths["/basic"].post["x-amazon-apigateway-integration"].uri: an intrinsic function the import could not resolve: the integration is not carried over');
    expect(stderr).toMatch(/exit 1: the result would serve wrongly until the errors above are fixed$/m);
    const def = parse(stdout);
    expect(def.flavor).toBe("http");
    expect(def.routes["POST /integration"].integration).toEqual({ type: "service", service: "HELLO_FN", payloadFormat: "1.0" });
    expect(def.routes["POST /basic"]).toBeUndefined();
  });

  it("--json, and a mapping file with flags over it", async () => {
    const map = join(dir, "map.yaml");
    writeFileSync(map, "lambda:\n  HttpApiFunction: FROM_FILE\n  DifferentFunction: OTHER_FN\nstages: [live]\n");
    const { status, stdout } = await portico("import", fixture("http-api-jwt-lambda.cfn.json"), "--map", map, "--lambda", "HttpApiFunction=FROM_FLAG", "--json");
    expect(status).toBe(0);
    const body = JSON.parse(stdout);
    expect(body).toMatchObject({ kind: "cloudformation", output: null, routes: 5 });
    expect(body.definition.stages).toEqual({ live: {} });
    expect(body.definition.routes["POST /basic"].integration.service).toBe("OTHER_FN");
    expect(body.definition.routes["POST /oauth2"].integration.service).toBe("FROM_FLAG");
    expect(body.issues.every((i: { severity: string }) => i.severity === "warning")).toBe(true);
  });

  it("bad input: not an export, unreadable, a syntax error, a bad flag, a bad mapping file — exit 2, one line and the field errors", async () => {
    const portico_ = join(dir, "api.yaml");
    writeFileSync(portico_, "name: a\nstages: { prod: {} }\nroutes: { GET /a: { integration: { type: mock } } }\n");
    const notExport = await portico("import", portico_);
    expect(notExport).toMatchObject({ status: 2, stdout: "" });
    expect(notExport.stderr).toMatch(/api\.yaml: not an OpenAPI 3\.0 or Swagger 2\.0 document, nor a CloudFormation or SAM template\n$/);
    expect(await portico("import", join(dir, "missing.json"))).toMatchObject({ status: 2, stderr: expect.stringMatching(/cannot read .*missing\.json: ENOENT/) });
    writeFileSync(join(dir, "broken.json"), '{"swagger": "2.0",');
    expect((await portico("import", join(dir, "broken.json"))).stderr).toMatch(/broken\.json: cannot be read\n  \(root\): line \d+, column \d+: /);
    expect(await portico("import", fixture("sam-inline-swagger.yaml"), "--lambda", "NoEquals")).toMatchObject({ status: 2, stderr: '--lambda takes NAME=VALUE, got "NoEquals"\n' });
    const map = join(dir, "bad-map.yaml");
    writeFileSync(map, "lambda: { Fn: lower_case }\nunknown: 1\n");
    const bad = await portico("import", fixture("sam-inline-swagger.yaml"), "--map", map);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("  unknown: unknown field");
    expect(bad.stderr).toContain('  lambda.Fn: "lower_case" is not a binding name (A-Z, 0-9 and _)');
  });
});

describe("an export as it is", () => {
  it("validate: a mapping template that does not compile, reported at its JSON path (exit 1)", async () => {
    const doc = JSON.parse(readFileSync(fixture("petstore-example.swagger2.json"), "utf8"));
    doc.paths["/"].get["x-amazon-apigateway-integration"].responseTemplates = undefined;
    doc.paths["/"].get["x-amazon-apigateway-integration"].responses.default.responseTemplates["text/html"] = "#foreach($x in $y)\nno end";
    const file = join(dir, "bad-template.json");
    writeFileSync(file, JSON.stringify(doc));
    const { status, stderr } = await portico("validate", file, "--skip-env-check");
    expect(status).toBe(1);
    expect(stderr).toContain('  paths["/"].get["x-amazon-apigateway-integration"].responses.default.responseTemplates["text/html"]: line 1, column 1: #foreach has no matching #end');
  });

  it("validate: an OpenAPI 3 document without Amazon's extensions is no export to serve; import says what it can", async () => {
    const file = join(dir, "plain.yaml");
    writeFileSync(file, "openapi: 3.0.1\ninfo: { title: plain }\npaths:\n  /a: { get: { responses: {} } }\n");
    expect(await portico("validate", file, "--skip-env-check")).toMatchObject({
      status: 1,
      stderr: expect.stringContaining("(root): an OpenAPI document without Amazon's x-amazon-apigateway-* extensions: `portico import` converts it"),
    });
    const imported = await portico("import", file);
    expect(imported.status).toBe(1);
    expect(imported.stderr).toContain('warning: paths["/a"].get: no x-amazon-apigateway-integration: Amazon serves nothing for this method, and neither does Portico');
  });

  it("export → import: the example API written as OpenAPI 3.0 with Amazon's extensions, read back to a valid definition", async () => {
    const out = join(dir, "example.json");
    expect((await portico("export", join(REPO_ROOT, "examples", "petstore", "api.yaml"), "-o", out)).status).toBe(0);
    const doc = JSON.parse(readFileSync(out, "utf8"));
    expect(doc.openapi).toBe("3.0.1");
    expect(doc.paths["/pets"].get["x-amazon-apigateway-integration"]).toMatchObject({ type: "http_proxy", uri: "${stageVariables.petsUrl}/pets" });
    const back = join(dir, "example-back.yaml");
    const imported = await portico("import", out, "-o", back);
    expect(imported.status, imported.stderr).toBe(0);
    expect((await portico("validate", back, "--skip-env-check")).status).toBe(0);
    expect((await portico("export", join(REPO_ROOT, "examples", "petstore", "api.yaml"), "--format", "swagger2")).status).toBe(2);
  });

  it("AWS service integrations: --aws-secrets and --aws-endpoint say what the IAM role and AWS's endpoint become; export writes them back; queue, r2 and workflow are Portico's only", async () => {
    const out = join(dir, "storage.yaml");
    const imported = await portico("import", fixture("s3-sqs-service-proxy.swagger2.json"), "-o", out, "--aws-secrets", "S3_KEY_ID,S3_SECRET", "--aws-endpoint", "http://127.0.0.1:9000");
    expect(imported.status, imported.stderr).toBe(0);
    expect(imported.stderr).toContain("the IAM role arn:aws:iam::123456789012:role/apigAwsProxyRole is not carried over: Portico signs with the access key in the Worker secrets S3_KEY_ID and S3_SECRET; give that key only what the role allowed");
    const def = parse(readFileSync(out, "utf8"));
    expect(def.routes["GET /{folder}/{item}"].integration).toMatchObject({
      type: "aws",
      uri: "arn:aws:apigateway:us-west-2:s3:path/{bucket}/{object}",
      credentials: { accessKeyId: "S3_KEY_ID", secretAccessKey: "S3_SECRET" },
      endpoint: "http://127.0.0.1:9000",
    });
    const exported = join(dir, "storage.json");
    expect((await portico("export", out, "-o", exported)).status).toBe(0);
    const back = await portico("import", exported, "--json");
    expect(back.status, back.stderr).toBe(0);
    expect(JSON.parse(back.stdout).definition.routes).toEqual(def.routes);
    expect(await portico("import", fixture("s3-sqs-service-proxy.swagger2.json"), "--aws-secrets", "ONLY_ONE")).toMatchObject({
      status: 2,
      stderr: '--aws-secrets takes ACCESS_KEY_ID_SECRET,SECRET_ACCESS_KEY_SECRET[,SESSION_TOKEN_SECRET], got "ONLY_ONE"\n',
    });

    const queue = join(dir, "queue.yaml");
    writeFileSync(queue, "name: jobs\nstages: { prod: {} }\nroutes:\n  POST /jobs: { integration: { type: queue, queue: JOBS } }\n");
    const written = await portico("export", queue, "-o", join(dir, "queue.json"));
    expect(written.status).toBe(0);
    expect(written.stderr).toContain('warning: routes["POST /jobs"].integration: a queue integration (a Cloudflare binding) has no Amazon equivalent: written in x-portico only, so Amazon API Gateway would refuse to import this method');
    const again = await portico("import", join(dir, "queue.json"), "--json");
    expect(JSON.parse(again.stdout).definition.routes).toEqual({ "POST /jobs": { integration: { type: "queue", queue: "JOBS" } } });
  });

  it("WebSocket APIs: export refuses one (exit 2, one line, nothing written); import lists one as not carried over", async () => {
    const out = join(dir, "chat.json");
    const chat = join(REPO_ROOT, "examples", "chat", "api.yaml");
    expect(await portico("export", chat, "-o", out)).toEqual({
      status: 2,
      stdout: "",
      stderr: `${chat}: a WebSocket API (flavor: websocket) cannot be exported: Amazon's OpenAPI exports and extensions describe REST and HTTP APIs only\n`,
    });
    expect(existsSync(out)).toBe(false);
    const template = join(dir, "chat.cfn.yaml");
    writeFileSync(template, "Resources:\n  Chat: { Type: AWS::ApiGatewayV2::Api, Properties: { Name: chat, ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action } }\n");
    const imported = await portico("import", template);
    expect(imported.status).toBe(1);
    expect(imported.stdout).toBe("");
    expect(imported.stderr).toContain("  error: Resources.Chat.Properties.ProtocolType: a WebSocket API: not carried over (import reads REST and HTTP APIs; write it as a flavor: websocket definition, docs/websockets.md)");
  });
});

describe("portico dev on Amazon's PetStore example export", () => {
  let checkout: Checkout;
  let backend: BackendServer;
  let server: DevServer | undefined;
  beforeAll(async () => {
    checkout = isolatedCheckout();
    backend = await startBackend();
  });
  afterAll(async () => {
    await server?.dispose();
    await backend?.close();
    checkout?.dispose();
  });

  it("serves it as it is: the MOCK root page, the HTTP integrations through the stand-in backend, Amazon's 403", async () => {
    const file = join(checkout.dir, "test", "fixtures", "aws", "petstore-example.swagger2.json");
    server = await startDev(checkout.dir, [process.execPath, join(checkout.dir, "cli", "portico.mjs"), "dev", file, "--backend", `http://petstore.execute-api.us-east-1.amazonaws.com=${backend.url}`]);
    expect(server.output.text()).toContain("not carried over: documentation parts");
    const root = await eventually("the root page", () => fetch(`${server!.url}/prod/`).then(async (r) => ({ status: r.status, type: r.headers.get("content-type"), body: await r.text() })), (r) => r.status === 200);
    expect(root.type).toBe("text/html");
    expect(root.body).toContain('<a href="/prod/pets/" target="_blank">');
    const pets = await fetch(`${server.url}/prod/pets?type=dog`);
    expect(await pets.json()).toEqual([{ id: 1, type: "dog", price: 249.99 }]);
    expect(pets.headers.get("access-control-allow-origin")).toBe("*");
    expect((await fetch(`${server.url}/prod/owners`)).status).toBe(403);
    await server.stop();
    server = undefined;
  }, 120_000);
});
