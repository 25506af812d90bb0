/**
 * Where a pair's CPU goes: `node --import tsx bench/profile.ts <scenario> [<scenario> …]` (part of a scenario's
 * name, as for `npm run bench -- <name>`). For each side of each scenario named: its setup, a warm-up, then
 * BENCH_SECONDS (default 8) of the same load as the bench, in BENCH_PROFILE_ROUNDS (4) loads alternating between
 * the sides, with V8's sampling profiler on in every isolate of the side's workerd (through its inspector). Printed per side: the JavaScript CPU per request the profile saw, by source module (the bundle's
 * `// src/…` markers) and by function (self time), then the modules whose cost differs most between the sides.
 *
 * The profile sees the Worker's isolate only: HTTP parsing, Miniflare's own Workers (its entry, the Cache API and
 * KV emulation, subrequest plumbing) run elsewhere in workerd, which /proc's CPU µs/req in the bench includes.
 * The profiler itself slows the isolate a little (both sides alike). A diagnostic, never a benchmark figure.
 *
 * BENCH_PROFILE=heap profiles allocation instead of time: V8's sampling heap profiler, counting objects the
 * garbage collector has already taken as well as live ones, so the figures are bytes allocated per request by
 * function (what a generational GC has to sweep), sampled every 128 bytes on average.
 */
import { readFileSync } from "node:fs";
import WebSocket from "ws";
import { buildPortico, OUT, HERE, startUpstream } from "./build.ts";
import { fixture } from "./fixture.ts";
import { check, load } from "./harness.ts";
import { buildHonoGateway } from "./peers.ts";
import { WorkerPool } from "./pool.ts";
import { SCENARIOS } from "./scenarios.ts";
import type { RequestStream, Scenario, Target } from "./shapes.ts";
import { EXTERNAL, WORKERS } from "./targets.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
/** Profiled loads per side, alternating between the sides; SECONDS is split between them. */
const ROUNDS = Number(process.env.BENCH_PROFILE_ROUNDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const INSPECTOR_BASE_PORT = Number(process.env.BENCH_INSPECTOR_PORT ?? 9330);
const HEAP = process.env.BENCH_PROFILE === "heap";
/** What the profile counts per request. */
const UNIT = HEAP ? "bytes" : "µs";
const SEEN = HEAP ? "JavaScript allocation seen by the profiler" : "JavaScript CPU seen by the profiler";
const log = (line: string) => process.stderr.write(line + "\n");

/** A Chrome DevTools Protocol session with one Worker's isolate. */
class Inspector {
  readonly #ws: WebSocket;
  readonly #waiting = new Map<number, (result: unknown) => void>();
  #id = 0;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on("message", (data) => {
      const msg = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: unknown };
      if (msg.id !== undefined) this.#waiting.get(msg.id)?.(msg.error ? Promise.reject(new Error(JSON.stringify(msg.error))) : msg.result);
    });
  }

  static connect(url: string): Promise<Inspector> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.on("open", () => resolve(new Inspector(ws)));
      ws.on("error", reject);
    });
  }

  send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.#id;
    this.#ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve) => this.#waiting.set(id, resolve as (r: unknown) => void));
  }

  close(): void {
    this.#ws.close();
  }
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Line numbers (0-based) where each module of a bundle starts, from esbuild's `// path` markers. */
function moduleMarkers(script: string): { line: number; module: string }[] {
  return readFileSync(script, "utf8")
    .split("\n")
    .flatMap((text, line) => (/^\/\/ [\w@.][\w@./-]*\.(?:ts|js|json)$/.test(text) ? [{ line, module: text.slice(3) }] : []));
}

interface HeapNode {
  callFrame: CpuProfile["nodes"][number]["callFrame"];
  selfSize: number;
  id: number;
  children: HeapNode[];
}

/**
 * A sampling heap profile in the CPU profile's shape, so one aggregation serves both: one "sample" per node, its
 * bytes in place of the time delta that follows it.
 */
function heapAsCpuProfile(head: HeapNode): CpuProfile {
  const out: CpuProfile = { nodes: [], samples: [], timeDeltas: [0] };
  const walk = (node: HeapNode) => {
    out.nodes.push({ id: node.id, callFrame: node.callFrame });
    if (node.selfSize > 0) {
      out.samples.push(node.id);
      out.timeDeltas.push(node.selfSize);
    }
    node.children.forEach(walk);
  };
  walk(head);
  out.samples.push(head.id); // read by no one: aggregate() pairs sample i with delta i + 1
  return out;
}

