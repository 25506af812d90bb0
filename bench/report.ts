/** The benchmark's printed tables: one per section, in the order they ran, then every target's verdict. */
import { MEMORY_TIER, ZIPF, zipfShare, type CacheLatencyResult, type ReadHeavyResult } from "./cache.ts";
import type { CanaryResult, SplitResult } from "./deployments.ts";
import type { LoadSettings, Measurement, PairResult, Verdict } from "./harness.ts";
import type { JwtCpuResult } from "./jwt.ts";
import type { NoiseFloor } from "./noise.ts";
import type { OverloadResult } from "./overload.ts";
import { FRESH_SHARE, POOL_TOKENS } from "./pipeline.ts";
import type { TemplatesResult } from "./templates.ts";
import type { RoutingResult } from "./routing.ts";
import { SCENARIOS } from "./scenarios.ts";
import type { AccuracyResult, StrictResult } from "./throttle.ts";
import type { WebSocketBenchResult } from "./websocket.ts";

/**
 * The sections whose results are pairs (a ratio against a reference): run.ts gives each pair its verdict against the
 * noise floor, and the targets summary lists them — one list, so a section cannot get one without the other.
 */
export const PAIR_SECTIONS = ["overhead", "deployments", "jwt", "throttle", "cache", "templates", "integrations", "observability", "peers"] as const;

interface SectionBase {
  pairs: PairResult[];
  /** 1, 5 and 15-minute load averages when the section started. */
  loadAverage: number[];
  /** Scenarios that could not run on this machine (nginx absent), and why. */
  skipped?: { scenario: string; reason: string }[];
}

