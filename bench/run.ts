/**
 * `npm run bench`: Portico against bare Workers, a hand-written Hono gateway, nginx and itself without the
 * feature under test, in the same harness and run, plus an A/A pair for the noise floor, an overload run and the
 * cost of compiling and routing a 1,000-route definition. Prints a table per section and a verdict per target,
 * and writes bench/results.json. Method and how to read the numbers: bench/README.md.
 *
 *   npm run bench                 every section
 *   npm run bench -- peers        one section (overhead, deployments, jwt, throttle, cache, templates, integrations, observability, peers, overload, routing, websocket)
 *   npm run bench -- mock         only scenarios whose name contains "mock"
 *   BENCH_SECONDS=20 BENCH_CONNECTIONS=100 BENCH_SLICES=4 BENCH_WARMUP=3 BENCH_OVERLOAD_SECONDS=60 npm run bench
 */
import { readFileSync, writeFileSync } from "node:fs";
import { arch, cpus, loadavg, platform, release, totalmem } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../cli/paths.ts";
import { buildPortico, HERE, OUT, PORTICO_VARS, startUpstream, THROTTLE_VARS } from "./build.ts";
import { measureCacheLatency, measureReadHeavy } from "./cache.ts";
import { measureCanarySplit } from "./deployments.ts";
import { fixture } from "./fixture.ts";
import { measurePair, type LoadSettings, type PairResult } from "./harness.ts";
import { measureJwtCpu } from "./jwt.ts";
import { noiseFloor, verdictOf } from "./noise.ts";
import { measureOverload } from "./overload.ts";
import { buildHonoGateway } from "./peers.ts";
import { WorkerPool } from "./pool.ts";
import { suppressedLogLines } from "./processes.ts";
import { formatReport, PAIR_SECTIONS, targetSummary, type BenchResults } from "./report.ts";
import { measureRouting } from "./routing.ts";
import { NOISE_SCENARIO, SCENARIOS } from "./scenarios.ts";
import { SECTIONS } from "./shapes.ts";
import { EXTERNAL, WORKERS } from "./targets.ts";
import { measureThrottleAccuracy } from "./throttle.ts";
import { measureTemplates } from "./templates.ts";
import { measureWebSocket } from "./websocket.ts";

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
/** The overload run's length (the 60 s; shorter for a smoke run). */
const OVERLOAD_SECONDS = setting("BENCH_OVERLOAD_SECONDS", 60);
const log = (line: string) => process.stderr.write(line + "\n");

const LOAD_AT_START = loadavg();

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
  const scenarios = SCENARIOS.filter((s) => sections.includes(s.section as (typeof SECTIONS)[number]) || filters.some((f) => !known.has(f) && s.name.includes(f)));
  if (!sections.length && !scenarios.length)
    throw new Error(`nothing matches ${filters.join(" ")}: sections are ${SECTIONS.join(", ")}; scenarios are ${SCENARIOS.map((s) => JSON.stringify(s.name)).join(", ")}`);
  return { sections, scenarios };
}

function invalidLines(pair: PairResult): string[] {
  return [pair.baseline, pair.portico]
    .filter((m) => !m.valid)
    .map((m) => `${m.name} had ${m.errors} errors, ${m.timeouts} timeouts, ${m.non2xx} non-2xx and ${m.mismatches} wrong bodies or headers; statuses ${JSON.stringify(m.statusCodes)}`);
}

async function main(): Promise<number> {
  const { sections, scenarios } = selection(process.argv.slice(2));
  const started = new Date();
  const results: BenchResults = { date: started.toISOString(), machine: machine(), settings: { ...settings, overloadSeconds: OVERLOAD_SECONDS, porticoVars: PORTICO_VARS, throttleWorkerVars: THROTTLE_VARS } };
  fixture.seconds = settings.seconds;
  fixture.warmupSeconds = settings.warmupSeconds;
  const invalid: string[] = [];
  // Every section but routing needs the build (the JWT key goes into it) and the Workers.
  if (scenarios.length || sections.some((s) => s !== "routing" && s !== "websocket")) {
    const upstream = await startUpstream();
    let pool: WorkerPool | undefined;
    try {
      log(`upstream on ${upstream.url}`);
      const built = await buildPortico(upstream.url, log);
      pool = new WorkerPool({ upstream: upstream.url, ...built, honoGatewayScript: await buildHonoGateway(HERE, OUT) }, { workers: WORKERS, external: EXTERNAL });
      // (d) The A/A pair first: the noise floor every target of the run is judged against.
      if (scenarios.length) {
        const loadAtStart = loadavg();
        log(`— noise floor (load average ${loadAtStart.map((l) => l.toFixed(2)).join(" ")})`);
        log(`${NOISE_SCENARIO.name}: ${settings.connections} connections, ${settings.seconds} s per side`);
        const pair = await measurePair(pool, NOISE_SCENARIO, settings, log);
        results.noise = { pair, ...noiseFloor(pair), loadAverage: loadAtStart };
        invalid.push(...invalidLines(pair));
      }
      for (const section of SECTIONS) {
        const own = scenarios.filter((s) => s.section === section);
        if (!own.length && !sections.includes(section)) continue;
        if (section === "routing" || section === "websocket") continue;
        log(`— ${section} (load average ${loadavg().map((l) => l.toFixed(2)).join(" ")})`);
        if (section === "overload") {
          const loadAtStart = loadavg();
          results.overload = { ...(await measureOverload(pool, OVERLOAD_SECONDS, log)), loadAverage: loadAtStart };
          if (!results.overload.verdicts.onlyThrottled) invalid.push(`overload: answers other than 200 and 429: ${JSON.stringify(results.overload.other)}`);
          continue;
        }
        const entry = (results[section] ??= { pairs: [], loadAverage: loadavg() });
        for (const scenario of own) {
          const reason = scenario.unavailable?.();
          if (reason) {
            log(`${scenario.name}: skipped — ${reason}`);
            (entry.skipped ??= []).push({ scenario: scenario.name, reason });
            continue;
          }
          log(`${scenario.name} vs ${scenario.baseline.name}: ${settings.connections} connections, ${settings.seconds} s per side`);
          const pair = await measurePair(pool, scenario, settings, log);
          entry.pairs.push(pair);
          invalid.push(...invalidLines(pair));
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

  if (sections.includes("websocket")) {
    log("websocket");
    results.websocket = await measureWebSocket(log);
    if (!results.websocket.valid) invalid.push(`websocket: ${results.websocket.problems.join("; ")}`);
  }

  // Each pair's verdict, against the run's noise floor.
  const floor = results.noise?.floor ?? null;
  for (const section of PAIR_SECTIONS)
    for (const pair of results[section]?.pairs ?? []) pair.verdict = pair.targetRatio === null ? null : verdictOf(pair.ratio, pair.targetRatio, floor);
  results.targets = targetSummary(results);

  results.machine = machine();
  writeFileSync(RESULTS, JSON.stringify(results, null, 2) + "\n");
  process.stdout.write("\n" + formatReport(results) + "\n");
  process.stdout.write(`\nresults written to ${RESULTS} (${Math.round((Date.now() - started.getTime()) / 1000)} s)\n`);

  for (const [worker, lines] of Object.entries(suppressedLogLines())) log(`[${worker}] … and ${lines} more lines of its output`);
  for (const line of invalid) log(`INVALID: ${line}`);
  return invalid.length ? 1 : 0;
}

process.exitCode = await main();
