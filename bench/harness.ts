/**
 * The load half of the benchmark: every target (pool.ts) loaded by autocannon in this process with the same
 * connections and duration.
 *
 * A scenario and its baseline are measured in alternating slices (B P P B …), so drift over the run — thermal,
 * another process waking up — lands on both sides alike. Besides req/s and latency, each side's CPU time per
 * request is read from /proc (Linux), which stays comparable when other work competes for the CPUs. Each side is
 * checked before it is loaded, and every response during the load must be a 2xx with the expected body (and
 * headers): a route that fails fast is never reported as fast.
 *
 * A target's requests are the same every time, or drawn from a stream (rotating tokens, many cache keys); a
 * stream is made per side, so what it counts (tokens a Worker had not seen) is that side's.
 *
 * `drive()` is the same for measurements that are not pairs (canary split, throttle accuracy, read-heavy cache
 * mix): requests that vary per request, and every response judged by the caller.
 */
import autocannon, { type RawResult, type RequestTemplate } from "autocannon";
import type { WorkerPool } from "./pool.ts";
import type { RequestShape, RequestStream, Scenario, Target } from "./shapes.ts";

/** A target's one request (a fixed target), with its headers resolved (a function when known only at run time). */
export function requestOf(target: Target): RequestShape {
  return {
    path: target.path,
    method: target.method ?? "GET",
    headers: typeof target.headers === "function" ? target.headers() : target.headers,
    body: target.body,
  };
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
   * CPU time of the target's processes per completed request, in µs (Linux only; null elsewhere). Unlike req/s it
   * hardly moves when other work competes for the CPUs. For a Worker it includes what both sides pay alike:
   * HTTP parsing and Miniflare's entry Worker.
   */
  cpuUsPerRequest: number | null;
  requests: number;
  seconds: number;
  /** req/s of each measured slice, in the order they ran. */
  sliceReqPerSec: number[];
  /** CPU µs per request of each measured slice (empty where CPU time cannot be read). */
  sliceCpuUsPerRequest: number[];
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
  /** Responses by status code. */
  statusCodes: Record<string, number>;
  /** What the side's request stream counted over the measured slices (absent for a fixed request). */
  streamCounts?: Record<string, number>;
  /** False when any request failed, timed out, was not 2xx or had the wrong body. */
  valid: boolean;
}

/** Whether a figure met its target, counting the run's noise floor (noise.ts). */
export type Verdict = "met" | "missed" | "within noise";

export interface PairResult {
  scenario: string;
  /** Issue 12's letter for the figure ((a)–(g)), where it has one. */
  item: string | null;
  /** The section the scenario belongs to (overhead, deployments, jwt, throttle, cache, peers, or noise for the A/A). */
  section: string;
  portico: Measurement;
  baseline: Measurement;
  /** Portico's req/s over the baseline's. */
  ratio: number;
  /** Null for a pair reported for reference, with no target. */
  targetRatio: number | null;
  /** Met, missed or within noise, once the run's A/A noise floor is known (null: no target). */
  verdict?: Verdict | null;
  /** Portico's CPU µs per request over the baseline's (null where CPU time cannot be read). */
  cpuRatio: number | null;
  /** Interleaved slices per side. */
  slices: number;
  /** Portico's req/s over the baseline's, slice by slice (the i-th slice of each side). */
  sliceRatios: number[];
}

/** One request by hand: the target must answer 2xx with its expected body before it is loaded. */
export async function check(url: URL, target: Target, shape: RequestShape = requestOf(target)): Promise<void> {
  const res = await fetch(new URL(shape.path, url), { method: shape.method ?? "GET", headers: shape.headers, body: shape.body });
  const body = await res.text();
  if (res.status < 200 || res.status > 299 || body !== target.expectBody)
    throw new Error(`${target.worker} ${shape.path} answered ${res.status} ${JSON.stringify(body.slice(0, 200))}, expected 2xx ${JSON.stringify(target.expectBody)}`);
  for (const [name, value] of Object.entries(target.expectHeaders ?? {}))
    if (res.headers.get(name) !== value) throw new Error(`${target.worker} ${shape.path} answered ${name}: ${res.headers.get(name)}, expected ${value}`);
}

/** Response headers as autocannon reports them, by lower-case name. */
function headerValue(headers: Record<string, string | string[]>, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return Array.isArray(v) ? v.join(", ") : v;
  return undefined;
}

