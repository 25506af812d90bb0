/**
 * What a run starts before any Worker: the upstream (its own process) and the Portico build — bench-api.yaml with
 * the upstream's URL and the run's JWT key, built as `wrangler deploy` builds it — with the Miniflare options of the
 * Portico Workers (run.ts and profile.ts share it).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { WorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { parse, stringify } from "yaml";
import { build } from "../cli/commands/build.ts";
import { PROJECT_ROOT } from "../cli/paths.ts";
import { ADMIN_TOKEN, fixture } from "./fixture.ts";
import { prepareJwt } from "./jwt.ts";
import { writeCacheCountingEntry } from "./cache.ts";
import { writeCountingEntry } from "./throttle.ts";

export const HERE = dirname(fileURLToPath(import.meta.url));
export const OUT = join(HERE, "out");

/**
 * Vars the bench's Portico Worker gets over wrangler.toml's: only PORTICO_LOCAL_DEV, since the upstream is a Node
 * server on loopback, which a production Worker refuses to call. Otherwise it runs as shipped (the account bucket is
 * off by default; the throttle section measures what a bucket costs).
 */
export const PORTICO_VARS: Record<string, string> = { PORTICO_LOCAL_DEV: "true" };
/** The throttle section's Worker: no account bucket at all, so only the route's own bucket applies. */
export const THROTTLE_VARS = { ACCOUNT_RATE: "0" };

/** The upstream in a child process (see upstream.ts); resolves with its URL. */
export async function startUpstream(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [...process.execArgv, join(HERE, "upstream.ts")], { cwd: PROJECT_ROOT, stdio: ["pipe", "pipe", "inherit"] });
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`the upstream exited (${code}) before listening`)));
  });
  return { url: (JSON.parse(first) as { url: string }).url, child };
}

/**
 * The Miniflare options of the gateway Worker as wrangler.toml declares it (KV, Durable Objects, queues, R2, vars),
 * for every bench Worker that runs a Portico build. The example's Workflow binding is left out: its class is the demo
 * backend's (script_name), which the benchmark does not run, and Miniflare will not start a binding to a script it
 * does not have. The queue producer and the R2 bucket stay (Miniflare's own, per Worker): the integrations section
 * measures them.
 */
export function gatewayWorkerOptions(): WranglerWorkerOptions {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(PROJECT_ROOT, "wrangler.toml"));
  const { workflows: _workflows, ...rest } = workerOptions as WranglerWorkerOptions & { workflows?: unknown };
  return rest;
}

type WranglerWorkerOptions = ReturnType<typeof unstable_getMiniflareWorkerOptions>["workerOptions"];

/**
 * Builds Portico as `wrangler deploy` would, with bench-api.yaml (its upstream set to the real URL) embedded.
 * (`build()` embeds it in a directory of its own: a running `portico dev` is not disturbed.)
 */
export async function buildPortico(
  upstream: string,
  log: (line: string) => void,
): Promise<{ portico: WorkerOptions; porticoThrottle: WorkerOptions; porticoNoMemory: WorkerOptions; porticoCache: WorkerOptions; porticoQuiet: WorkerOptions }> {
  mkdirSync(OUT, { recursive: true });
  const definition = parse(readFileSync(join(HERE, "bench-api.yaml"), "utf8")) as {
    stages: Record<string, { variables: Record<string, string> }>;
    authorizers: Record<string, { jwks?: { keys: Record<string, unknown>[] } }>;
  };
  for (const stage of Object.values(definition.stages)) stage.variables.upstream = upstream;
  await prepareJwt(definition as Parameters<typeof prepareJwt>[0]);
  fixture.definition = definition;
  fixture.upstream = upstream;
  const file = join(OUT, "bench-api.yaml");
  writeFileSync(file, stringify(definition));

  const built = await build(file, join(OUT, "portico"));
  log(`built ${built.script} (${(built.bytes / 1024).toFixed(0)} KiB, ${(built.gzipBytes / 1024).toFixed(0)} KiB gzipped)`);
  // Bindings as wrangler.toml declares them (KV, Durable Objects, queues, R2, vars), minus service bindings to Workers
  // that are not part of the benchmark.
  // ADMIN_TOKEN (a secret in production) lets the deployments section publish through the admin API.
  const workerOptions = gatewayWorkerOptions();
  const bindings: Record<string, string> = { ...(workerOptions.bindings as Record<string, string>), ADMIN_TOKEN, ...PORTICO_VARS };
  fixture.registryMemoMs = Number(bindings.REGISTRY_MEMO_MS) || fixture.registryMemoMs;
  const base = {
    ...workerOptions,
    serviceBindings: {},
    modules: true,
    // The built script is an ES module; Miniflare's default rules would take an imported .js for CommonJS.
    modulesRules: [{ type: "ESModule", include: ["**/*.js"] }, ...(workerOptions.modulesRules ?? [])],
    modulesRoot: dirname(built.script),
  };
  return {
    portico: { ...base, bindings, scriptPath: built.script } as WorkerOptions,
    // The throttle section's Worker: account bucket off, RateLimiter.lease counted (throttle.ts).
    porticoThrottle: { ...base, bindings: { ...bindings, ...THROTTLE_VARS }, scriptPath: writeCountingEntry(built.script) } as WorkerOptions,
    porticoNoMemory: { ...base, bindings: { ...bindings, CACHE_MEMORY_MS: "0" }, scriptPath: built.script } as WorkerOptions,
    // The many-key cache pair's Worker: as deployed, Cache API lookups counted (cache.ts).
    porticoCache: { ...base, bindings, scriptPath: writeCacheCountingEntry(built.script) } as WorkerOptions,
    // The observability section's "off" side: as deployed, without the Analytics Engine dataset binding.
    porticoQuiet: { ...base, analyticsEngineDatasets: undefined, bindings, scriptPath: built.script } as WorkerOptions,
  };
}