/** One target of the run and its verdict (the closing table, and `targets` in results.json). */
export interface TargetRow {
  /** Issue 12's letter, where the figure is one of its (a)–(g). */
  item: string | null;
  what: string;
  figure: string;
  target: string;
  verdict: Verdict | "reference" | "skipped" | "INVALID";
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
  settings: LoadSettings & { overloadSeconds?: number; porticoVars?: Record<string, string>; throttleWorkerVars?: Record<string, string> };
  /** (d) The A/A pair and the noise floor it gives. */
  noise?: NoiseFloor & { pair: PairResult; loadAverage: number[] };
  /** Portico against bare Workers doing the same job. */
  overhead?: SectionBase;
  /** Version resolution (published vs embedded) and canary split accuracy. */
  deployments?: SectionBase & { canary?: CanaryResult };
  /** A JWT-authorized route vs the same route without, and the CPU cost of verifying. */
  jwt?: SectionBase & { cpu?: JwtCpuResult };
  templates?: SectionBase & { cost?: TemplatesResult };
  /** Access log, Analytics Engine data points and trace propagation on, against all three off. */
  observability?: SectionBase;
  /** Throttle cost, accuracy and lease calls, strict mode. */
  throttle?: SectionBase & { accuracy?: AccuracyResult; strict?: StrictResult };
  /** Cache hits vs a bare Worker, latency, backend calls avoided. */
  cache?: SectionBase & { latency?: CacheLatencyResult; readHeavy?: ReadHeavyResult };
  /** The queue and r2 routes vs bare Workers calling the same bindings. */
  integrations?: SectionBase;
  /** (b) the hand-written Hono gateway, (c) nginx proxy_pass. */
  peers?: SectionBase;
  /** (g) a route offered twice its rate. */
  overload?: OverloadResult & { loadAverage: number[] };
  routing?: RoutingResult;
  /** Message round trip against a bare Durable Object, idle connections per hub, fan-out. */
  websocket?: WebSocketBenchResult;
  /** Every target of the run with its verdict. */
  targets?: TargetRow[];
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const verdict = (met: boolean) => (met ? "met" : "MISSED");
const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)}%`;
/** A pair's verdict as printed: MISSED in capitals, so it stands out. */
const shown = (v: Verdict | null | undefined) => (v === "missed" ? "MISSED" : (v ?? ""));
const loads = (l: number[]) => l.map((x) => x.toFixed(2)).join(" / ");

/** Columns after the second are right-aligned. */
function table(rows: string[][], leftColumns = 2): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((cell, c) => (c >= leftColumns ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join("  ").trimEnd();
  return [line(rows[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n");
}

function pairTable(pairs: PairResult[]): string[] {
  const cpu = (x: Measurement) => (x.cpuUsPerRequest === null ? "n/a" : x.cpuUsPerRequest.toFixed(0));
  const row = (label: string, x: Measurement, ratio = "", cpuRatio = "") => [label, x.name, int(x.reqPerSec), String(x.p50Ms), String(x.p99Ms), cpu(x), ratio, cpuRatio];
  const rows = [["", "Worker", "req/s", "p50 ms", "p99 ms", "CPU µs/req", "req/s ratio (target)", "CPU ratio"]];
  pairs.forEach((p) => {
    const tag = `${p.item ? `(${p.item})` : "·"} ${p.scenario}`;
    rows.push(
      row(tag, p.baseline),
      row(
        `    ${p.slices} slices/side${p.portico.valid && p.baseline.valid ? "" : ", INVALID"}`,
        p.portico,
        p.targetRatio === null ? `${p.ratio.toFixed(3)} (reference)` : `${p.ratio.toFixed(3)} (≥ ${p.targetRatio}) ${shown(p.verdict ?? null)}`,
        p.cpuRatio === null ? "n/a" : p.cpuRatio.toFixed(3),
      ),
    );
  });
  const out = [table(rows)];
  const added = pairs
    .filter((p) => p.portico.cpuUsPerRequest !== null && p.baseline.cpuUsPerRequest !== null)
    .map((p) => {
      const d = p.portico.cpuUsPerRequest! - p.baseline.cpuUsPerRequest!;
      return `${p.scenario} ${d < 0 ? "−" : "+"}${Math.abs(d).toFixed(0)} µs`;
    });
  if (added.length) out.push(`CPU the Portico side adds per request over its reference (same run): ${added.join(", ")}`);
  for (const p of pairs) out.push(...streamLines(p));
  return out;
}

/** What a pair's request streams counted: tokens a Worker had not seen (full pipeline), keys asked (cache). */
function streamLines(p: PairResult): string[] {
  const out: string[] = [];
  for (const m of [p.portico, p.baseline]) {
    const c = m.streamCounts;
    if (!c?.requests) continue;
    if (c.tokensNotSentBefore !== undefined)
      out.push(
        `  ${m.name}: ${int(c.requests)} requests drawn, ${pct(c.freshTokens! / c.requests)} with a fresh token, ${pct(c.tokensNotSentBefore / c.requests)} with a token this target had not been sent before` +
          (c.freshTokensReused ? `; ${int(c.freshTokensReused)} fresh tokens ran out and were reused` : ""),
      );
    else if (c.distinctKeys !== undefined && m === p.portico)
      out.push(
        `  ${m.name}: ${int(c.requests)} requests drawn over ${int(c.distinctKeys)} distinct keys; the hottest key ${pct(c.hottestKeyRequests! / c.requests)} of them` +
          (c.cacheApiLookups !== undefined
            ? `; Cache API lookups (counted in the Worker) ${int(c.cacheApiLookups)}: the memory tier answered ${pct(Math.max(0, 1 - c.cacheApiLookups / m.requests))} of the ${int(m.requests)} hits`
            : ""),
      );
  }
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
  if (c.pairs.some((p) => p.item === "e"))
    out.push(
      `Zipf α=${ZIPF.exponent} over ${int(ZIPF.keys)} primed keys: the hottest key draws ${pct(zipfShare(1))} of requests, the 1,000 hottest ${pct(zipfShare(1000))}. The memory tier holds ${int(MEMORY_TIER.entries)} entries (${MEMORY_TIER.mebibytes} MiB), least recently used out first, so every key fits: a hit asks the Cache API when the isolate has not read its key within the last ${MEMORY_TIER.holdSeconds} s (CACHE_MEMORY_MS).`,
    );
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

function websocket(w: WebSocketBenchResult): string[] {
  const { roundTrip: t, idle: i, fanOut: f } = w;
  return [
    "",
    `WebSocket (ConnectionHub; ${w.valid ? "every answer checked" : `INVALID: ${w.problems.join("; ")}`}):`,
    `  round trip through a route     ${int(t.porticoPerSec)} msg/s (p50 ${t.porticoP50Ms.toFixed(2)} ms) vs a bare Durable Object echo ${int(t.barePerSec)} msg/s (p50 ${t.bareP50Ms.toFixed(2)} ms), ${t.clients} clients, ${t.seconds} s per side in ${t.slices} slices   ratio ${t.ratio.toFixed(3)} (≥ ${t.target}) ${verdict(t.ratio >= t.target)}`,
    `  idle connections on one hub    ${int(i.connections)} held (${int(i.heldByHub)} listed); workerd RSS ${i.rssBeforeMiB?.toFixed(0) ?? "n/a"} → ${i.rssAfterMiB?.toFixed(0) ?? "n/a"} MiB: ${i.bytesPerConnection === null ? "n/a" : int(i.bytesPerConnection)} bytes per connection; the bare Durable Object ${i.bareBytesPerConnection === null ? "n/a" : int(i.bareBytesPerConnection)} (awake objects: locally nothing hibernates)`,
    `  fan-out to ${int(f.connections)} connections   ${f.hubs} hubs, ${f.delivered} delivered, median ${f.medianMs.toFixed(1)} ms, max ${f.maxMs.toFixed(1)} ms over ${f.runs} runs   target < ${f.target} ms ${verdict(f.medianMs < f.target)}`,
  ];
}

function noise(n: NonNullable<BenchResults["noise"]>): string[] {
  const out = heading("(d) Noise floor: one target as both sides (A/A)", { pairs: [n.pair], loadAverage: n.loadAverage });
  out.push(...pairTable([n.pair]));
  out.push(
    `Noise floor: ±${pct(n.floor)} (A/A ratio ${n.ratio.toFixed(3)}; slice ratios ${n.sliceRatios.map((x) => x.toFixed(3)).join(", ")}); CPU per request ±${n.cpuFloor === null ? "n/a" : pct(n.cpuFloor)}.`,
    "A target below counts as met or missed only when its ratio is beyond the target by more than this; otherwise: within noise.",
  );
  return out;
}

function peers(p: NonNullable<BenchResults["peers"]>): string[] {
  const out = heading("Peers: the same job done by a hand-written Hono gateway (b) and by nginx (c)", p);
  out.push(...pairTable(p.pairs));
  for (const s of p.skipped ?? []) out.push(`${s.scenario}: skipped — ${s.reason}`);
  return out;
}

function overload(o: NonNullable<BenchResults["overload"]>): string[] {
  const out = ["", `(g) Overload: ${o.route} (${o.rate} r/s, burst ${o.burst}) offered ${o.offeredRate} r/s for ${o.seconds} s, open loop   [load average at start ${loads(o.loadAverage)}]`, "=".repeat(40)];
  const codes = Object.entries(o.statusCodes).map(([code, n]) => `${code}: ${int(n)}`).join(", ");
  out.push(
    `  ${int(o.requests)} requests — ${codes}${Object.keys(o.other).length ? `; other: ${JSON.stringify(o.other)}` : ""}`,
    `  beyond the limit only 429s (no 5xx, no other status, no failed request): ${verdict(o.verdicts.onlyThrottled)}`,
    `  admitted ${int(o.admitted)}, expected ${int(o.expectedAdmitted)} (rate × ${o.seconds} s + burst): ${o.admittedErrorPercent >= 0 ? "+" : "−"}${Math.abs(o.admittedErrorPercent).toFixed(2)}% (target ±${o.admittedTolerancePercent}%) ${verdict(o.verdicts.admittedAsLimited)}`,
    `  latency, ms:  200 p50 ${o.admittedMs.p50.toFixed(2)}  p99 ${o.admittedMs.p99.toFixed(2)}  max ${o.admittedMs.max.toFixed(1)}   |   429 p50 ${o.throttledMs.p50.toFixed(2)}  p99 ${o.throttledMs.p99.toFixed(2)}  max ${o.throttledMs.max.toFixed(1)}`,
    ...(o.generatorLateMs
      ? [
          `  the generator's own lateness (sent − due), ms: p50 ${o.generatorLateMs.p50.toFixed(2)}  p99 ${o.generatorLateMs.p99.toFixed(2)}  max ${o.generatorLateMs.max.toFixed(1)}; 200s from when due: p99 ${o.admittedFromDueMs!.p99.toFixed(2)}`,
        ]
      : []),
    `  admitted p99 ≤ ${o.p99BoundMs} ms: ${verdict(o.verdicts.admittedP99Bounded)}`,
  );
  return out;
}

