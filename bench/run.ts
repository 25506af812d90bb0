/**
 * `npm run bench`: Portico against bare Workers doing the same job, in the same harness and run, plus the cost
 * of compiling and routing a 1,000-route definition. Prints a table and writes bench/results.json.
 * Method and how to read the numbers: bench/README.md.
 *
 *   npm run bench                 every scenario
 *   npm run bench -- proxy        only scenarios whose name contains "proxy"
 *   BENCH_SECONDS=20 BENCH_CONNECTIONS=100 BENCH_SLICES=4 BENCH_WARMUP=3 npm run bench
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, renameSync, writeFileSync, mkdirSync } from "node:fs";
import { arch, cpus, loadavg, platform, release, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { WorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { parse, stringify } from "yaml";
import { build } from "../cli/commands/build.ts";
import { EMBEDDED_PATH, PROJECT_ROOT } from "../cli/commands/embed.ts";
import { measurePair, suppressedLogLines, WorkerPool, type LoadSettings, type PairResult } from "./harness.ts";
import { formatReport } from "./report.ts";
import { measureRouting } from "./routing.ts";
import { SCENARIOS } from "./scenarios.ts";

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
const LOAD_AT_START = loadavg()[0]!;

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
 * `build()` writes the checkout's shared embedded bundle; the previous one is put back afterwards.
 */
async function buildPortico(upstream: string): Promise<WorkerOptions> {
  mkdirSync(OUT, { recursive: true });
  const definition = parse(readFileSync(join(HERE, "bench-api.yaml"), "utf8")) as { stages: { bench: { variables: Record<string, string> } } };
  definition.stages.bench.variables.upstream = upstream;
  const file = join(OUT, "bench-api.yaml");
  writeFileSync(file, stringify(definition));

  const previous = existsSync(EMBEDDED_PATH) ? readFileSync(EMBEDDED_PATH) : undefined;
  let built;
  try {
    built = await build(file, join(OUT, "portico"));
  } finally {
    if (previous) {
      writeFileSync(EMBEDDED_PATH + ".bench-restore", previous);
      renameSync(EMBEDDED_PATH + ".bench-restore", EMBEDDED_PATH);
    }
  }
  log(`built ${built.script} (${(built.bytes / 1024).toFixed(0)} KiB, ${(built.gzipBytes / 1024).toFixed(0)} KiB gzipped)`);
  // Bindings as wrangler.toml declares them (KV, Durable Objects, vars), minus service bindings to Workers
  // that are not part of the benchmark.
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(PROJECT_ROOT, "wrangler.toml"));
  return { ...workerOptions, serviceBindings: {}, modules: true, scriptPath: built.script, modulesRoot: dirname(built.script) } as WorkerOptions;
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
    loadAverage: { start: LOAD_AT_START, end: loadavg()[0]! },
  };
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const scenarios = SCENARIOS.filter((s) => !filters.length || filters.some((f) => s.name.includes(f)));
  const started = new Date();
  const pairs: PairResult[] = [];

  if (scenarios.length) {
    const upstream = await startUpstream();
    let pool: WorkerPool | undefined;
    try {
      log(`upstream on ${upstream.url}`);
      pool = new WorkerPool({ upstream: upstream.url, portico: await buildPortico(upstream.url) });
      for (const scenario of scenarios) {
        log(`${scenario.name} vs ${scenario.baseline.name}: ${settings.connections} connections, ${settings.seconds} s per side`);
        pairs.push(await measurePair(pool, scenario, settings, log));
      }
    } finally {
      await pool?.dispose();
      upstream.child.kill("SIGTERM");
    }
  }

  log("routing");
  const routing = await measureRouting(log);

  const results = { date: started.toISOString(), machine: machine(), settings, load: pairs, routing };
  writeFileSync(RESULTS, JSON.stringify(results, null, 2) + "\n");
  process.stdout.write("\n" + formatReport(results) + "\n");
  process.stdout.write(`\nresults written to ${RESULTS}\n`);

  for (const [worker, lines] of Object.entries(suppressedLogLines())) log(`[${worker}] … and ${lines} more lines of its output`);
  const invalid = pairs.flatMap((p) => [p.baseline, p.portico]).filter((m) => !m.valid);
  for (const m of invalid)
    log(`INVALID: ${m.name} had ${m.errors} errors, ${m.timeouts} timeouts, ${m.non2xx} non-2xx and ${m.mismatches} wrong bodies; statuses ${JSON.stringify(m.statusCodes)}`);
  return invalid.length ? 1 : 0;
}

process.exitCode = await main();
