/**
 * The files `portico init` writes. The wrangler config is derived from Portico's own (same bindings, Durable
 * Objects and migrations; the example's demo backend left out; `main` pointing into node_modules/portico), so a
 * scaffold cannot drift from what the Worker needs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../paths.ts";

export interface Scaffold {
  name: string;
  /** The `portico` dependency spec in package.json (`file:/path/to/portico`, a git URL, a version). */
  portico: string;
}

const own = (path: string) => readFileSync(join(PROJECT_ROOT, path), "utf8");

export function definition({ name }: Scaffold): string {
  return `# yaml-language-server: $schema=./node_modules/portico/schema/portico-api.schema.json
#
# The ${name} API. \`npm run dev\` serves it on http://localhost:8787 and reloads it on every save;
# \`npx portico validate api.yaml\` lists every mistake with its field path. Every field is described in
# node_modules/portico/docs/definition-reference.md, with a guide in docs/definition.md beside it.
name: ${name}
stages:
  dev: {}
  prod: {}
routes:
  GET /hello:
    integration: { type: mock, body: { message: "Hello from ${name}" } }
  GET /health:
    integration: { type: mock, body: { status: ok } }
  # Forward to your own backend, a URL per stage (stages: { prod: { variables: { backend: https://... } } }):
  # GET /orders/{id}:
  #   integration: { type: http_proxy, uri: "\${stageVariables.backend}/orders/{id}" }
`;
}

/** Portico's wrangler.toml, for this project: its name, `main` in node_modules, no demo backend. */
export function wranglerToml({ name }: Scaffold): string {
  const source = own("wrangler.toml");
  const replace = (text: string, from: RegExp, to: string) => {
    if (!from.test(text)) throw new Error(`portico init: wrangler.toml no longer has ${from}; update cli/init/templates.ts`);
    return text.replace(from, to);
  };
  let text = replace(source, /^# Portico: one Worker.*$/m, `# The ${name} gateway: Portico, serving api.yaml (npm run dev: locally, no account; npm run deploy: to Cloudflare).`);
  text = replace(text, /^name = "portico"$/m, `name = "${name}-gateway"`);
  text = replace(text, /^main = "src\/index.ts"$/m, `main = "node_modules/portico/src/index.ts"`);
  text = replace(
    text,
    /^# The example API's demo backend[^\n]*\n\[\[services\]\]\nbinding = "DEMO_BACKEND"\nservice = "portico-demo-backend"\n/m,
    `# Your backends as other Workers, for integrations with \`service: NAME\` (portico validate checks the names):\n# [[services]]\n# binding = "ORDERS"\n# service = "orders-worker"\n`,
  );
  // The example's queue, bucket and Workflow live with its demo backend: a project gets the pattern, commented out.
  text = replace(
    text,
    /^# The example API's Cloudflare-native integrations[\s\S]*?script_name = "portico-demo-backend"\n/m,
    [
      "# Cloudflare-native integrations (`type: queue`, `type: r2`, `type: workflow`; portico validate checks the names):",
      ...['[[queues.producers]]', 'binding = "JOBS"', 'queue = "jobs"', "[[r2_buckets]]", 'binding = "FILES"', 'bucket_name = "files"'],
      ...["[[workflows]]", 'binding = "ORDER_FLOW"', 'name = "order-flow"', 'class_name = "OrderFlow"', 'script_name = "orders-worker"'],
    ]
      .map((line, i) => (i === 0 ? line : `# ${line}`))
      .join("\n") + "\n",
  );
  return text;
}

export function devVarsExample(): string {
  return own(".dev.vars.example");
}

export function packageJson({ name, portico }: Scaffold): string {
  const porticoPackage = JSON.parse(own("package.json")) as { devDependencies: Record<string, string> };
  return JSON.stringify(
    {
      name,
      private: true,
      type: "module",
      scripts: {
        dev: "portico dev api.yaml",
        test: "node --test",
        validate: "portico validate api.yaml",
        deploy: "portico embed api.yaml && wrangler deploy",
      },
      devDependencies: { portico, wrangler: porticoPackage.devDependencies.wrangler },
    },
    null,
    2,
  ) + "\n";
}

export const GITIGNORE = `node_modules/
.wrangler/
.portico/
.portico-*.wrangler.json
.dev.vars
dist/
`;

export function testFile({ name }: Scaffold): string {
  return `/**
 * ${name} end to end: \`npm test\` starts \`portico dev api.yaml\` on a free port and checks that the routes answer
 * as api.yaml says. With PORTICO_URL set (a running \`npm run dev\`, or a deployed Worker) it tests that instead.
 * Add a test here for each route you add.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const PORTICO = join(ROOT, "node_modules", "portico", "cli", "portico.mjs");
let base = process.env.PORTICO_URL?.replace(/\\/+$/, "");
let server;

before(async () => {
  if (base) return;
  const port = await freePort();
  // Its own process group: portico dev and the wrangler it starts are stopped together.
  server = spawn(process.execPath, [PORTICO, "dev", "api.yaml", "--port", String(port), "--ip", "127.0.0.1"], { cwd: ROOT, detached: true, stdio: "ignore" });
  base = \`http://127.0.0.1:\${port}\`;
  await until(async () => (await fetch(\`\${base}/_portico/health\`)).ok, 90_000);
}, { timeout: 120_000 });

after(async () => {
  if (!server?.pid) return;
  const exited = new Promise((resolve) => server.once("exit", resolve));
  process.kill(-server.pid, "SIGTERM");
  await exited;
});

test("api.yaml is valid, bindings and secrets included", () => {
  const run = spawnSync(process.execPath, [PORTICO, "validate", "api.yaml"], { cwd: ROOT, encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
});

test("GET /dev/hello answers from its mock integration", async () => {
  const res = await fetch(\`\${base}/dev/hello\`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("x-portico-version") ?? "", /^[0-9a-f]{12}$/);
  assert.deepEqual(await res.json(), { message: "Hello from ${name}" });
});

test("a route api.yaml does not define is refused as Amazon API Gateway refuses it", async () => {
  const res = await fetch(\`\${base}/dev/nope\`);
  assert.equal(res.status, 403);
  assert.deepEqual(await res.json(), { message: "Missing Authentication Token" });
});

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer().once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function until(ready, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await ready()) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(\`portico dev did not answer in \${timeoutMs} ms\`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
`;
}
