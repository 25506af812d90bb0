/** The benchmark's printed tables: one per section, in the order they ran. */
import type { CacheLatencyResult, ReadHeavyResult } from "./cache.ts";
import type { CanaryResult, SplitResult } from "./deployments.ts";
import type { LoadSettings, Measurement, PairResult } from "./harness.ts";
import type { JwtCpuResult } from "./jwt.ts";
import type { TemplatesResult } from "./templates.ts";
import type { RoutingResult } from "./routing.ts";
import type { AccuracyResult, StrictResult } from "./throttle.ts";

interface SectionBase {
  pairs: PairResult[];
  /** 1, 5 and 15-minute load averages when the section started. */
  loadAverage: number[];
}

export interface BenchResults {
  date: string;
  machine: {
    cpus: number;
    cpuModel: string;
    node: string;
    miniflare: string;
    workerd: string;
    loadAverage: { start: number; end: number };
    loadAverages: { start: number[]; end: number[] };
  };
  settings: LoadSettings & { porticoVars?: Record<string, string>; throttleWorkerVars?: Record<string, string> };
  /** Portico against bare Workers doing the same job. */
  overhead?: SectionBase;
  /** Version resolution (published vs embedded) and canary split accuracy. */
  deployments?: SectionBase & { canary?: CanaryResult };
  /** A JWT-authorized route vs the same route without, and the CPU cost of verifying. */
  jwt?: SectionBase & { cpu?: JwtCpuResult };
  templates?: SectionBase & { cost?: TemplatesResult };
  /** Throttle cost, accuracy and lease calls, strict mode. */
  throttle?: SectionBase & { accuracy?: AccuracyResult; strict?: StrictResult };
  /** Cache hits vs a bare Worker, latency, backend calls avoided. */
  cache?: SectionBase & { latency?: CacheLatencyResult; readHeavy?: ReadHeavyResult };
  /** The queue and r2 routes vs bare Workers calling the same bindings. */
  integrations?: SectionBase;
  routing?: RoutingResult;
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const verdict = (met: boolean) => (met ? "met" : "MISSED");
const loads = (l: number[]) => l.map((x) => x.toFixed(2)).join(" / ");

/** Columns after the second are right-aligned. */
function table(rows: string[][], leftColumns = 2): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((cell, c) => (c >= leftColumns ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join("  ").trimEnd();
  return [line(rows[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n");
}

function pairTable(pairs: PairResult[], firstLetter = 0): string[] {
  const cpu = (x: Measurement) => (x.cpuUsPerRequest === null ? "n/a" : x.cpuUsPerRequest.toFixed(0));
  const row = (label: string, x: Measurement, ratio = "", cpuRatio = "") => [label, x.name, int(x.reqPerSec), String(x.p50Ms), String(x.p99Ms), cpu(x), ratio, cpuRatio];
  const rows = [["", "Worker", "req/s", "p50 ms", "p99 ms", "CPU µs/req", "req/s ratio (target)", "CPU ratio"]];
  pairs.forEach((p, i) => {
    const tag = `(${String.fromCharCode(97 + firstLetter + i)}) ${p.scenario}`;
    rows.push(
      row(tag, p.baseline),
      row(`    ${p.slices} slices/side${p.portico.valid && p.baseline.valid ? "" : ", INVALID"}`, p.portico, p.targetRatio === null ? `${p.ratio.toFixed(3)} (reference)` : `${p.ratio.toFixed(3)} (≥ ${p.targetRatio}) ${verdict(p.ratio >= p.targetRatio)}`, p.cpuRatio === null ? "n/a" : p.cpuRatio.toFixed(3)),
    );
  });
  const out = [table(rows)];
  const added = pairs
    .filter((p) => p.portico.cpuUsPerRequest !== null && p.baseline.cpuUsPerRequest !== null)
    .map((p) => {
      const d = p.portico.cpuUsPerRequest! - p.baseline.cpuUsPerRequest!;
      return `${p.scenario} ${d < 0 ? "−" : "+"}${Math.abs(d).toFixed(0)} µs`;
    });
  if (added.length) out.push(`CPU the Portico side adds per request over its reference (workerd process, same run): ${added.join(", ")}`);
  return out;
}

function heading(title: string, section: SectionBase): string[] {
  return ["", `${title}   [load average at start ${loads(section.loadAverage)}]`, "=".repeat(title.length)];
}

function splitLine(label: string, s: SplitResult, percent: number): string[] {
  return [
    label,
    int(s.requests),
    `${int(s.canary)} / ${int(s.stable)}`,
    `${s.observedPercent.toFixed(2)}%`,
    `${percent} ± ${s.expectedSpreadPoints.toFixed(2)}`,
    s.valid ? verdict(s.withinSpread) : "INVALID",
  ];
}

function deployments(d: NonNullable<BenchResults["deployments"]>): string[] {
  const out = heading("Deployments: version resolution on the hot path, canary split", d);
  out.push(...pairTable(d.pairs));
  for (const p of d.pairs)
    out.push(`Published ÷ embedded: req/s ${(p.ratio * 100).toFixed(1)}% (target within 2%), CPU per request ${p.cpuRatio === null ? "n/a" : `${(p.cpuRatio * 100).toFixed(1)}%`}`);
  const c = d.canary;
  if (c) {
    out.push("", `Canary at ${c.percent}% (stable ${c.stableVersion}, canary ${c.canaryVersion}); every response's x-portico-version counted:`);
    out.push(
      table(
        [
          ["", "requests", "canary / stable", "canary share", "expected (95%)", ""],
          splitLine(`sticky by header ${c.sticky.header}, a distinct value per request`, c.sticky, c.percent),
          splitLine("sticky none (random per request)", c.random, c.percent),
        ],
        1,
      ),
    );
    out.push(
      `Stickiness: ${int(c.stickiness.rechecked)} of those users asked again, ${int(c.stickiness.same)} kept their version, ${int(c.stickiness.moved)} moved ${c.stickiness.valid ? verdict(c.stickiness.moved === 0) : "INVALID"}`,
    );
  }
  return out;
}

function jwt(j: NonNullable<BenchResults["jwt"]>): string[] {
  const out = heading("JWT authorizer (ES256, inline JWKS)", j);
  out.push(...pairTable(j.pairs));
  const c = j.cpu;
  if (c) {
    const row = (label: string, s: JwtCpuResult["verifyProduct"], ops: number) => [label, s.medianUs.toFixed(1), s.minUs.toFixed(1), s.maxUs.toFixed(1), s.medianCpuUs.toFixed(1), int(ops)];
    out.push("", `Cost per operation, measured in ${c.runtime}; median of ${c.runs} runs (CPU: the process's user + system time, all threads):`);
    out.push(
      table(
        [
          ["", "wall µs/op", "min", "max", "CPU µs/op", "ops/run"],
          row("jwtAuthorizer.authorize, verification (memo miss)", c.verifyProduct, c.opsPerRun.verify),
          row("jwtAuthorizer.authorize, memo hit", c.memoHitProduct, c.opsPerRun.memoHit),
          row("jose jwtVerify alone (ES256)", c.verifyJose, c.opsPerRun.verify),
          row("Map.get by the token alone", c.memoPathAlone, c.opsPerRun.memoHit),
        ],
        1,
      ),
    );
  }
  return out;
}

function templates(t: NonNullable<BenchResults["templates"]>): string[] {
  const out = heading("Mapping templates (Amazon's VTL)", t);
  out.push(...pairTable(t.pairs));
  const c = t.cost;
  if (c) {
    out.push("", `Cost per template, measured in ${c.runtime}; median of ${c.runs} runs (compile: once per bundle per isolate; render: per request):`);
    out.push(
      table(
        [["", "chars", "compile µs", "render µs", "output chars"], ...c.rows.map((r) => [r.name, int(r.chars), r.compileUs.toFixed(1), r.renderUs.toFixed(1), int(r.outputChars)])],
        1,
      ),
    );
  }
  return out;
}

function throttle(t: NonNullable<BenchResults["throttle"]>): string[] {
  const out = heading("Throttling (Worker with ACCOUNT_RATE=0: only the route's bucket applies)", t);
  out.push(...pairTable(t.pairs));
  const a = t.accuracy;
  if (a) {
    const ok = Math.abs(a.errorPercent) <= a.targetPercent;
    out.push(
      "",
      `Accuracy: ${a.route} at ${a.rate} r/s, burst ${a.burst}; ${a.connections} connections for ${a.seconds.toFixed(2)} s, ${int(a.requests)} requests`,
      `  admitted ${int(a.admitted)}, expected ${a.expected.toFixed(0)} (rate × ${a.seconds.toFixed(2)} s + burst): ${a.errorPercent >= 0 ? "+" : "−"}${Math.abs(a.errorPercent).toFixed(2)}% (target ±${a.targetPercent}%) ${a.valid ? verdict(ok) : "INVALID"}`,
      `  RateLimiter.lease calls (measured, counted in the object): ${int(a.leaseCalls)} = ${((a.leaseCalls / Math.max(1, a.admitted)) * 10).toFixed(2)} per 10 admitted (target ≤ 1) ${verdict(a.leaseCalls * 10 <= a.admitted)}`,
      `    of which ${int(a.emptyLeaseCalls)} granted nothing (bucket empty); lease size (bucket.ts leaseSize, computed): want ${a.leaseSize.want}, accept ≥ ${a.leaseSize.min}`,
    );
  }
  const s = t.strict;
  if (s)
    out.push(
      `Strict: ${s.route}, burst ${s.burst}, ${s.rate} r/s; ${s.connections} connections for ${s.seconds.toFixed(2)} s, ${int(s.requests)} requests: admitted ${int(s.admitted)}, expected exactly ${s.expected} ${s.valid ? verdict(s.admitted === s.expected) : "INVALID"}; lease calls ${int(s.leaseCalls)} (${int(s.emptyLeaseCalls)} of them empty)`,
    );
  return out;
}

function cache(c: NonNullable<BenchResults["cache"]>): string[] {
  const out = heading("Cache (stage `cache`, GET /items/{id} → http_proxy)", c);
  out.push(...pairTable(c.pairs));
  const l = c.latency;
  if (l) {
    out.push("", `Latency, one request at a time (no queueing), ${l.rounds} interleaved rounds × ${l.perRound} per target, client wall time:`);
    out.push(table([["", "requests", "p50 ms", "p90 ms", "p99 ms"], ...l.rows.map((r) => [r.name, int(r.requests), r.p50Ms.toFixed(2), r.p90Ms.toFixed(2), r.p99Ms.toFixed(2)])], 1));
    if (!l.valid) out.push(`  INVALID: ${l.problems.join("; ")}`);
  }
  const r = c.readHeavy;
  if (r) {
    out.push(
      "",
      `Read-heavy mix: ${int(r.requests)} requests, ${r.hotShare * 100}% to ${r.hotPaths} hot paths, the rest to new paths (${int(r.distinctPaths)} distinct), ${r.connections} connections, ${int(r.reqPerSec)} req/s${r.valid ? "" : "  INVALID"}`,
      `  X-Cache: ${int(r.hits)} HIT, ${int(r.misses)} MISS; backend calls (counted by the upstream): ${int(r.backendCalls)}`,
      `  backend calls avoided: ${int(r.backendCallsAvoided)} (${r.avoidedPercent.toFixed(1)}% of requests); fewest possible: ${int(r.idealBackendCalls)} (one per distinct path), so ${int(r.extraBackendCalls)} extra`,
    );
  }
  return out;
}

function routing(r: RoutingResult): string[] {
  const { compile, match, routes, routerBuildMs } = r;
  return [
    "",
    `Routing, ${int(routes)} routes (Node):`,
    `  compile (compileDefinition)   median ${compile.medianMs.toFixed(1)} ms of ${compile.runs} (min ${compile.minMs.toFixed(1)}, max ${compile.maxMs.toFixed(1)})   target < ${compile.targetMs} ms ${verdict(compile.medianMs < compile.targetMs)}`,
    `  route table build             ${routerBuildMs.toFixed(2)} ms`,
    `  per request (normalise+match) median ${(match.medianNsPerRequest / 1000).toFixed(3)} µs over ${match.runs} runs of ${int(match.matchesPerRun)} (${int(match.paths)} paths, ${int(match.misses)} misses)   target < ${match.targetNs / 1000} µs ${verdict(match.medianNsPerRequest < match.targetNs)}`,
    `  Router.match alone            median ${(match.medianNsPerMatchOnly / 1000).toFixed(3)} µs`,
  ];
}

export function formatReport(r: BenchResults): string {
  const out: string[] = [];
  const { settings: s, machine: m } = r;
  out.push(`Portico benchmark, ${r.date} — ${m.cpus} × ${m.cpuModel}, Node ${m.node}, Miniflare ${m.miniflare} (workerd ${m.workerd})`);
  const busy = m.loadAverage.start > m.cpus * 0.5;
  out.push(
    `Load average (1 / 5 / 15 min): ${loads(m.loadAverages.start)} at the start, ${loads(m.loadAverages.end)} at the end` +
      (busy ? " — other work was competing for the CPUs: trust the ratios (and CPU µs/req) more than the absolute numbers" : ""),
    `Load: ${s.connections} connections, ${s.seconds} s per side in ${s.slices} interleaved slices (more where a scenario asks), after ${s.warmupSeconds} s warm-up each; loopback, autocannon`,
  );
  const vars = (v: Record<string, string> | undefined) => Object.entries(v ?? {}).map(([k, x]) => `${k}=${x}`).join(" ");
  if (s.porticoVars && (r.overhead || r.deployments || r.jwt || r.throttle || r.cache || r.templates || r.integrations)) out.push(`Portico Worker vars over wrangler.toml: ${vars(s.porticoVars)}; throttle section's Worker: ${vars(s.throttleWorkerVars)}`);
  if (r.overhead) out.push(...heading("Overhead: Portico against bare Workers doing the same job", r.overhead), ...pairTable(r.overhead.pairs));
  if (r.deployments) out.push(...deployments(r.deployments));
  if (r.jwt) out.push(...jwt(r.jwt));
  if (r.throttle) out.push(...throttle(r.throttle));
  if (r.cache) out.push(...cache(r.cache));
  if (r.templates) out.push(...templates(r.templates));
  if (r.integrations) out.push(...heading("Integrations: queue and r2 routes against bare Workers calling the same bindings", r.integrations), ...pairTable(r.integrations.pairs));
  if (r.routing) out.push(...routing(r.routing));
  return out.join("\n");
}
