/**
 * The load half of the benchmark: each Worker in its own Miniflare (workerd, never `wrangler dev`) on a loopback
 * port, loaded by autocannon in this process with the same connections and duration for every target.
 *
 * A scenario and its baseline are measured in alternating slices (B P P B …), so drift over the run — thermal,
 * another process waking up — lands on both sides alike. Besides req/s and latency, each side's workerd CPU time
 * per request is read from /proc (Linux), which stays comparable when other work competes for the CPUs. Each side is checked before it is loaded, and every
 * response during the load must be a 2xx with the expected body (and headers): a route that fails fast is never reported as fast.
 *
 * `drive()` is the same for measurements that are not pairs (canary split, throttle accuracy, read-heavy cache
 * mix): requests that vary per request, and every response judged by the caller.
 */
import autocannon, { type RawResult } from "autocannon";
import { Miniflare } from "miniflare";
import { readdirSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { WORKERS, type BenchContext, type Scenario, type Target } from "./scenarios.ts";

/** A target's request headers (a function when they are only known at run time: a signed token). */
export function headersOf(target: Target): Record<string, string> | undefined {
  return typeof target.headers === "function" ? target.headers() : target.headers;
}

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
  /** The section (issue) the scenario belongs to: overhead, deployments, jwt, throttle, cache. */
  section: string;
  portico: Measurement;
  baseline: Measurement;
  /** Portico's req/s over the baseline's. */
  ratio: number;
  /** Null for a pair reported for reference, with no target. */
  targetRatio: number | null;
  /** Portico's CPU µs per request over the baseline's (null where CPU time cannot be read). */
  cpuRatio: number | null;
  /** Interleaved slices per side. */
  slices: number;
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
export function workerdChildren(): number[] {
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
const PRINTED_LINES = Number(process.env.BENCH_WORKER_LOG_LINES ?? 10);
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
export async function check(url: URL, target: Target): Promise<void> {
  const res = await fetch(new URL(target.path, url), { method: target.method ?? "GET", headers: headersOf(target), body: target.body });
  const body = await res.text();
  if (res.status < 200 || res.status > 299 || body !== target.expectBody)
    throw new Error(`${target.worker} ${target.path} answered ${res.status} ${JSON.stringify(body.slice(0, 200))}, expected 2xx ${JSON.stringify(target.expectBody)}`);
  for (const [name, value] of Object.entries(target.expectHeaders ?? {}))
    if (res.headers.get(name) !== value) throw new Error(`${target.worker} ${target.path} answered ${name}: ${res.headers.get(name)}, expected ${value}`);
}

/** Response headers as autocannon reports them, by lower-case name. */
function headerValue(headers: Record<string, string | string[]>, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return Array.isArray(v) ? v.join(", ") : v;
  return undefined;
}

async function load(url: URL, target: Target, seconds: number, connections: number): Promise<RawResult> {
  const common = { url: new URL(target.path, url).href, connections, duration: seconds, skipAggregateResult: true };
  const request = { method: target.method ?? "GET", headers: headersOf(target), body: target.body };
  const expected = Object.entries(target.expectHeaders ?? {});
  if (!expected.length) return autocannon({ ...common, ...request, expectBody: target.expectBody });
  // Headers must be checked too (a cache hit must say HIT): per-response callback, wrong headers count as mismatches.
  let wrongHeaders = 0;
  const result = await autocannon({
    ...common,
    verifyBody: (body) => body === target.expectBody,
    requests: [
      {
        ...request,
        path: target.path,
        onResponse: (_status, _body, _context, headers) => {
          if (expected.some(([name, value]) => headerValue(headers, name) !== value)) wrongHeaders++;
        },
      },
    ],
  });
  return { ...result, mismatches: result.mismatches + wrongHeaders };
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

/**
 * Measures a scenario against its baseline: warm-up each side, then interleaved slices (forward, then backward:
 * B P P B …).
 */
export async function measurePair(pool: WorkerPool, scenario: Scenario, settings: LoadSettings, log: (line: string) => void): Promise<PairResult> {
  const slices = Math.max(settings.slices, scenario.slices ?? 0);
  const side = async (name: string, target: Target) => ({ name, target, url: await pool.url(target.worker), runs: [] as RawResult[], cpu: 0 as number | null });
  const sides = [await side(scenario.baseline.name, scenario.baseline), await side(`Portico ${scenario.name}`, scenario)];
  await scenario.setup?.(pool.urls());
  for (const side of sides) {
    await check(side.url, side.target);
    if (settings.warmupSeconds > 0) await load(side.url, side.target, settings.warmupSeconds, settings.connections);
  }
  const sliceSeconds = settings.seconds / slices;
  for (let slice = 0; slice < slices; slice++) {
    const order = slice % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      log(`  ${side.name}: slice ${slice + 1}/${slices} (${sliceSeconds} s)`);
      const before = pool.cpuSeconds(side.target.worker);
      side.runs.push(await load(side.url, side.target, sliceSeconds, settings.connections));
      const after = pool.cpuSeconds(side.target.worker);
      side.cpu = side.cpu === null || before === null || after === null ? null : side.cpu + (after - before);
    }
  }
  const [baseline, portico] = sides.map((s) => summarise(s.name, s.target, s.url, s.runs, s.cpu, settings.connections)) as [Measurement, Measurement];
  return {
    scenario: scenario.name,
    section: scenario.section,
    portico,
    baseline,
    ratio: portico.reqPerSec / baseline.reqPerSec,
    targetRatio: scenario.targetRatio,
    cpuRatio: portico.cpuUsPerRequest === null || baseline.cpuUsPerRequest === null ? null : portico.cpuUsPerRequest / baseline.cpuUsPerRequest,
    slices,
  };
}

/** One request of a driven run: its path (and headers), chosen per request. */
export interface DrivenRequest {
  path: string;
  method?: string;
  headers?: Record<string, string>;
}

export interface DriveOptions {
  url: URL;
  connections: number;
  /** Run for this many seconds … */
  seconds?: number;
  /** … or send exactly this many requests. */
  amount?: number;
  /** The i-th request (0-based, in the order they are sent). */
  next: (i: number) => DrivenRequest;
  /**
   * Judges one response: a label to count it under (`"200"`, a version id, `"HIT"`), or `{ invalid: reason }`
   * for a response that should never happen — any of those makes the run invalid.
   */
  classify: (status: number, body: string, headers: (name: string) => string | undefined, request: DrivenRequest) => string | { invalid: string };
}

export interface DriveResult {
  requests: number;
  /** Seconds from the first request to the end of the run (autocannon's). */
  seconds: number;
  counts: Record<string, number>;
  statusCodes: Record<string, number>;
  /** Responses that failed `classify`, by reason. */
  invalid: Record<string, number>;
  errors: number;
  timeouts: number;
  p50Ms: number;
  p99Ms: number;
  valid: boolean;
}

/**
 * A run whose requests vary (paths, headers) and whose every response is judged by `classify`: the extra
 * measurements (canary split, throttle accuracy, read-heavy cache) use it, so they are validated like the pairs.
 */
export async function drive(opts: DriveOptions): Promise<DriveResult> {
  const counts: Record<string, number> = {};
  const invalid: Record<string, number> = {};
  let sent = 0;
  const raw = await autocannon({
    url: opts.url.href,
    connections: opts.connections,
    ...(opts.amount !== undefined ? { amount: opts.amount } : { duration: opts.seconds ?? 1 }),
    skipAggregateResult: true,
    requests: [
      {
        // One request in flight per connection, and the connection's context is shared by the two callbacks:
        // autocannon calls onResponse for a request before setupRequest for the next, so `context.request` is the
        // request this response answers.
        setupRequest: (req, context) => {
          const r = opts.next(sent++);
          (context as { request?: DrivenRequest }).request = r;
          return { ...req, method: r.method ?? "GET", path: r.path, headers: r.headers ?? {} };
        },
        onResponse: (status, body, context, headers) => {
          const verdict = opts.classify(status, body, (name) => headerValue(headers, name), (context as { request?: DrivenRequest }).request ?? { path: "?" });
          if (typeof verdict === "string") counts[verdict] = (counts[verdict] ?? 0) + 1;
          else invalid[verdict.invalid] = (invalid[verdict.invalid] ?? 0) + 1;
        },
      },
    ],
  });
  const { latency } = autocannon.aggregateResult([{ ...raw, statusCodeStats: structuredClone(raw.statusCodeStats) }], { url: opts.url.href, connections: opts.connections });
  const statusCodes = Object.fromEntries(Object.entries(raw.statusCodeStats).map(([code, { count }]) => [code, count]));
  const judged = Object.values(counts).reduce((a, b) => a + b, 0) + Object.values(invalid).reduce((a, b) => a + b, 0);
  return {
    requests: raw.totalCompletedRequests,
    seconds: raw.duration,
    counts,
    statusCodes,
    invalid,
    errors: raw.errors,
    timeouts: raw.timeouts,
    p50Ms: latency.p50,
    p99Ms: latency.p99,
    valid: raw.errors + raw.timeouts === 0 && Object.keys(invalid).length === 0 && judged === raw.totalCompletedRequests && raw.totalCompletedRequests > 0,
  };
}
