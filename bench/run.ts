/**
 * `npm run bench`: Portico against bare Workers (and against itself without the feature under test) in the same
 * harness and run, one section per issue, plus the cost of compiling and routing a 1,000-route definition. Prints
 * a table per section and writes bench/results.json. Method and how to read the numbers: bench/README.md.
 *
 *   npm run bench                 every section
 *   npm run bench -- jwt          one section (overhead, deployments, jwt, throttle, cache, templates, integrations, routing)
 *   npm run bench -- mock         only scenarios whose name contains "mock"
 *   BENCH_SECONDS=20 BENCH_CONNECTIONS=100 BENCH_SLICES=4 BENCH_WARMUP=3 npm run bench
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { arch, cpus, loadavg, platform, release, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { WorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { parse, stringify } from "yaml";
import { build } from "../cli/commands/build.ts";
import { PROJECT_ROOT } from "../cli/paths.ts";
import { measureCacheLatency, measureReadHeavy } from "./cache.ts";
import { measureCanarySplit } from "./deployments.ts";
import { ADMIN_TOKEN, fixture } from "./fixture.ts";
import { measurePair, suppressedLogLines, WorkerPool, type LoadSettings } from "./harness.ts";
import { measureJwtCpu, prepareJwt } from "./jwt.ts";
import { formatReport, type BenchResults } from "./report.ts";
import { measureRouting } from "./routing.ts";
import { SCENARIOS, SECTIONS } from "./scenarios.ts";
import { measureThrottleAccuracy, writeCountingEntry } from "./throttle.ts";
import { measureTemplates } from "./templates.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = join(HERE, "out");
const RESULTS = join(HERE, "results.json");

const setting = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!(value > 0)) throw new Error(`${name} must be a positive number`);
  return value;
};
const settings: LoadSettings = {
  connections: setting("BENCH_CONNECTIONS", 50),
  seconds: setting("BENCH_SECONDS", 10),
  slices: setting("BENCH_SLICES", 2),
  warmupSeconds: setting("BENCH_WARMUP", 2),
};
const log = (line: string) => process.stderr.write(line + "\n");

/**
 * Vars the bench's Portico Worker gets over wrangler.toml's: only PORTICO_LOCAL_DEV, since the upstream is a Node
 * server on loopback, which a production Worker refuses to call. Otherwise it runs as shipped (the account bucket is
 * off by default; the throttle section measures what a bucket costs).
 */
const PORTICO_VARS: Record<string, string> = { PORTICO_LOCAL_DEV: "true" };
/** The throttle section's Worker: no account bucket at all, so only the route's own bucket applies. */
const THROTTLE_VARS = { ACCOUNT_RATE: "0" };
const LOAD_AT_START = loadavg();

/** The upstream in a child process (see upstream.ts); resolves with its URL. */
async function startUpstream(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [...process.execArgv, join(HERE, "upstream.ts")], { cwd: PROJECT_ROOT, stdio: ["pipe", "pipe", "inherit"] });
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`the upstream exited (${code}) before listening`)));
  });
  return { url: (JSON.parse(first) as { url: string }).url, child };
}

/**
 * Builds Portico as `wrangler deploy` would, with bench-api.yaml (its upstream set to the real URL) embedded.
 * (`build()` embeds it in a directory of its own: a running `portico dev` is not disturbed.)
 */
async function buildPortico(upstream: string): Promise<{ portico: WorkerOptions; porticoThrottle: WorkerOptions; porticoNoMemory: WorkerOptions }> {
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
  // Bindings as wrangler.toml declares them (KV, Durable Objects, vars), minus service bindings to Workers
  // that are not part of the benchmark.
  // ADMIN_TOKEN (a secret in production) lets the deployments section publish through the admin API.
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(PROJECT_ROOT, "wrangler.toml"));
  const bindings: Record<string, string> = { ...(workerOptions.bindings as Record<string, string>), ADMIN_TOKEN, ...PORTICO_VARS };
  fixture.registryMemoMs = Number(bindings.REGISTRY_MEMO_MS) || fixture.registryMemoMs;
  // The example's Workflow lives in the demo backend, which the benchmark does not run: its binding goes too.
  const { workflows: _workflows, ...withoutWorkflows } = workerOptions as typeof workerOptions & { workflows?: unknown };
  const base = {
    ...withoutWorkflows,
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
  };
}