interface SideProfile {
  name: string;
  requests: number;
  reqPerSec: number;
  /** Self time per request, µs, by key. */
  byModule: Map<string, number>;
  byFunction: Map<string, number>;
  totalUs: number;
  /** JavaScript µs per request in the process's other isolates (Miniflare's entry Worker, Cache API, KV …). */
  otherIsolates: Map<string, number>;
}

function aggregate(name: string, profile: CpuProfile, requests: number, seconds: number, markers: Map<string, { line: number; module: string }[]>): SideProfile {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length - 1; i++) self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + profile.timeDeltas[i + 1]!);
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let totalUs = 0;
  for (const [id, us] of self) {
    const frame = nodes.get(id)!;
    if (frame.functionName === "(idle)") continue;
    totalUs += us;
    const scriptMarkers = [...markers].find(([script]) => frame.url && script.endsWith(frame.url.replace(/^.*\//, "")))?.[1];
    const module = frame.url
      ? (scriptMarkers?.findLast((m) => m.line <= frame.lineNumber)?.module ?? frame.url.replace(/^.*\//, ""))
      : frame.functionName;
    const perRequest = us / requests;
    byModule.set(module, (byModule.get(module) ?? 0) + perRequest);
    const fn = `${frame.functionName || "(anonymous)"}  ${module}:${frame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + perRequest);
  }
  return { name, requests, reqPerSec: requests / seconds, byModule, byFunction, totalUs: totalUs / requests, otherIsolates: new Map() };
}

const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);

function print(side: SideProfile): void {
  log(`\n${side.name}: ${side.requests.toLocaleString("en-US")} requests, ${Math.round(side.reqPerSec).toLocaleString("en-US")} req/s; ${SEEN} ${side.totalUs.toFixed(1)} ${UNIT}/request`);
  log(`  other isolates of its workerd (Miniflare's), ${UNIT}/request: ${top(side.otherIsolates, 10).filter(([, us]) => us >= 0.05).map(([id, us]) => `${id} ${us.toFixed(1)}`).join(", ") || "none"}`);
  log(`  by module (self ${HEAP ? "allocation" : "time"}, ${UNIT}/request):`);
  for (const [module, us] of top(side.byModule, 15)) log(`    ${us.toFixed(2).padStart(8)}  ${module}`);
  log("  by function:");
  for (const [fn, us] of top(side.byFunction, 20)) log(`    ${us.toFixed(2).padStart(8)}  ${fn}`);
}

function diff(a: SideProfile, b: SideProfile): void {
  const keys = new Set([...a.byModule.keys(), ...b.byModule.keys()]);
  const rows = [...keys].map((k) => [k, (b.byModule.get(k) ?? 0) - (a.byModule.get(k) ?? 0)] as const).sort((x, y) => Math.abs(y[1]) - Math.abs(x[1]));
  const others = (x: SideProfile) => [...x.otherIsolates.values()].reduce((m, n) => m + n, 0);
  log(`\n${b.name} − ${a.name}: ${(b.totalUs - a.totalUs).toFixed(1)} ${UNIT}/request of the Worker's JavaScript, ${(others(b) - others(a)).toFixed(1)} in Miniflare's isolates; by module:`);
  for (const [module, d] of rows.slice(0, 15)) log(`    ${(d >= 0 ? "+" : "") + d.toFixed(2).padStart(7)}  ${module}`);
}

/** Every isolate of the target's workerd (its own, Miniflare's entry, the Cache API's …) by inspector id. */
async function isolates(port: number): Promise<{ id: string; url: string }[]> {
  const list = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { id: string; webSocketDebuggerUrl: string }[];
  return list.map((t) => ({ id: t.id, url: t.webSocketDebuggerUrl }));
}

interface Side {
  target: Target & { name: string };
  url: URL;
  stream: RequestStream | undefined;
  port: number;
  /** Profiles of its isolates, by inspector id, one per round; and the requests each round completed. */
  rounds: { profiles: Map<string, CpuProfile>; requests: number; seconds: number }[];
}

async function prepareSide(pool: WorkerPool, target: Target & { name: string }, port: number): Promise<Side> {
  const url = await pool.url(target.worker);
  const stream = target.stream?.(pool);
  await check(url, target, stream?.next());
  if (WARMUP > 0) await load(url, target, stream, WARMUP, CONNECTIONS);
  return { target, url, stream, port, rounds: [] };
}

/** One profiled load of a side: every isolate of its workerd sampled while the load runs. */
async function profileRound(side: Side): Promise<void> {
  const sessions = await Promise.all((await isolates(side.port)).map(async ({ id, url }) => ({ id, inspector: await Inspector.connect(url) })));
  try {
    for (const { inspector } of sessions) {
      if (HEAP) {
        await inspector.send("HeapProfiler.enable");
        await inspector.send("HeapProfiler.startSampling", { samplingInterval: 128, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
      } else {
        await inspector.send("Profiler.enable");
        await inspector.send("Profiler.setSamplingInterval", { interval: 100 });
        await inspector.send("Profiler.start");
      }
    }
    const run = await load(side.url, side.target, side.stream, SECONDS / ROUNDS, CONNECTIONS);
    const profiles = new Map<string, CpuProfile>();
    for (const { id, inspector } of sessions)
      profiles.set(
        id,
        HEAP
          ? heapAsCpuProfile((await inspector.send<{ profile: { head: HeapNode } }>("HeapProfiler.stopSampling")).profile.head)
          : (await inspector.send<{ profile: CpuProfile }>("Profiler.stop")).profile,
      );
    side.rounds.push({ profiles, requests: run.totalCompletedRequests, seconds: run.duration });
  } finally {
    for (const { inspector } of sessions) inspector.close();
  }
}

function summariseSide(side: Side, markers: Map<string, { line: number; module: string }[]>): SideProfile {
  const requests = side.rounds.reduce((n, r) => n + r.requests, 0);
  const seconds = side.rounds.reduce((n, r) => n + r.seconds, 0);
  const own = `core:user:${side.target.worker}`;
  const merged: SideProfile = { name: side.target.name, requests, reqPerSec: requests / seconds, byModule: new Map(), byFunction: new Map(), totalUs: 0, otherIsolates: new Map() };
  const add = (into: Map<string, number>, from: Map<string, number>) => from.forEach((us, k) => into.set(k, (into.get(k) ?? 0) + us));
  for (const round of side.rounds)
    for (const [id, profile] of round.profiles) {
      const part = aggregate(id, profile, requests, seconds, id === own ? markers : new Map());
      if (id === own) {
        add(merged.byModule, part.byModule);
        add(merged.byFunction, part.byFunction);
        merged.totalUs += part.totalUs;
      } else merged.otherIsolates.set(id, (merged.otherIsolates.get(id) ?? 0) + part.totalUs);
    }
  return merged;
}

async function main(): Promise<void> {
  const filters = process.argv.slice(2);
  const chosen: Scenario[] = SCENARIOS.filter((s) => filters.some((f) => s.name.includes(f)));
  if (!filters.length || !chosen.length) throw new Error(`name a scenario: ${SCENARIOS.map((s) => JSON.stringify(s.name)).join(", ")}`);
  fixture.seconds = SECONDS;
  fixture.warmupSeconds = WARMUP;
  const ports = Object.fromEntries(Object.keys(WORKERS).map((name, i) => [name, INSPECTOR_BASE_PORT + i]));
  const upstream = await startUpstream();
  let pool: WorkerPool | undefined;
  try {
    const built = await buildPortico(upstream.url, log);
    const honoGatewayScript = await buildHonoGateway(HERE, OUT);
    pool = new WorkerPool({ upstream: upstream.url, ...built, honoGatewayScript }, { workers: WORKERS, external: EXTERNAL }, ports);
    const scriptOf = (o: object) => ("scriptPath" in o && typeof o.scriptPath === "string" ? [o.scriptPath] : []);
    const scripts = [...scriptOf(built.portico), honoGatewayScript];
    const markers = new Map(scripts.map((s) => [s, moduleMarkers(s)]));
    for (const scenario of chosen) {
      log(`— ${scenario.name}: setup`);
      await scenario.setup?.(pool, log);
      const measured = { ...scenario, name: scenario.label ?? `Portico ${scenario.name}` };
      const sides = [await prepareSide(pool, scenario.baseline, ports[scenario.baseline.worker]!), await prepareSide(pool, measured, ports[scenario.worker]!)];
      // Alternating rounds (A B B A …), as the bench's slices: drift lands on both sides alike.
      for (let round = 0; round < ROUNDS; round++) for (const side of round % 2 ? [...sides].reverse() : sides) await profileRound(side);
      const [a, b] = sides.map((side) => summariseSide(side, markers)) as [SideProfile, SideProfile];
      print(a);
      print(b);
      diff(a, b);
    }
  } finally {
    await pool?.dispose();
    upstream.child.kill("SIGTERM");
  }
}

await main();
