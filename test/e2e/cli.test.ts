/**
 * The `portico` command as a user runs it — a child process, its output streams and its exit code — for what
 * needs no dev server: validate (the definition and the environment it names), --help on every command and
 * subcommand, failures as one line with a documented exit code (JSON with --json), servers that are not
 * Portico, diff on files, and build's progress and per-process output. `portico dev`: dev.test.ts.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMANDS } from "../../cli/main.ts";
import { REPO_ROOT, isolatedCheckout, runCli, type Checkout } from "./support/checkout.ts";

const CLI = join(REPO_ROOT, "cli", "portico.mjs");
const portico = (...args: string[]) => runCli(CLI, args, REPO_ROOT);
const inDir = (cwd: string, ...args: string[]) => runCli(CLI, args, cwd);
const NO_STACK = /^\s+at |Error:|TypeError/m;

let files: string;
beforeAll(() => {
  files = mkdtempSync(join(tmpdir(), "portico-cli-"));
});
afterAll(() => rmSync(files, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(files, name);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  return path;
}

describe("portico validate", () => {
  it("prints every error as `field.path: message` on stderr, without a stack, and exits 1", async () => {
    const bad = file(
      "bad.yaml",
      [
        "name: Pet Store",
        "stages:",
        "  prod: {}",
        "domains:",
        "  - { host: api.example.com, stage: staging }",
        "models:",
        "  Pet: { type: object }",
        "routes:",
        "  GET /pets:",
        "    validate: { body: Nope }",
        '    integration: { type: http_proxy, uri: "ftp://pets.example.com/pets" }',
        "  GET /pets/{id}:",
        "    integration: { type: mock, statuz: 200 }",
      ].join("\n"),
    );
    const { status, stdout, stderr } = await portico("validate", bad);
    expect(status).toBe(1);
    expect(stdout).toBe("");
    const [summary, ...lines] = stderr.trimEnd().split("\n");
    expect(summary).toBe(`${bad}: 5 errors`);
    // One line per error, in document order: the field's path, a colon, what is wrong with it.
    const expected: [string, RegExp][] = [
      ["name", /"Pet Store" does not match/],
      ["domains[0].stage", /unknown stage "staging"/],
      ['routes["GET /pets"].validate.body', /unknown model "Nope"/],
      ['routes["GET /pets"].integration.uri', /http:\/\/ or https:\/\//],
      ['routes["GET /pets/{id}"].integration.statuz', /unknown field.*"status"/],
    ];
    expect(lines).toHaveLength(expected.length);
    lines.forEach((line, i) => {
      const [path, message] = expected[i]!;
      expect(line.trim().startsWith(`${path}: `), line).toBe(true);
      expect(line.trim().slice(path.length + 2)).toMatch(message);
    });
    expect(stderr).not.toMatch(NO_STACK);
  });

  it("reports a YAML syntax error with its place, and exits 1", async () => {
    const { status, stderr } = await portico("validate", file("broken.yaml", "name: x\nroutes: {\n"));
    expect(status).toBe(1);
    expect(stderr).toMatch(/line \d+/);
    expect(stderr).not.toMatch(NO_STACK);
  });

  it("exits 0 on a valid file", async () => {
    const example = join(REPO_ROOT, "examples", "petstore", "api.yaml");
    const { status, stdout, stderr } = await portico("validate", example);
    expect(status).toBe(0);
    expect(stdout.trim()).toBe(`${example}: valid`);
    expect(stderr).toBe("");
  });

  it("shows warnings on stderr without failing: a simple-format authorizer whose cached yes is shared by every route", async () => {
    const shared = file(
      "shared.yaml",
      [
        "name: shared",
        "stages: { prod: {} }",
        "authorizers:",
        "  gate: { type: custom, mode: request, identitySource: $request.header.x-token, url: https://auth.example.com/, responseFormat: simple, resultCacheScope: shared }",
        "routes:",
        "  GET /a: { authorizer: gate, integration: { type: mock } }",
      ].join("\n"),
    );
    const { status, stdout, stderr } = await portico("validate", shared);
    expect(status).toBe(0);
    // Warnings go to stderr (stdout stays empty, as for errors): the verdict line counts them.
    expect(stdout).toBe("");
    const [summary, line] = stderr.trimEnd().split("\n");
    expect(summary).toBe(`${shared}: valid (1 warning)`);
    expect(line!.trim()).toMatch(/^warning: authorizers\.gate\.resultCacheScope: shared: one cached yes opens every route/);
    const json = await portico("validate", shared, "--json");
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, errors: [], warnings: [{ path: "authorizers.gate.resultCacheScope" }] });
  });

  it("exits 2 when the file cannot be read", async () => {
    const missing = join(files, "missing.yaml");
    const { status, stderr } = await portico("validate", missing);
    expect(status).toBe(2);
    expect(stderr.trim()).toBe(`cannot read ${missing}: ENOENT`);
  });
});

describe("portico validate knows the environment", () => {
  // A project of its own: its wrangler.toml declares one service binding, .dev.vars one secret.
  let project: string;
  beforeAll(() => {
    project = join(files, "project");
    file("project/wrangler.toml", 'name = "gw"\nmain = "src/index.ts"\n[[services]]\nbinding = "ORDERS"\nservice = "orders-worker"\n');
    file("project/.dev.vars", "ADMIN_TOKEN=t\nJWT_SECRET=s\n");
    file("project/.dev.vars.example", "ADMIN_TOKEN=\nJWT_SECRET=\nOTHER_SECRET=\n");
  });
  const typo = () =>
    file(
      "project/api.yaml",
      [
        "name: orders",
        "stages:",
        '  prod: { variables: { backend: "https://orders.internal", region: eu } }',
        '  dev: { variables: { backend: "https://orders-dev.internal" } }',
        "authorizers:",
        "  hs: { type: jwt, issuer: me, audience: orders, secret: JWT_SECRET }",
        "  other: { type: jwt, issuer: me, audience: orders, secret: OTHER_SECRET }",
        "routes:",
        "  GET /orders/{id}:",
        '    integration: { type: http_proxy, uri: "${stageVariables.backnd}/orders/{id}" }',
        "  GET /lines:",
        '    integration: { type: service, service: ORDRES, path: "/lines" }',
        "  GET /region:",
        '    integration: { type: http_proxy, uri: "${stageVariables.backend}/r", headers: { x-region: "${stageVariables.region}" } }',
      ].join("\n"),
    );

  it("names a misspelt binding, a secret not in .dev.vars and an undefined stage variable by field path, and exits 1", async () => {
    const api = typo();
    const { status, stdout, stderr } = await inDir(project, "validate", "api.yaml");
    expect(status, stderr).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.trimEnd().split("\n")).toEqual([
      "api.yaml: 3 errors, 1 warning",
      '  authorizers.other.secret: secret "OTHER_SECRET" is not in .dev.vars (.dev.vars.example has it: copy it over)',
      '  routes["GET /orders/{id}"].integration.uri: stage variable "backnd" is not defined in any stage (did you mean "backend"?)',
      '  routes["GET /lines"].integration.service: no service binding "ORDRES" in wrangler.toml (did you mean "ORDERS"?)',
      `  warning: routes["GET /region"].integration.headers["x-region"]: stage variable "region" is not defined in stage dev: it renders empty there unless a canary's overrides set it`,
    ]);
    expect(api).toBeTruthy();
  });

  it("--json lists errors and warnings with their paths; --secrets checks production's names instead of .dev.vars", async () => {
    typo();
    const json = await inDir(project, "validate", "api.yaml", "--json", "--secrets", "JWT_SECRET,OTHER_SECRET");
    expect(json.status).toBe(1);
    const body = JSON.parse(json.stdout) as { valid: boolean; errors: { path: string }[]; warnings: { path: string }[]; config: string };
    expect(body.valid).toBe(false);
    expect(body.config).toBe("wrangler.toml");
    expect(body.errors.map((e) => e.path)).toEqual(['routes["GET /orders/{id}"].integration.uri', 'routes["GET /lines"].integration.service']);
    expect(body.warnings.map((e) => e.path)).toEqual(['routes["GET /region"].integration.headers["x-region"]']);
  });

  it("deploy runs the same checks, for its stage, before it contacts any server", async () => {
    typo();
    // Nothing listens on port 1: exit 1 (not 3) shows the checks refused it first.
    const refused = await inDir(project, "deploy", "api.yaml", "--stage", "prod", "--url", "http://127.0.0.1:1", "--token", "t");
    expect(refused.status).toBe(1);
    expect(refused.stderr.trimEnd().split("\n")).toEqual([
      "api.yaml: 3 errors",
      '  authorizers.other.secret: secret "OTHER_SECRET" is not in .dev.vars (.dev.vars.example has it: copy it over)',
      '  routes["GET /orders/{id}"].integration.uri: stage variable "backnd" is not defined in stage prod (did you mean "backend"?)',
      '  routes["GET /lines"].integration.service: no service binding "ORDRES" in wrangler.toml (did you mean "ORDERS"?)',
    ]);
    // Deploying to dev, the variable dev lacks is an error too; to a remote Worker secrets are warnings, not errors.
    const remote = await inDir(project, "deploy", "api.yaml", "--stage", "dev", "--url", "https://portico.invalid", "--json");
    const body = JSON.parse(remote.stdout) as { error: { errors: { path: string; message: string }[] } };
    expect(body.error.errors.map((e) => e.path)).toEqual(['routes["GET /orders/{id}"].integration.uri', 'routes["GET /lines"].integration.service', 'routes["GET /region"].integration.headers["x-region"]']);
    expect(body.error.errors[2]!.message).toBe('stage variable "region" is not defined in stage dev (stage prod defines it)');
    expect(remote.stderr).toMatch(/warning: authorizers\.hs\.secret: secret "JWT_SECRET" must be set on the Worker \(wrangler secret put JWT_SECRET\); pass --secrets to check/);
  });

  it("--skip-env-check checks the definition alone; a fixed file is valid", async () => {
    typo();
    expect((await inDir(project, "validate", "api.yaml", "--skip-env-check")).status).toBe(0);
    file("project/api.yaml", "name: orders\nstages:\n  prod: { variables: { backend: https://o } }\nroutes:\n  GET /lines:\n    integration: { type: service, service: ORDERS }\n");
    expect(await inDir(project, "validate", "api.yaml")).toMatchObject({ status: 0, stdout: "api.yaml: valid\n", stderr: "" });
  });
});

describe("every command helps itself", () => {
  const cases = COMMANDS.flatMap((c) => [[c.name], ...(c.subcommands ?? []).map((s) => [c.name, s])]);

  it("--help on every command and subcommand prints its usage on stdout and exits 0", async () => {
    expect(cases.length).toBeGreaterThan(25);
    const results = await Promise.all(cases.map((args) => portico(...args, "--help").then((r) => ({ args, ...r }))));
    for (const { args, status, stdout, stderr } of results) {
      expect(status, `portico ${args.join(" ")} --help: ${stderr}`).toBe(0);
      expect(stdout, args.join(" ")).toMatch(new RegExp(`^usage: portico ${args[0]}\\b`));
      expect(stderr, args.join(" ")).toBe("");
    }
    // -h and `portico help NAME` too.
    expect(await portico("deploy", "-h")).toMatchObject({ status: 0, stdout: expect.stringMatching(/^usage: portico deploy/) });
    expect(await portico("help", "canary")).toMatchObject({ status: 0, stdout: expect.stringMatching(/^usage: portico canary/) });
    const top = await portico("--help");
    expect(top.status).toBe(0);
    for (const c of COMMANDS) expect(top.stdout).toContain(`  ${c.name}`);
  });

  it("a usage error is one line naming the way to help, exit 2", async () => {
    for (const args of [["deploy", "--frobnicate"], ["deploy", "api.yaml"], ["canary", "promote"], ["keys"], ["frobnicate"], ["dev"], ["history", "--limit", "x"]]) {
      const { status, stdout, stderr } = await portico(...args);
      expect(status, args.join(" ")).toBe(2);
      expect(stdout).toBe("");
      expect(stderr.trimEnd().split("\n"), args.join(" ")).toHaveLength(1);
      expect(stderr).toMatch(/--help/);
    }
    const none = await portico();
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/^usage: portico <command>/);
  });

  it("with --json, an error is {\"error\": {...}} on stdout, with the same exit code", async () => {
    const usage = await portico("deploy", "--frobnicate", "--json");
    expect(usage.status).toBe(2);
    expect(usage.stderr).toBe("");
    expect(JSON.parse(usage.stdout)).toEqual({ error: { message: "unknown option --frobnicate (portico deploy --help)", exitCode: 2 } });

    const invalid = await portico("deploy", file("invalid.yaml", "name: x\nstages: { prod: {} }\nroutes:\n  GET /a:\n    integraton: {}\n"), "--stage", "prod", "--json");
    expect(invalid.status).toBe(1);
    const body = JSON.parse(invalid.stdout) as { error: { message: string; exitCode: number; errors: { path: string; message: string }[] } };
    expect(body.error.exitCode).toBe(1);
    expect(body.error.errors.map((e) => e.path)).toEqual(['routes["GET /a"].integration', 'routes["GET /a"].integraton']);
  });
});

describe("servers that are not Portico", () => {
  let server: Server;
  let url: string;
  let mode: "json" | "html" | "401" = "json";
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (mode === "401") return res.writeHead(401, { "content-type": "application/json" }).end('{"message":"Unauthorized"}');
      if (mode === "html") return res.writeHead(200, { "content-type": "text/html" }).end("<html>hello</html>");
      // Valid JSON, but not the admin API's: objects without the fields the CLI reads.
      res.writeHead(200, { "content-type": "application/json" }).end(req.url?.endsWith("/apis") ? '{"apis": "many"}' : '{"hello": "world", "stages": [{"x": 1}]}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it("unexpected JSON: one line, exit 3, for every command that reads the admin API", async () => {
    mode = "json";
    for (const args of [["stages"], ["history"], ["keys", "list"], ["canary", "status", "--stage", "prod"], ["usage", "--plan", "p", "--from", "2026-01-01", "--to", "2026-01-02", "--api", "a"], ["rollback", "--stage", "prod", "--api", "a"], ["diff", "abcdef12", "abcdef34", "--api", "a"]]) {
      const { status, stdout, stderr } = await runCli(CLI, [...args, "--url", url], REPO_ROOT);
      expect(status, `${args.join(" ")}: ${stderr}`).toBe(3);
      expect(stdout).toBe("");
      expect(stderr.trimEnd().split("\n"), args.join(" ")).toHaveLength(1);
      expect(stderr).toMatch(/Portico/);
      expect(stderr).not.toMatch(NO_STACK);
    }
    // PORTICO_URL is read the same way.
    const env = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      import("node:child_process").then(({ execFile }) =>
        execFile(process.execPath, [CLI, "stages"], { env: { ...process.env, PORTICO_URL: url } }, (err, _out, stderr) => resolve({ status: err ? (err.code as number) : 0, stderr })),
      );
    });
    expect(env.status).toBe(3);
    expect(env.stderr).not.toMatch(NO_STACK);
  });

  it("an HTML page is exit 3; a 401 is exit 4; nothing listening is exit 3", async () => {
    mode = "html";
    expect(await runCli(CLI, ["stages", "--url", url], REPO_ROOT)).toMatchObject({ status: 3, stderr: expect.stringMatching(/something other than JSON/) });
    mode = "401";
    expect(await runCli(CLI, ["stages", "--url", url], REPO_ROOT)).toMatchObject({ status: 4, stderr: "Unauthorized\n" });
    const closed = await runCli(CLI, ["stages", "--url", "http://127.0.0.1:1", "--json"], REPO_ROOT);
    expect(closed.status).toBe(3);
    expect(JSON.parse(closed.stdout).error.message).toMatch(/^cannot reach http:\/\/127\.0\.0\.1:1\/_portico/);
  });
});

describe("portico diff", () => {
  it("a missing file is a file error, exit 2, without asking any server", async () => {
    const missing = join(files, "missing.yaml");
    const { status, stderr } = await portico("diff", missing, "b534165faa70", "--url", "http://127.0.0.1:1");
    expect(status).toBe(2);
    expect(stderr.trim()).toBe(`cannot read ${missing}: ENOENT`);
  });

  it("two files: routes added, removed and changed, then every other section that changed", async () => {
    const a = file("a.yaml", "name: x\nstages: { prod: {} }\nroutes:\n  GET /a: { integration: { type: mock } }\n  GET /b: { integration: { type: mock } }\n");
    const b = file("b.yaml", "name: x\nstages: { prod: {}, dev: {} }\nusagePlans: { basic: { stages: [prod] } }\nroutes:\n  GET /a: { integration: { type: mock, status: 201 } }\n  GET /c: { integration: { type: mock } }\n");
    const { status, stdout } = await portico("diff", a, b);
    expect(status).toBe(0);
    expect(stdout).toBe("+ GET /c\n- GET /b\n~ GET /a\n\nalso changed: stages, usagePlans\n");
  });
});

describe("portico build", () => {
  let checkout: Checkout;
  beforeAll(() => {
    checkout = isolatedCheckout();
  });
  afterAll(() => checkout?.dispose());

  it("shows progress on stderr, the result on stdout, and writes no embedded bundle a running dev server could read", async () => {
    const definition = join(checkout.dir, "small.yaml");
    writeFileSync(definition, "name: small\nstages: { prod: {} }\nroutes:\n  GET /a: { integration: { type: mock } }\n");
    const { status, stdout, stderr } = await checkout.cli(["build", definition, "--json"], { timeoutMs: 120_000 });
    expect(status, stderr).toBe(0);
    const result = JSON.parse(stdout) as { script: string; bytes: number; version: string };
    // The script has small.yaml's bundle in it, not the example's.
    const script = readFileSync(result.script, "utf8");
    expect(script).toContain(result.version);
    expect(script).not.toMatch(/"name":\s*"petstore"/);
    // Wrangler's bundling takes seconds: the steps were announced, then the time it took.
    expect(stderr).toMatch(/^portico: building the Worker with .*small\.yaml: (compiling the definition|bundling with wrangler)…$/m);
    expect(stderr).toMatch(/^portico: building the Worker with .*: done \(\d+\.\ds\)$/m);
    // The shared file (what wrangler.toml aliases) is not written, and the build's own directory is gone.
    expect(existsSync(join(checkout.dir, ".portico", "embedded-bundle.json"))).toBe(false);
    expect(readdirSync(join(checkout.dir, ".portico")).filter((n) => n.startsWith("build-"))).toEqual([]);
    expect(readdirSync(checkout.dir).filter((n) => n.startsWith(".portico-"))).toEqual([]);
  }, 150_000);
});
