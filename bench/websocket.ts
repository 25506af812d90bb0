/**
 * The WebSocket section: Portico's ConnectionHub against a bare Durable Object doing the least a WebSocket server
 * can, in one workerd (Miniflare, the built Worker), driven by `ws` clients on loopback.
 *
 * - Round trip: clients each send a message and wait for the answer, in a loop; Portico's through a route
 *   (route selection, a mock integration, the route response) against a bare Durable Object that answers from
 *   webSocketMessage. Measured in alternating slices; the ratio of round trips per second is the figure
 *   (target ≥ 0.85).
 * - Idle connections: N connections held by one hub (`hubs: 1`); workerd's resident memory before and after,
 *   per connection. Locally the hub never really hibernates (workerd keeps the object in memory), so this is the
 *   cost of an awake hub: sockets, attachments and all.
 * - Fan-out: one message to every one of M connections of a stage (16 hubs) through the admin broadcast: the time
 *   from sending it until the last client has it (target < 100 ms).
 *
 *   npm run bench -- websocket
 *   BENCH_WS_SECONDS=2 BENCH_WS_IDLE=500 BENCH_WS_FANOUT=200 npm run bench -- websocket     (a short smoke run)
 */
import { Miniflare, type WorkerOptions } from "miniflare";
import { lookup } from "node:dns";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import WebSocket from "ws";
import { build } from "../cli/commands/build.ts";
import { gatewayWorkerOptions } from "./build.ts";
import { ADMIN_TOKEN } from "./fixture.ts";
import { childrenOf } from "./processes.ts";

const OUT = join(dirname(fileURLToPath(import.meta.url)), "out");
/** The workerd processes this process started (one per Miniflare instance). */
const workerdChildren = () => childrenOf(process.pid, "workerd");
const positive = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  if (!(v > 0)) throw new Error(`${name} must be a positive number`);
  return v;
};

export interface WebSocketBenchResult {
  roundTrip: { clients: number; seconds: number; slices: number; porticoPerSec: number; barePerSec: number; ratio: number; target: number; porticoP50Ms: number; bareP50Ms: number };
  idle: { connections: number; hubs: 1; rssBeforeMiB: number | null; rssAfterMiB: number | null; bytesPerConnection: number | null; heldByHub: number; bareBytesPerConnection: number | null };
  fanOut: { connections: number; hubs: number; runs: number; medianMs: number; maxMs: number; target: number; delivered: number };
  valid: boolean;
  problems: string[];
}

const limits = { newConnectionsPerSecond: 0, messagesPerSecond: 0, idleTimeoutSeconds: 3600 };
const route = { routeResponse: true, integration: { type: "mock", body: "pong" } };
const API = { name: "bench-ws", flavor: "websocket", stages: { bench: {} }, websocket: { hubs: 1, limits }, routes: { ping: route, $default: route } };
const FAN = { name: "bench-ws-fan", flavor: "websocket", domains: [{ host: "fan.bench", stage: "bench" }], stages: { bench: {} }, websocket: { hubs: 16, limits }, routes: { $default: route } };

/** The bare side: a Durable Object with the Hibernation API that answers every message, and nothing else. */
const BARE = `
import { DurableObject } from "cloudflare:workers";
export class Echo extends DurableObject {
  async fetch() {
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server);
    return new Response(null, { status: 101, webSocket: client });
  }
  webSocketMessage(ws) { ws.send("pong"); }
}
export default { fetch(request, env) { return env.ECHO.get(env.ECHO.idFromName("echo")).fetch(request); } };
`;