/** Every target the run measured, with its verdict: pairs (against the noise floor) and the other figures. */
export function targetSummary(r: BenchResults): TargetRow[] {
  const rows: TargetRow[] = [];
  const flag = (ok: boolean): Verdict => (ok ? "met" : "missed");
  for (const section of PAIR_SECTIONS) {
    for (const p of r[section]?.pairs ?? []) {
      const valid = p.portico.valid && p.baseline.valid;
      rows.push({
        item: p.item,
        what: `${p.scenario} ÷ ${p.baseline.name}`,
        figure: p.ratio.toFixed(3),
        target: p.targetRatio === null ? "none" : `≥ ${p.targetRatio}`,
        verdict: !valid ? "INVALID" : p.targetRatio === null ? "reference" : (p.verdict ?? "missed"),
      });
    }
    for (const s of r[section]?.skipped ?? []) {
      const item = SCENARIOS.find((x) => x.name === s.scenario)?.item ?? null;
      rows.push({ item, what: s.scenario, figure: "—", target: "none", verdict: "skipped" });
    }
  }
  if (r.noise) rows.push({ item: "d", what: "noise floor (A/A pair)", figure: `±${pct(r.noise.floor)}`, target: "none", verdict: "reference" });
  const d = r.deployments?.canary;
  if (d) {
    rows.push({ item: null, what: "canary split, sticky by header (share within the 95% interval)", figure: `${d.sticky.observedPercent.toFixed(2)}%`, target: `${d.percent} ± ${d.sticky.expectedSpreadPoints.toFixed(2)}`, verdict: d.sticky.valid ? flag(d.sticky.withinSpread) : "INVALID" });
    rows.push({ item: null, what: "canary split, random", figure: `${d.random.observedPercent.toFixed(2)}%`, target: `${d.percent} ± ${d.random.expectedSpreadPoints.toFixed(2)}`, verdict: d.random.valid ? flag(d.random.withinSpread) : "INVALID" });
    rows.push({ item: null, what: "canary stickiness (users who moved)", figure: int(d.stickiness.moved), target: "0", verdict: d.stickiness.valid ? flag(d.stickiness.moved === 0) : "INVALID" });
  }
  const a = r.throttle?.accuracy;
  if (a) {
    rows.push({ item: null, what: "throttle accuracy (admitted vs rate × s + burst)", figure: `${a.errorPercent >= 0 ? "+" : "−"}${Math.abs(a.errorPercent).toFixed(2)}%`, target: `±${a.targetPercent}%`, verdict: a.valid ? flag(Math.abs(a.errorPercent) <= a.targetPercent) : "INVALID" });
    rows.push({ item: null, what: "throttle lease calls per 10 admitted", figure: ((a.leaseCalls / Math.max(1, a.admitted)) * 10).toFixed(2), target: "≤ 1", verdict: flag(a.leaseCalls * 10 <= a.admitted) });
  }
  const st = r.throttle?.strict;
  if (st) rows.push({ item: null, what: "strict throttle admits exactly its burst", figure: int(st.admitted), target: String(st.expected), verdict: st.valid ? flag(st.admitted === st.expected) : "INVALID" });
  const o = r.overload;
  if (o) {
    rows.push({ item: "g", what: "overload: beyond the limit only 429s (no 5xx)", figure: `${int(o.throttled)} × 429, ${int(Object.values(o.other).reduce((x, y) => x + y, 0))} other`, target: "0 other", verdict: flag(o.verdicts.onlyThrottled) });
    rows.push({ item: "g", what: "overload: admitted vs rate × s + burst", figure: `${o.admittedErrorPercent >= 0 ? "+" : "−"}${Math.abs(o.admittedErrorPercent).toFixed(2)}%`, target: `±${o.admittedTolerancePercent}%`, verdict: flag(o.verdicts.admittedAsLimited) });
    rows.push({ item: "g", what: "overload: p99 of admitted requests", figure: `${o.admittedMs.p99.toFixed(1)} ms`, target: `≤ ${o.p99BoundMs} ms`, verdict: flag(o.verdicts.admittedP99Bounded) });
  }
  const w = r.websocket;
  if (w) {
    const ok = (met: boolean): TargetRow["verdict"] => (w.valid ? flag(met) : "INVALID");
    rows.push({ item: null, what: "WebSocket round trip through a route ÷ a bare Durable Object echo", figure: w.roundTrip.ratio.toFixed(3), target: `≥ ${w.roundTrip.target}`, verdict: ok(w.roundTrip.ratio >= w.roundTrip.target) });
    rows.push({ item: null, what: `WebSocket fan-out to ${int(w.fanOut.connections)} connections (median)`, figure: `${w.fanOut.medianMs.toFixed(1)} ms`, target: `< ${w.fanOut.target} ms`, verdict: ok(w.fanOut.medianMs < w.fanOut.target) });
  }
  const rt = r.routing;
  if (rt) {
    rows.push({ item: null, what: `compile ${int(rt.routes)} routes`, figure: `${rt.compile.medianMs.toFixed(1)} ms`, target: `< ${rt.compile.targetMs} ms`, verdict: flag(rt.compile.medianMs < rt.compile.targetMs) });
    rows.push({ item: null, what: "routing per request", figure: `${(rt.match.medianNsPerRequest / 1000).toFixed(3)} µs`, target: `< ${rt.match.targetNs / 1000} µs`, verdict: flag(rt.match.medianNsPerRequest < rt.match.targetNs) });
  }
  return rows.sort((x, y) => (x.item ?? "z").localeCompare(y.item ?? "z"));
}

