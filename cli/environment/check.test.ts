/**
 * What `validate` and `deploy` check in the environment, on plain values: a wrangler config read from TOML, local
 * secret names, and definitions that name bindings, secrets and stage variables well and badly.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatPath, type FieldError } from "../../src/config/field-errors.ts";
import { checkBindings, checkEnvironment, type Environment, type EnvironmentReport } from "./check.ts";
import { dotenvNames, dotenvValue, readLocalSecrets } from "./dev-vars.ts";
import { embeddedBundlePath, readWranglerConfig } from "./wrangler-config.ts";

const dir = mkdtempSync(join(tmpdir(), "portico-env-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG = join(dir, "wrangler.toml");
writeFileSync(
  CONFIG,
  `name = "gw"
main = "src/index.ts"
[alias]
"@portico/embedded-bundle" = "./.portico/embedded-bundle.json"
[vars]
PLAIN = "x"
[[services]]
binding = "ORDERS"
service = "orders-worker"
[[services]]
binding = "AUTHZ"
service = "authz-worker"
[[queues.producers]]
binding = "JOBS"
queue = "jobs"
[[r2_buckets]]
binding = "FILES"
bucket_name = "files"
[[workflows]]
binding = "FLOW"
name = "flow"
class_name = "Flow"
[[vpc_services]]
binding = "PRIVATE_API"
service_id = "0199f3a0-0000-7000-8000-000000000000"
[[kv_namespaces]]
binding = "CACHE"
id = "1"
`,
);
const config = readWranglerConfig(CONFIG);
const local = (): Environment => ({ config, secrets: { kind: "local", local: readLocalSecrets(CONFIG) } });
const lines = (list: FieldError[]) => list.map((e) => `${formatPath(e.path)}: ${e.message}`);

describe("the wrangler config", () => {
  it("lists service, queue, R2 and KV bindings and vars, and where the embedded bundle goes", () => {
    expect(config.services).toEqual(["ORDERS", "AUTHZ"]);
    expect(config.queues).toEqual(["JOBS"]);
    expect(config.buckets).toEqual(["FILES"]);
    expect(config.workflows).toEqual(["FLOW"]);
    expect(config.vpcServices).toEqual(["PRIVATE_API"]);
    expect(config.kvNamespaces).toEqual(["CACHE"]);
    expect(config.vars).toEqual(["PLAIN"]);
    expect(embeddedBundlePath(config)).toBe(join(dir, ".portico", "embedded-bundle.json"));
  });

  it("reports a TOML syntax error as a usage error naming the file", () => {
    const bad = join(dir, "bad.toml");
    writeFileSync(bad, "name = \n");
    expect(() => readWranglerConfig(bad)).toThrow(new RegExp(`^${bad}: `));
  });
});

describe("bindings", () => {
  it("accepts declared ones and names the undeclared with a guess, for every kind", () => {
    const report: EnvironmentReport = { errors: [], warnings: [] };
    checkBindings(
      [
        { kind: "service", name: "ORDERS", path: ["a"] },
        { kind: "service", name: "ORDRES", path: ["b"] },
        { kind: "queue", name: "JOB", path: ["c"] },
        { kind: "bucket", name: "IMAGES", path: ["d"] },
      ],
      config,
      report,
    );
    expect(lines(report.errors)).toEqual([
      `b: no service binding "ORDRES" in ${CONFIG} (did you mean "ORDERS"?)`,
      `c: no queue producer binding "JOB" in ${CONFIG} (did you mean "JOBS"?)`,
      `d: no R2 bucket binding "IMAGES" in ${CONFIG} (it has FILES)`,
    ]);
  });

  it("finds service names in every integration and custom authorizer", () => {
    const definition = {
      stages: { prod: {} },
      authorizers: { custom: { type: "custom", service: "AUTHZ" }, wrong: { type: "custom", service: "AUTHZZ" } },
      routes: {
        "GET /a": { integration: { type: "service", service: "ORDERS" } },
        "GET /b": { integration: { type: "http_proxy", uri: "https://x", service: "NOPE" } },
        "GET /c": { integration: { type: "http", uri: "https://x", service: "ORDERS" } },
      },
    };
    expect(lines(checkEnvironment(definition, local()).errors).map((l) => l.split(" in ")[0])).toEqual([
      'authorizers.wrong.service: no service binding "AUTHZZ"',
      'routes["GET /b"].integration.service: no service binding "NOPE"',
    ]);
  });

  it("finds the queues, buckets and Workflows integrations name, and a private integration's service or VPC service", () => {
    const definition = {
      stages: { prod: {} },
      routes: {
        "POST /q": { integration: { type: "queue", queue: "JOBS" } },
        "POST /q2": { integration: { type: "queue", queue: "JOBZ" } },
        "GET /f/{k}": { integration: { type: "r2", bucket: "FILEZ", key: "{k}" } },
        "POST /w": { integration: { type: "workflow", workflow: "FLOWS" } },
        "GET /p1": { integration: { type: "http_proxy", uri: "http://api.internal", connectionType: "VPC_LINK", connectionId: "PRIVATE_API" } },
        "GET /p2": { integration: { type: "http_proxy", uri: "http://api.internal", connectionType: "VPC_LINK", connectionId: "ORDERS" } },
        "GET /p3": { integration: { type: "http_proxy", uri: "http://api.internal", connectionType: "VPC_LINK", connectionId: "PRIVATE_APX" } },
      },
    };
    expect(lines(checkEnvironment(definition, local()).errors)).toEqual([
      `routes["POST /q2"].integration.queue: no queue producer binding "JOBZ" in ${CONFIG} (did you mean "JOBS"?)`,
      `routes["GET /f/{k}"].integration.bucket: no R2 bucket binding "FILEZ" in ${CONFIG} (did you mean "FILES"?)`,
      `routes["POST /w"].integration.workflow: no Workflow binding "FLOWS" in ${CONFIG} (did you mean "FLOW"?)`,
      `routes["GET /p3"].integration.connectionId: no service or VPC service binding "PRIVATE_APX" in ${CONFIG} (did you mean "PRIVATE_API"?)`,
    ]);
  });
});

describe("secrets", () => {
  const definition = {
    stages: { prod: { cache: { encryptionSecret: "CACHE_KEY" } } },
    authorizers: { hs: { type: "jwt", issuer: "me", secret: "JWT_SECRET" }, sig: { type: "sigv4", credentials: { AKIAEXAMPLEKEY00001: "AWS_SECRET" } } },
    routes: { "GET /a": { integration: { type: "mock" } } },
  };

  it("are checked against --secrets when given", () => {
    const env: Environment = { config, secrets: { kind: "list", names: new Set(["JWT_SECRET", "CACHE_KEY"]) } };
    expect(lines(checkEnvironment(definition, env).errors)).toEqual([
      'authorizers.sig.credentials.AKIAEXAMPLEKEY00001: secret "AWS_SECRET" is not among the secrets given with --secrets',
    ]);
  });

  it("are warnings naming what to set when nothing can be checked (a remote Worker)", () => {
    const report = checkEnvironment(definition, { config, secrets: { kind: "unchecked" } });
    expect(report.errors).toEqual([]);
    expect(lines(report.warnings)).toContain('authorizers.hs.secret: secret "JWT_SECRET" must be set on the Worker (wrangler secret put JWT_SECRET); pass --secrets to check');
    expect(report.warnings).toHaveLength(3);
  });

  it("locally: .dev.vars decides; .dev.vars.example only hints, and [vars] count", () => {
    writeFileSync(join(dir, ".dev.vars.example"), "# local secrets\nJWT_SECRET=change-me\nAWS_SECRET=x\n");
    let report = checkEnvironment(definition, local());
    expect(lines(report.warnings).map((l) => l.split(" is in ")[0])).toEqual(['authorizers.hs.secret: secret "JWT_SECRET"', 'authorizers.sig.credentials.AKIAEXAMPLEKEY00001: secret "AWS_SECRET"']);
    expect(lines(report.errors)).toEqual([expect.stringMatching(/^stages\.prod\.cache\.encryptionSecret: secret "CACHE_KEY" is in neither \.dev\.vars nor \.dev\.vars\.example/)]);

    writeFileSync(join(dir, ".dev.vars"), 'export JWT_SECRET="s3cret"\nCACHE_KEY = k\n');
    report = checkEnvironment(definition, local());
    expect(report.warnings).toEqual([]);
    expect(lines(report.errors)).toEqual([expect.stringMatching(/^authorizers\.sig\.credentials\.AKIAEXAMPLEKEY00001: secret "AWS_SECRET" is not in .*\.dev\.vars \(.*\.dev\.vars\.example has it: copy it over\)$/)]);
    rmSync(join(dir, ".dev.vars"));
    rmSync(join(dir, ".dev.vars.example"));
  });

  it("include an AWS integration's credentials, each by its field", () => {
    const aws = {
      stages: { prod: {} },
      routes: { "POST /q": { integration: { type: "aws", uri: "arn:aws:apigateway:us-east-1:sqs:action/SendMessage", credentials: { accessKeyId: "AWS_KEY_ID", secretAccessKey: "AWS_KEY", sessionToken: "AWS_TOKEN" } } } },
    };
    const env: Environment = { config, secrets: { kind: "list", names: new Set(["AWS_KEY_ID", "AWS_KEY"]) } };
    expect(lines(checkEnvironment(aws, env).errors)).toEqual(['routes["POST /q"].integration.credentials.sessionToken: secret "AWS_TOKEN" is not among the secrets given with --secrets']);
  });

  it("reads names and values as dotenv writes them", () => {
    const text = "# comment\n\nA=1\nexport B = 'two words'\nC=\"q\" \nD=x # trailing\nnot a line\n";
    expect(dotenvNames(text)).toEqual(["A", "B", "C", "D"]);
    expect([dotenvValue(text, "B"), dotenvValue(text, "C"), dotenvValue(text, "D"), dotenvValue(text, "E")]).toEqual(["two words", "q", "x", undefined]);
  });
});

describe("stage variables", () => {
  const definition = {
    stages: { prod: { variables: { backend: "https://a", extra: "1" } }, dev: { variables: { backend: "https://b" } } },
    authorizers: { c: { type: "custom", service: "AUTHZ", identitySource: ["$request.header.Authorization", "$stageVariables.tenant"] } },
    routes: {
      "GET /ok": { integration: { type: "http_proxy", uri: "${stageVariables.backend}/ok" } },
      "GET /typo": { integration: { type: "http_proxy", uri: "${stageVariables.backnd}/x", headers: { "x-extra": "${stageVariables.extra}" } } },
      "GET /svc": { integration: { type: "service", service: "ORDERS", path: "/v/${stageVariables.version}" } },
    },
  };
  const mapped = {
    stages: { prod: { variables: { tenant: "t" } } },
    routes: {
      "GET /rest": {
        integration: {
          type: "http",
          uri: "https://b.example/x",
          requestParameters: { "integration.request.header.x-tenant": "stageVariables.tenant", "integration.request.header.x-region": "stageVariables.region" },
          responses: { default: { statusCode: 200, responseParameters: { "method.response.header.x-build": "stageVariables.build" } } },
          requestTemplates: { "application/json": '{"debug": "$stageVariables.debug"}' },
        },
      },
    },
  };
  const mappedHttp = {
    flavor: "http",
    stages: { prod: { variables: { tenant: "t" } } },
    routes: {
      "GET /h": {
        integration: {
          type: "http_proxy",
          uri: "https://b.example/h",
          requestParameters: { "overwrite:header.x-tenant": "${stageVariables.tenant}-$stageVariables.zone" },
          responseParameters: { "200": { "overwrite:header.x-build": "$stageVariables.build" } },
        },
      },
    },
  };

  it("in the new kinds' templates: an AWS endpoint and ARN path, an R2 key, a Workflow instance id", () => {
    const kinds = {
      stages: { prod: { variables: { aws: "http://localhost:4566", tenant: "t" } } },
      routes: {
        "GET /a/{k}": { integration: { type: "aws", uri: "arn:aws:apigateway:us-east-1:s3:path/${stageVariables.bucket}/{k}", endpoint: "${stageVariables.aws}", credentials: { accessKeyId: "A", secretAccessKey: "B" } } },
        "GET /f/{k}": { integration: { type: "r2", bucket: "FILES", key: "${stageVariables.tenant}/{k}" } },
        "GET /w/{id}": { integration: { type: "workflow", workflow: "FLOW", action: "status", instanceId: "${stageVariables.prefix}-{id}" } },
      },
    };
    expect(lines(checkEnvironment(kinds, local()).errors).filter((l) => l.includes("stage variable"))).toEqual([
      'routes["GET /a/{k}"].integration.uri: stage variable "bucket" is not defined in any stage',
      'routes["GET /w/{id}"].integration.instanceId: stage variable "prefix" is not defined in any stage',
    ]);
  });

  it("used in no stage is an error with a guess; missing in some stages a warning (a canary may set it)", () => {
    const report = checkEnvironment(definition, local());
    expect(lines(report.errors)).toEqual([
      'authorizers.c.identitySource[1]: stage variable "tenant" is not defined in any stage',
      'routes["GET /typo"].integration.uri: stage variable "backnd" is not defined in any stage (did you mean "backend"?)',
      'routes["GET /svc"].integration.path: stage variable "version" is not defined in any stage',
    ]);
    expect(lines(report.warnings)).toEqual([
      'routes["GET /typo"].integration.headers["x-extra"]: stage variable "extra" is not defined in stage dev: it renders empty there unless a canary\'s overrides set it',
    ]);
  });

  it("in parameter mappings (REST sources, HTTP-flavour values) as in URIs; templates are not held to it", () => {
    expect(lines(checkEnvironment(mapped, local()).errors)).toEqual([
      'routes["GET /rest"].integration.requestParameters["integration.request.header.x-region"]: stage variable "region" is not defined in any stage',
      'routes["GET /rest"].integration.responses.default.responseParameters["method.response.header.x-build"]: stage variable "build" is not defined in any stage',
    ]);
    expect(lines(checkEnvironment(mappedHttp, local()).errors)).toEqual([
      'routes["GET /h"].integration.requestParameters["overwrite:header.x-tenant"]: stage variable "zone" is not defined in any stage',
      'routes["GET /h"].integration.responseParameters["200"]["overwrite:header.x-build"]: stage variable "build" is not defined in any stage',
    ]);
  });

  it("deploying one stage: missing there is an error, or a warning for a canary deploy", () => {
    const prod = checkEnvironment(definition, local(), { stage: "prod" });
    expect(prod.errors.map((e) => formatPath(e.path))).not.toContain('routes["GET /typo"].integration.headers["x-extra"]');
    const dev = checkEnvironment(definition, local(), { stage: "dev" });
    expect(lines(dev.errors)).toContain('routes["GET /typo"].integration.headers["x-extra"]: stage variable "extra" is not defined in stage dev (stage prod defines it)');
    const canary = checkEnvironment(definition, local(), { stage: "dev", canary: true });
    expect(canary.errors).toEqual([]);
    expect(lines(canary.warnings)).toContain(
      'routes["GET /typo"].integration.headers["x-extra"]: stage variable "extra" is not defined in stage dev: it renders empty unless the canary\'s overrides set it',
    );
  });
});