async function start(log: (line: string) => void): Promise<{ mf: Miniflare; port: number; pid: number | undefined }> {
  mkdirSync(OUT, { recursive: true });
  const api = join(OUT, "bench-ws.yaml");
  const fan = join(OUT, "bench-ws-fan.yaml");
  writeFileSync(api, stringify(API));
  writeFileSync(fan, stringify(FAN));
  // build() embeds in a directory of its own: nothing a running `portico dev` reads is touched.
  const built = await build(api, join(OUT, "portico-ws"), [fan]);
  log(`built ${built.script} with the WebSocket bench APIs`);
  writeFileSync(join(OUT, "bare-echo.js"), BARE);
  const workerOptions = gatewayWorkerOptions();
  const known = new Set(workerdChildren());
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    workers: [
      {
        ...workerOptions,
        name: "portico",
        serviceBindings: {},
        bindings: { ...(workerOptions.bindings as Record<string, string>), ADMIN_TOKEN },
        modules: true,
        modulesRules: [{ type: "ESModule", include: ["**/*.js"] }],
        modulesRoot: dirname(built.script),
        scriptPath: built.script,
      } as WorkerOptions,
      {
        name: "bare",
        compatibilityDate: "2026-04-20",
        modules: true,
        scriptPath: join(OUT, "bare-echo.js"),
        durableObjects: { ECHO: { className: "Echo", useSQLite: true } },
        routes: ["bare.bench/*"],
      },
    ],
  });
  const url = await mf.ready;
  return { mf, port: Number(url.port), pid: workerdChildren().find((p) => !known.has(p)) };
}