function summary(rows: TargetRow[]): string[] {
  const count = (v: TargetRow["verdict"]) => rows.filter((r) => r.verdict === v).length;
  return [
    "",
    "Targets",
    "=======",
    table([["", "figure", "figure value", "target", "verdict"], ...rows.map((t) => [t.item ? `(${t.item})` : "", t.what, t.figure, t.target, t.verdict === "missed" ? "MISSED" : t.verdict])], 2),
    `${count("met")} met, ${count("missed")} missed, ${count("within noise")} within noise${count("INVALID") ? `, ${count("INVALID")} INVALID` : ""}${count("skipped") ? `, ${count("skipped")} skipped` : ""}; ${count("reference")} for reference (no target).`,
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
  if (s.porticoVars && PAIR_SECTIONS.some((section) => r[section])) out.push(`Portico Worker vars over wrangler.toml: ${vars(s.porticoVars)}; throttle section's Worker: ${vars(s.throttleWorkerVars)}`);
  if (r.overhead?.pairs.some((p) => p.item === "a") || r.peers?.pairs.length)
    out.push(`Full pipeline tokens: ${pct(FRESH_SHARE, 0)} of requests carry a fresh token (never sent before), the rest one of ${int(POOL_TOKENS)} reused tokens (bench/pipeline.ts)`);
  if (r.noise) out.push(...noise(r.noise));
  if (r.overhead) out.push(...heading("Overhead: Portico against bare Workers doing the same job", r.overhead), ...pairTable(r.overhead.pairs));
  if (r.deployments) out.push(...deployments(r.deployments));
  if (r.jwt) out.push(...jwt(r.jwt));
  if (r.throttle) out.push(...throttle(r.throttle));
  if (r.cache) out.push(...cache(r.cache));
  if (r.templates) out.push(...templates(r.templates));
  if (r.integrations) out.push(...heading("Integrations: queue and r2 routes against bare Workers calling the same bindings", r.integrations), ...pairTable(r.integrations.pairs));
  if (r.observability) out.push(...heading("Observability: access log + Analytics Engine + tracing, on ÷ off", r.observability), ...pairTable(r.observability.pairs));
  if (r.peers) out.push(...peers(r.peers));
  if (r.overload) out.push(...overload(r.overload));
  if (r.routing) out.push(...routing(r.routing));
  if (r.websocket) out.push(...websocket(r.websocket));
  if (r.targets?.length) out.push(...summary(r.targets));
  return out.join("\n");
}
