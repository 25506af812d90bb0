/**
 * Test projects:
 * - `worker`: unit and integration tests inside workerd (the Workers pool), with real local KV and Durable
 *   Objects, the Worker's own entry, and the demo backend Worker bound as a service;
 * - `e2e`: Node tests that start the Worker with wrangler and drive it over real HTTP.
 *
 * Loading this file prepares what the Worker is built from: the example definition compiled into the embedded
 * bundle (as `portico embed` does) and the demo backend and test Workers bundled to JavaScript for the pool — in a
 * directory of this process's own (`.portico/test-<pid>/`, removed on exit), so `npm test` never changes what a
 * running `portico dev` serves, and two runs never change each other's.
 */
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { buildSync } from "esbuild";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse as parseToml } from "smol-toml";
import { defineConfig } from "vitest/config";
import { compileDefinitionText } from "./src/config/load.ts";
import { AWS_TEST_SECRETS } from "./test/support/aws/credentials.ts";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const own = here(`./.portico/test-${process.pid}`);
const embeddedPath = `${own}/embedded-bundle.json`;
const backendPath = `${own}/demo-backend.js`;
const lambdaEchoPath = `${own}/test-lambda-echo.js`;
const authorizerPath = `${own}/test-authorizer.js`;
const crossRequestPath = `${own}/cross-request-worker.js`;

mkdirSync(own, { recursive: true });
process.once("exit", () => rmSync(own, { recursive: true, force: true }));
const example = await compileDefinitionText(readFileSync(here("./examples/petstore/api.yaml"), "utf8"));
// The example's WebSocket chat is embedded beside it, as `npm run dev` does (served on chat.localhost).
const chat = await compileDefinitionText(readFileSync(here("./examples/chat/api.yaml"), "utf8"));
writeFileSync(embeddedPath, JSON.stringify({ ...example, others: [chat] }) + "\n");
// Worker scripts bundled with the Lambda adapter they use (the runtime's own `cloudflare:workers` stays external).
const bundleWorker = (entry: string, outfile: string) =>
  buildSync({ entryPoints: [here(entry)], bundle: true, format: "esm", outfile, external: ["cloudflare:workers"], logLevel: "error" });
bundleWorker("./examples/backend/worker.ts", backendPath);
bundleWorker("./test/support/lambda-echo-worker.js", lambdaEchoPath);
bundleWorker("./test/support/authorizer-worker.js", authorizerPath);
bundleWorker("./test/worker/support/cross-request-worker.ts", crossRequestPath);
// The pool runs the tests' own Worker with `no_handle_cross_request_promise_resolution` forced on; the
// cross-request Worker runs with production's date and flags, read from wrangler.toml (and once more with that
// flag, to show what it changes).
const production = parseToml(readFileSync(here("./wrangler.toml"), "utf8")) as { compatibility_date: string; compatibility_flags?: string[] };
const crossRequest = (name: string, extraFlags: string[]) => ({
  name,
  modules: true,
  scriptPath: crossRequestPath,
  compatibilityDate: production.compatibility_date,
  compatibilityFlags: [...(production.compatibility_flags ?? []), ...extraFlags],
  kvNamespaces: ["KV", "CACHE"],
});