/** One autocannon run of a target (its fixed request, or its stream) for `seconds`. */
export async function load(url: URL, target: Target, stream: RequestStream | undefined, seconds: number, connections: number): Promise<RawResult> {
  const common = { url: new URL(target.path, url).href, connections, duration: seconds, skipAggregateResult: true };
  const expected = Object.entries(target.expectHeaders ?? {});
  if (!expected.length && !stream) {
    const { path: _, ...request } = requestOf(target);
    return autocannon({ ...common, ...request, expectBody: target.expectBody });
  }
  // Headers must be checked too (a cache hit must say HIT): per-response callback, wrong headers count as mismatches.
  let wrongHeaders = 0;
  const template: RequestTemplate = stream
    ? {
        setupRequest: (req) => {
          const r = stream.next();
          return { ...req, method: r.method ?? "GET", path: r.path, headers: r.headers ?? {}, body: r.body };
        },
      }
    : { ...requestOf(target) };
  if (expected.length)
    template.onResponse = (_status, _body, _context, headers) => {
      if (expected.some(([name, value]) => headerValue(headers, name) !== value)) wrongHeaders++;
    };
  const result = await autocannon({ ...common, verifyBody: (body) => body === target.expectBody, requests: [template] });
  return { ...result, mismatches: result.mismatches + wrongHeaders };
}

function summarise(name: string, target: Target, url: URL, runs: RawResult[], sliceCpu: (number | null)[], connections: number, streamCounts?: Record<string, number>): Measurement {
  const cpuSeconds = sliceCpu.some((c) => c === null) ? null : sliceCpu.reduce((a: number, b) => a + b!, 0);
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
    sliceReqPerSec: runs.map((r) => r.totalCompletedRequests / r.duration),
    sliceCpuUsPerRequest: cpuSeconds === null ? [] : runs.map((r, i) => (sliceCpu[i]! * 1e6) / Math.max(1, r.totalCompletedRequests)),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    non2xx: sum((r) => r.non2xx),
    mismatches: sum((r) => r.mismatches),
    statusCodes: {} as Record<string, number>,
    ...(streamCounts ? { streamCounts } : {}),
  };
  for (const run of runs)
    for (const [code, { count }] of Object.entries(run.statusCodeStats)) m.statusCodes[code] = (m.statusCodes[code] ?? 0) + count;
  return { ...m, valid: m.errors + m.timeouts + m.non2xx + m.mismatches === 0 && requests > 0 };
}

/**
 * Measures a scenario against its baseline: warm-up each side, then interleaved slices (forward, then backward:
 * B P P B …). An A/A scenario names the same target on both sides.
 */
export async function measurePair(pool: WorkerPool, scenario: Scenario, settings: LoadSettings, log: (line: string) => void): Promise<PairResult> {
  const slices = Math.max(settings.slices, scenario.slices ?? 0);
  const side = async (name: string, target: Target) => ({
    name,
    target,
    url: await pool.url(target.worker),
    stream: target.stream?.(pool),
    runs: [] as RawResult[],
    cpu: [] as (number | null)[],
  });
  await scenario.setup?.(pool, log);
  const sides = [await side(scenario.baseline.name, scenario.baseline), await side(scenario.label ?? `Portico ${scenario.name}`, scenario)];
  for (const side of sides) {
    await check(side.url, side.target, side.stream?.next());
    if (settings.warmupSeconds > 0) await load(side.url, side.target, side.stream, settings.warmupSeconds, settings.connections);
    await side.stream?.begin?.();
  }
  const sliceSeconds = settings.seconds / slices;
  for (let slice = 0; slice < slices; slice++) {
    const order = slice % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      log(`  ${side.name}: slice ${slice + 1}/${slices} (${sliceSeconds} s)`);
      const before = pool.cpuSeconds(side.target.worker);
      side.runs.push(await load(side.url, side.target, side.stream, sliceSeconds, settings.connections));
      const after = pool.cpuSeconds(side.target.worker);
      side.cpu.push(before === null || after === null ? null : after - before);
    }
  }
  const counted = await Promise.all(sides.map((s) => s.stream?.counts?.()));
  const [baseline, portico] = sides.map((s, i) => summarise(s.name, s.target, s.url, s.runs, s.cpu, settings.connections, counted[i])) as [Measurement, Measurement];
  return {
    scenario: scenario.name,
    item: scenario.item ?? null,
    section: scenario.section,
    portico,
    baseline,
    ratio: portico.reqPerSec / baseline.reqPerSec,
    targetRatio: scenario.targetRatio,
    cpuRatio: portico.cpuUsPerRequest === null || baseline.cpuUsPerRequest === null ? null : portico.cpuUsPerRequest / baseline.cpuUsPerRequest,
    slices,
    sliceRatios: portico.sliceReqPerSec.map((r, i) => r / baseline.sliceReqPerSec[i]!),
  };
}

/** One request of a driven run: its path (and method, headers, body), chosen per request. */
export type DrivenRequest = RequestShape;

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
          return { ...req, method: r.method ?? "GET", path: r.path, headers: r.headers ?? {}, body: r.body };
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
