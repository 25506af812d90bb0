/**
 * The load half of the benchmark: each Worker in its own Miniflare (workerd, never `wrangler dev`) on a loopback
 * port, loaded by autocannon in this process with the same connections and duration for every target.
 *
 * A scenario and its baseline are measured in alternating slices (B P P B …), so drift over the run — thermal,
 * another process waking up — lands on both sides alike. Besides req/s and latency, each side's workerd CPU time
 * per request is read from /proc (Linux), which stays comparable when other work competes for the CPUs. Each side is checked before it is loaded, and every
 * response during the load must be a 2xx with the expected body: a route that fails fast is never reported as fast.
 */
import autocannon, { type RawResult } from "autocannon";
import { Miniflare } from "miniflare";
import { readdirSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { WORKERS, type BenchContext, type Scenario, type Target } from "./scenarios.ts";

export interface LoadSettings {
  connections: number;
  /** Measured seconds per side, split into `slices` runs. */
  seconds: number;
  slices: number;
  warmupSeconds: number;
}

export interface Measurement {
  name: string;
  worker: string;
  path: string;
  reqPerSec: number;
  /** Milliseconds; autocannon records whole milliseconds. */
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  /**
   * CPU time of the Worker's workerd process per completed request, in µs (Linux only; null elsewhere). Unlike
   * req/s it hardly moves when other work competes for the CPUs. It includes what both sides pay alike: HTTP
   * parsing and Miniflare's entry Worker.
   */
  cpuUsPerRequest: number | null;
  requests: number;
  seconds: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
  /** Responses by status code. */
  statusCodes: Record<string, number>;
  /** False when any request failed, timed out, was not 2xx or had the wrong body. */
  valid: boolean;
}

export interface PairResult {
  scenario: string;
  portico: Measurement;
  baseline: Measurement;
  /** Portico's req/s over the baseline's. */
  ratio: number;
  targetRatio: number;
}

/** Starts Workers on first use and keeps them for the run. */
export class WorkerPool {
  readonly #ctx: BenchContext;
  readonly #running = new Map<string, { mf: Miniflare; url: URL; pid: number | undefined }>();

  constructor(ctx: BenchContext) {
    this.#ctx = ctx;
  }

  async url(worker: string): Promise<URL> {
    const running = this.#running.get(worker);
    if (running) return running.url;
    const factory = WORKERS[worker];
    if (!factory) throw new Error(`no Worker named "${worker}" in bench/scenarios.ts`);
    const mf = new Miniflare({
      compatibilityDate: "2026-04-20",
      compatibilityFlags: ["nodejs_compat"],
      ...factory(this.#ctx),
      name: worker,
      host: "127.0.0.1",
      port: 0,
      handleRuntimeStdio: (stdout, stderr) => {
        forward(stdout, worker);
        forward(stderr, worker);
      },
    });
    const known = new Set([...this.#running.values()].map((r) => r.pid));
    const url = await mf.ready;
    // Workers start one at a time, so the one workerd child not seen before is this Worker's.
    const pid = workerdChildren().find((p) => !known.has(p));
    this.#running.set(worker, { mf, url, pid });
    return url;
  }

  /** CPU seconds the Worker's workerd process has used so far, or null where that cannot be read. */
  cpuSeconds(worker: string): number | null {
    const pid = this.#running.get(worker)?.pid;
    return pid === undefined ? null : processCpuSeconds(pid);
  }

  /** The running Workers' URLs by name. */
  urls(): Record<string, URL> {
    return Object.fromEntries([...this.#running].map(([name, { url }]) => [name, url]));
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.#running.values()].map(({ mf }) => mf.dispose()));
    this.#running.clear();
  }
}

/** Linux: user + system time of a process (all its threads), from /proc/<pid>/stat in clock ticks of 1/100 s. */
function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** Linux: pids of workerd processes whose parent is this process. */
function workerdChildren(): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  return entries.flatMap((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      return comm === "workerd" && ppid === process.pid ? [Number(pid)] : [];
    } catch {
      return [];
    }
  });
}

/** Lines of a Worker's own output printed before the rest are only counted (an error on every request would flood). */
const PRINTED_LINES = 10;
const suppressed = new Map<string, number>();
const CLIENT_GONE = /disconnected: .*(?:Connection reset by peer|Broken pipe)/;

/**
 * workerd's output, less the two lines it logs for each connection autocannon drops at the end of a run
 * ("disconnected: ... Connection reset by peer" or "Broken pipe", and its stack). The rest is the Worker's own logging, printed
 * with its name: an error there means some responses were not what a client should get.
 */
function forward(stream: Readable, worker: string): void {
  let skipStack = false;
  let printed = 0;
  createInterface({ input: stream }).on("line", (line) => {
    if (CLIENT_GONE.test(line)) skipStack = true;
    else if (skipStack && line.startsWith("stack:")) skipStack = false;
    else {
      skipStack = false;
      if (printed++ < PRINTED_LINES) process.stderr.write(`[${worker}] ${line}\n`);
      else suppressed.set(worker, (suppressed.get(worker) ?? 0) + 1);
    }
  });
}

/** How many lines of each Worker's output were counted but not printed. */
export function suppressedLogLines(): Record<string, number> {
  return Object.fromEntries(suppressed);
}

/** One request by hand: the target must answer 2xx with its expected body before it is loaded. */
async function check(url: URL, target: Target): Promise<void> {
  const res = await fetch(new URL(target.path, url), { method: target.method ?? "GET", headers: target.headers, body: target.body });
  const body = await res.text();
  if (res.status < 200 || res.status > 299 || body !== target.expectBody)
    throw new Error(`${target.worker} ${target.path} answered ${res.status} ${JSON.stringify(body.slice(0, 200))}, expected 2xx ${JSON.stringify(target.expectBody)}`);
}

function load(url: URL, target: Target, seconds: number, connections: number): PromiseLike<RawResult> {
  return autocannon({
    url: new URL(target.path, url).href,
    connections,
    duration: seconds,
    method: target.method ?? "GET",
    headers: target.headers,
    body: target.body,
    expectBody: target.expectBody,
    skipAggregateResult: true,
  });
}

function summarise(name: string, target: Target, url: URL, runs: RawResult[], cpuSeconds: number | null, connections: number): Measurement {
  // aggregateResult adds the later runs' status counts into the first run's object: give it copies.
  const copies = runs.map((r) => ({ ...r, statusCodeStats: structuredClone(r.statusCodeStats) }));
  const { latency } = autocannon.aggregateResult(copies, { url: url.href, connections });
  const sum = (pick: (r: RawResult) => number) => runs.reduce((n, r) => n + pick(r), 0);
  const requests = sum((r) => r.totalCompletedRequests);
  const seconds = sum((r) => r.duration);
  const m = {
    name,
    worker: target.worker,
    path: target.path,
    reqPerSec: requests / seconds,
    p50Ms: latency.p50,
    p99Ms: latency.p99,
    meanMs: latency.mean,
    cpuUsPerRequest: cpuSeconds === null || requests === 0 ? null : (cpuSeconds * 1e6) / requests,
    requests,
    seconds,
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    non2xx: sum((r) => r.non2xx),
    mismatches: sum((r) => r.mismatches),
    statusCodes: {} as Record<string, number>,
  };
  for (const run of runs)
    for (const [code, { count }] of Object.entries(run.statusCodeStats)) m.statusCodes[code] = (m.statusCodes[code] ?? 0) + count;
  return { ...m, valid: m.errors + m.timeouts + m.non2xx + m.mismatches === 0 && requests > 0 };
}

/** Measures a scenario against its baseline: warm-up each, then interleaved slices. */
export async function measurePair(pool: WorkerPool, scenario: Scenario, settings: LoadSettings, log: (line: string) => void): Promise<PairResult> {
  const sides = [
    { name: scenario.baseline.name, target: scenario.baseline, url: await pool.url(scenario.baseline.worker), runs: [] as RawResult[], cpu: 0 as number | null },
    { name: `Portico ${scenario.name}`, target: scenario as Target, url: await pool.url(scenario.worker), runs: [] as RawResult[], cpu: 0 as number | null },
  ];
  await scenario.setup?.(pool.urls());
  for (const side of sides) {
    await check(side.url, side.target);
    if (settings.warmupSeconds > 0) await load(side.url, side.target, settings.warmupSeconds, settings.connections);
  }
  const sliceSeconds = settings.seconds / settings.slices;
  for (let slice = 0; slice < settings.slices; slice++) {
    const order = slice % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      log(`  ${side.name}: slice ${slice + 1}/${settings.slices} (${sliceSeconds} s)`);
      const before = pool.cpuSeconds(side.target.worker);
      side.runs.push(await load(side.url, side.target, sliceSeconds, settings.connections));
      const after = pool.cpuSeconds(side.target.worker);
      side.cpu = side.cpu === null || before === null || after === null ? null : side.cpu + (after - before);
    }
  }
  const [baseline, portico] = sides.map((s) => summarise(s.name, s.target, s.url, s.runs, s.cpu, settings.connections)) as [Measurement, Measurement];
  return { scenario: scenario.name, portico, baseline, ratio: portico.reqPerSec / baseline.reqPerSec, targetRatio: scenario.targetRatio };
}