export default defineConfig({
  test: {
    // Many tests provoke errors on purpose; their logs show only when a test fails.
    silent: "passed-only",
    // The default output, then passed / failed / skipped recorded Amazon cases per area.
    reporters: ["default", "./test/support/conformance-reporter.ts"],
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              workers: [
                // The demo backend also consumes the example's queue (as examples/backend/wrangler.toml declares, but
                // at once: tests wait for deliveries) and exports the example's Workflow class.
                {
                  name: "portico-demo-backend",
                  modules: true,
                  scriptPath: backendPath,
                  compatibilityDate: "2026-04-20",
                  queueConsumers: { "portico-adoption-requests": { maxBatchTimeout: 0.05 } },
                },
                // Test-only Lambda-style Workers (one script, a handler per MODE): LAMBDA_ECHO echoes the event,
                // LAMBDA_CHOOSE returns JSON.parse(event.body) so the client chooses the Lambda result.
                { name: "lambda-echo", modules: true, scriptPath: lambdaEchoPath, compatibilityDate: "2026-04-20", bindings: { MODE: "echo" } },
                { name: "lambda-choose", modules: true, scriptPath: lambdaEchoPath, compatibilityDate: "2026-04-20", bindings: { MODE: "choose" } },
                // The recorded cases' other functions (lambda-echo-worker.js): the event itself, the selection-pattern
                // function, the responseOverride function.
                { name: "lambda-identity", modules: true, scriptPath: lambdaEchoPath, compatibilityDate: "2026-04-20", bindings: { MODE: "identity" } },
                { name: "lambda-select", modules: true, scriptPath: lambdaEchoPath, compatibilityDate: "2026-04-20", bindings: { MODE: "select-pattern" } },
                { name: "lambda-override", modules: true, scriptPath: lambdaEchoPath, compatibilityDate: "2026-04-20", bindings: { MODE: "override" } },
                // Test-only Lambda-style authorizer for custom authorizers: the token chooses the decision.
                { name: "authorizer", modules: true, scriptPath: authorizerPath, compatibilityDate: "2026-04-20" },
                // The same script as Amazon's documentation sample authorizer (for the recorded authorizer cases).
                { name: "authorizer-docs", modules: true, scriptPath: authorizerPath, compatibilityDate: "2026-04-20", bindings: { MODE: "docs" } },
                // Requests awaiting each other's promises (test/worker/runtime/cross-request-promises.test.ts).
                crossRequest("cross-request", []),
                crossRequest("cross-request-legacy", ["no_handle_cross_request_promise_resolution"]),
              ],
              // Merged into wrangler.toml's bindings (DEMO_BACKEND stays).
              serviceBindings: {
                LAMBDA_ECHO: "lambda-echo",
                LAMBDA_CHOOSE: "lambda-choose",
                LAMBDA_IDENTITY: "lambda-identity",
                LAMBDA_SELECT: "lambda-select",
                LAMBDA_OVERRIDE: "lambda-override",
                AUTHORIZER: "authorizer",
                AUTHORIZER_DOCS: "authorizer-docs",
                CROSS_REQUEST: "cross-request",
                CROSS_REQUEST_LEGACY: "cross-request-legacy",
              },
              // Secrets and short memo bounds for tests (wrangler.toml's vars are the production defaults).
              // The gateway-wide bucket is one bucket for the whole run: off here, so suites cannot drain it for each
              // other; the throttle suite turns it on where it tests it.
              // PORTICO_LOCAL_DEV: the test backend, JWKS and authorizer servers are on loopback over http.
              // AWS_TEST_*: the credentials `aws` integrations sign with, which only the local AWS-compatible server knows.
              // PORTICO_ADMIN_HOST: the dashboard's host (admin.localhost, as `portico dev` sets).
              bindings: { ADMIN_TOKEN: "test-admin-token", PORTICO_ADMIN_HOST: "admin.localhost", PORTICO_FORCE_SECRET: "test-force-secret", REGISTRY_MEMO_MS: "200", ACCOUNT_RATE: "0", PORTICO_LOCAL_DEV: "true", ...AWS_TEST_SECRETS },
            },
          }),
        ],
        resolve: { alias: { "@portico/embedded-bundle": embeddedPath } },
        test: {
          name: "worker",
          include: ["test/worker/**/*.test.ts", "src/**/*.test.ts", "durable-objects/**/*.test.ts"],
          globalSetup: ["./test/support/global-setup.ts"],
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts", "cli/**/*.test.ts"],
          environment: "node",
          // The CLI is bundled once before the tests that run it (cli/bundle.mjs), not by each test's first run.
          globalSetup: ["./test/e2e/support/global-setup.ts"],
          // Setup builds the Worker and starts workerd (or wrangler dev): seconds, more on a busy 2-core machine.
          hookTimeout: 90_000,
          testTimeout: 60_000,
        },
      },
    ],
  },
});