/** Opens a `ws` connection to `host` (any name) on the local workerd. */
function connect(port: number, host: string, path: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${host}:${port}${path}`, { lookup: (_h, o, cb) => lookup("127.0.0.1", o, cb) });
    ws.once("open", () => resolve(ws));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`${host}${path}: upgrade refused with ${res.statusCode}`)));
    ws.once("error", reject);
  });
}

async function openMany(count: number, open: () => Promise<WebSocket>): Promise<WebSocket[]> {
  const out: WebSocket[] = [];
  for (let i = 0; i < count; i += 200) out.push(...(await Promise.all(Array.from({ length: Math.min(200, count - i) }, open))));
  return out;
}

/** Round trips for `ms` over `sockets`, each client sending its next message when its answer arrives. */
async function roundTrips(sockets: WebSocket[], ms: number, problems: string[]): Promise<{ count: number; latencies: number[] }> {
  const deadline = performance.now() + ms;
  const latencies: number[] = [];
  let count = 0;
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          let sent = 0;
          const next = () => {
            if (performance.now() >= deadline) return resolve();
            sent = performance.now();
            ws.send('{"action":"ping"}');
          };
          ws.on("message", (data) => {
            if (String(data) !== "pong") problems.push(`unexpected answer ${String(data).slice(0, 80)}`);
            count++;
            latencies.push(performance.now() - sent);
            next();
          });
          next();
        }),
    ),
  );
  for (const ws of sockets) ws.removeAllListeners("message");
  return { count, latencies };
}

const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : 0);
const rssMiB = (pid: number | undefined) => {
  if (pid === undefined) return null;
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
    return kb / 1024;
  } catch {
    return null;
  }
};

export async function measureWebSocket(log: (line: string) => void): Promise<WebSocketBenchResult> {
  const clients = positive("BENCH_WS_CLIENTS", 20);
  const seconds = positive("BENCH_WS_SECONDS", 10);
  const slices = positive("BENCH_WS_SLICES", 4);
  const idleCount = positive("BENCH_WS_IDLE", 10_000);
  const fanCount = positive("BENCH_WS_FANOUT", 1000);
  const problems: string[] = [];
  const { mf, port, pid } = await start(log);
  try {
    // Round trip, alternating slices (B P P B …), after a warm-up of both.
    const portico = await openMany(clients, () => connect(port, "127.0.0.1", "/bench"));
    const bare = await openMany(clients, () => connect(port, "bare.bench", "/"));
    await roundTrips(portico, 1000, problems);
    await roundTrips(bare, 1000, problems);
    const totals = { portico: { count: 0, latencies: [] as number[] }, bare: { count: 0, latencies: [] as number[] } };
    const sliceMs = (seconds * 1000) / slices;
    for (let i = 0; i < slices; i++)
      for (const side of i % 2 ? (["portico", "bare"] as const) : (["bare", "portico"] as const)) {
        const r = await roundTrips(side === "portico" ? portico : bare, sliceMs, problems);
        totals[side].count += r.count;
        totals[side].latencies.push(...r.latencies);
      }
    for (const ws of [...portico, ...bare]) ws.close(1000);
    const porticoPerSec = totals.portico.count / seconds;
    const barePerSec = totals.bare.count / seconds;
    const roundTrip = { clients, seconds, slices, porticoPerSec, barePerSec, ratio: porticoPerSec / barePerSec, target: 0.85, porticoP50Ms: median(totals.portico.latencies), bareP50Ms: median(totals.bare.latencies) };
    log(`round trip: portico ${porticoPerSec.toFixed(0)}/s, bare DO ${barePerSec.toFixed(0)}/s, ratio ${roundTrip.ratio.toFixed(3)}`);

    // Idle connections on one hub.
    await new Promise((r) => setTimeout(r, 500));
    const before = rssMiB(pid);
    const idle = await openMany(idleCount, () => connect(port, "127.0.0.1", "/bench"));
    await new Promise((r) => setTimeout(r, 2000));
    const after = rssMiB(pid);
    const listing = (await (await fetch(`http://127.0.0.1:${port}/_portico/apis/bench-ws/stages/bench/connections?limit=0`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { stats: { connections: number } };
    if (listing.stats.connections < idleCount) problems.push(`the hub holds ${listing.stats.connections} of ${idleCount} idle connections`);
    const idleResult = {
      connections: idleCount,
      hubs: 1 as const,
      rssBeforeMiB: before,
      rssAfterMiB: after,
      bytesPerConnection: before !== null && after !== null ? ((after - before) * 1024 * 1024) / idleCount : null,
      heldByHub: listing.stats.connections,
      bareBytesPerConnection: null as number | null,
    };
    for (const ws of idle) ws.terminate();
    // The same number held by the bare Durable Object: what the runtime itself spends per socket.
    await new Promise((r) => setTimeout(r, 2000));
    const bareBefore = rssMiB(pid);
    const bareIdle = await openMany(idleCount, () => connect(port, "bare.bench", "/"));
    await new Promise((r) => setTimeout(r, 2000));
    const bareAfter = rssMiB(pid);
    for (const ws of bareIdle) ws.terminate();
    idleResult.bareBytesPerConnection = bareBefore !== null && bareAfter !== null ? ((bareAfter - bareBefore) * 1024 * 1024) / idleCount : null;
    log(`idle: ${idleCount} connections, ${idleResult.bytesPerConnection?.toFixed(0) ?? "n/a"} bytes each (workerd RSS ${before?.toFixed(0)} → ${after?.toFixed(0)} MiB); bare DO ${idleResult.bareBytesPerConnection?.toFixed(0) ?? "n/a"} bytes each`);

    // Fan-out to every connection of a 16-hub stage.
    const fans = await openMany(fanCount, () => connect(port, "fan.bench", "/"));
    const runs: number[] = [];
    let delivered = 0;
    for (let run = 0; run < 5; run++) {
      const text = `news ${run}`;
      let got = 0;
      const all = new Promise<number>((resolve) => {
        for (const ws of fans)
          ws.once("message", (data) => {
            if (String(data) !== text) problems.push(`fan-out: got ${String(data).slice(0, 40)}`);
            if (++got === fans.length) resolve(performance.now());
          });
      });
      const started = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/_portico/apis/bench-ws-fan/stages/bench/broadcast`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ data: text }),
      });
      delivered = ((await res.json()) as { delivered: number }).delivered;
      const finished = await Promise.race([all, new Promise<number>((r) => setTimeout(() => r(NaN), 10_000))]);
      if (Number.isNaN(finished)) problems.push(`fan-out run ${run}: ${got} of ${fans.length} got it within 10 s`);
      else runs.push(finished - started);
    }
    for (const ws of fans) ws.terminate();
    const fanOut = { connections: fanCount, hubs: 16, runs: runs.length, medianMs: median(runs), maxMs: Math.max(0, ...runs), target: 100, delivered };
    log(`fan-out: ${fanCount} connections on 16 hubs, median ${fanOut.medianMs.toFixed(1)} ms`);
    return { roundTrip, idle: idleResult, fanOut, valid: problems.length === 0, problems: problems.slice(0, 10) };
  } finally {
    await mf.dispose();
  }
}