function machine() {
  const version = (pkg: string) => (JSON.parse(readFileSync(join(PROJECT_ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    platform: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    miniflare: version("miniflare"),
    workerd: version("workerd"),
    autocannon: version("autocannon"),
    /** 1-minute load average when the run started and ended: other work on the machine shows here. */
    loadAverage: { start: LOAD_AT_START[0]!, end: loadavg()[0]! },
    /** 1, 5 and 15-minute load averages when the run started and ended. */
    loadAverages: { start: LOAD_AT_START, end: loadavg() },
  };
}

/** Which sections and scenarios the command line asks for: a section's name, or part of a scenario's name. */
function selection(filters: string[]) {
  const known = new Set<string>(SECTIONS);
  const sections = SECTIONS.filter((s) => !filters.length || filters.includes(s));
  const scenarios = SCENARIOS.filter((s) => sections.includes(s.section) || filters.some((f) => !known.has(f) && s.name.includes(f)));
  if (!sections.length && !scenarios.length)
    throw new Error(`nothing matches ${filters.join(" ")}: sections are ${SECTIONS.join(", ")}; scenarios are ${SCENARIOS.map((s) => JSON.stringify(s.name)).join(", ")}`);
  return { sections, scenarios };
}

async function main(): Promise<number> {
  const { sections, scenarios } = selection(process.argv.slice(2));
  const started = new Date();
  const results: BenchResults = { date: started.toISOString(), machine: machine(), settings: { ...settings, porticoVars: PORTICO_VARS, throttleWorkerVars: THROTTLE_VARS } };
  const invalid: string[] = [];
  // Every section but routing needs the build (the JWT key goes into it) and the Workers.
  if (scenarios.length || sections.some((s) => s !== "routing")) {
    const upstream = await startUpstream();
    let pool: WorkerPool | undefined;
    try {
      log(`upstream on ${upstream.url}`);
      pool = new WorkerPool({ upstream: upstream.url, ...(await buildPortico(upstream.url)) });
      for (const section of SECTIONS) {
        const own = scenarios.filter((s) => s.section === section);
        if (!own.length && !sections.includes(section)) continue;
        if (section === "routing") continue;
        log(`— ${section} (load average ${loadavg().map((l) => l.toFixed(2)).join(" ")})`);
        const entry = (results[section] ??= { pairs: [], loadAverage: loadavg() });
        for (const scenario of own) {
          log(`${scenario.name} vs ${scenario.baseline.name}: ${settings.connections} connections, ${settings.seconds} s per side`);
          const pair = await measurePair(pool, scenario, settings, log);
          entry.pairs.push(pair);
          for (const m of [pair.baseline, pair.portico])
            if (!m.valid)
              invalid.push(`${m.name} had ${m.errors} errors, ${m.timeouts} timeouts, ${m.non2xx} non-2xx and ${m.mismatches} wrong bodies or headers; statuses ${JSON.stringify(m.statusCodes)}`);
        }
        if (!sections.includes(section)) continue;
        // The sections' measurements that are not pairs.
        if (section === "deployments") {
          if (!own.length) throw new Error("the canary split needs the deployments scenario (it publishes the versions)");
          const canary = await measureCanarySplit(pool, settings.connections, log);
          results.deployments!.canary = canary;
          for (const [what, ok, detail] of [
            ["canary split (sticky header)", canary.sticky.valid, canary.sticky],
            ["stickiness recheck", canary.stickiness.valid, canary.stickiness],
            ["canary split (random)", canary.random.valid, canary.random],
          ] as const)
            if (!ok) invalid.push(`${what}: ${JSON.stringify(detail)}`);
        } else if (section === "jwt") {
          log("JWT verification cost (Node)");
          results.jwt!.cpu = await measureJwtCpu(log);
        } else if (section === "throttle") {
          log("throttle accuracy (portico-throttle: account bucket off)");
          const { accuracy, strict } = await measureThrottleAccuracy(pool, log);
          Object.assign(results.throttle!, { accuracy, strict });
          if (!accuracy.valid) invalid.push(`throttle accuracy: statuses ${JSON.stringify(accuracy.statusCodes)}, ${JSON.stringify(accuracy.invalid)}`);
          if (!strict.valid) invalid.push(`throttle strict: statuses ${JSON.stringify(strict.statusCodes)}, ${JSON.stringify(strict.invalid)}`);
        } else if (section === "templates") {
          log("template compile and render cost (Node)");
          results.templates!.cost = measureTemplates(log);
        } else if (section === "cache") {
          log("cache latency and read-heavy mix");
          const latency = await measureCacheLatency(pool, log);
          const readHeavy = await measureReadHeavy(pool, settings.connections, log);
          Object.assign(results.cache!, { latency, readHeavy });
          if (!latency.valid) invalid.push(`cache latency: ${latency.problems.join("; ")}`);
          if (!readHeavy.valid) invalid.push(`cache read-heavy: ${readHeavy.requests} requests, statuses ${JSON.stringify(readHeavy.statusCodes)}, ${JSON.stringify(readHeavy.invalid)}`);
        }
      }
    } finally {
      await pool?.dispose();
      upstream.child.kill("SIGTERM");
    }
  }

  if (sections.includes("routing")) {
    log("routing");
    results.routing = await measureRouting(log);
  }

  results.machine = machine();
  writeFileSync(RESULTS, JSON.stringify(results, null, 2) + "\n");
  process.stdout.write("\n" + formatReport(results) + "\n");
  process.stdout.write(`\nresults written to ${RESULTS} (${Math.round((Date.now() - started.getTime()) / 1000)} s)\n`);

  for (const [worker, lines] of Object.entries(suppressedLogLines())) log(`[${worker}] … and ${lines} more lines of its output`);
  for (const line of invalid) log(`INVALID: ${line}`);
  return invalid.length ? 1 : 0;
}

process.exitCode = await main();
