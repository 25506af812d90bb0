/** The benchmark's printed table. */
import type { LoadSettings, Measurement, PairResult } from "./harness.ts";
import type { RoutingResult } from "./routing.ts";

export interface BenchResults {
  date: string;
  machine: { cpus: number; cpuModel: string; node: string; miniflare: string; workerd: string; loadAverage: { start: number; end: number } };
  settings: LoadSettings;
  load: PairResult[];
  routing: RoutingResult;
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const verdict = (met: boolean) => (met ? "met" : "MISSED");

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((cell, c) => (c >= 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join("  ").trimEnd();
  return [line(rows[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n");
}

export function formatReport(r: BenchResults): string {
  const out: string[] = [];
  const { settings: s, machine: m } = r;
  out.push(`Portico benchmark, ${r.date} — ${m.cpus} × ${m.cpuModel}, Node ${m.node}, Miniflare ${m.miniflare} (workerd ${m.workerd})`);
  const busy = m.loadAverage.start > m.cpus * 0.5;
  out.push(
    `Load average (1 min) before the run: ${m.loadAverage.start.toFixed(2)}` +
      (busy ? " — other work was competing for the CPUs: trust the ratios more than the absolute numbers" : ""),
  );
  if (r.load.length) {
    out.push(
      `Load: ${s.connections} connections, ${s.seconds} s per side in ${s.slices} interleaved slices, after ${s.warmupSeconds} s warm-up each; loopback, autocannon`,
      "",
    );
    const cpu = (x: Measurement) => (x.cpuUsPerRequest === null ? "n/a" : x.cpuUsPerRequest.toFixed(0));
    const row = (label: string, x: Measurement, ratio = "") => [label, x.name, int(x.reqPerSec), String(x.p50Ms), String(x.p99Ms), cpu(x), ratio];
    const rows = [["", "Worker", "req/s", "p50 ms", "p99 ms", "CPU µs/req", "req/s ratio (target)"]];
    r.load.forEach((p, i) => {
      const tag = `(${String.fromCharCode(97 + i)}) ${p.scenario}`;
      rows.push(row(tag, p.baseline), row("", p.portico, `${p.ratio.toFixed(2)} (≥ ${p.targetRatio}) ${verdict(p.ratio >= p.targetRatio)}`));
    });
    out.push(table(rows));
    const added = r.load
      .filter((p) => p.portico.cpuUsPerRequest !== null && p.baseline.cpuUsPerRequest !== null)
      .map((p) => {
        const d = p.portico.cpuUsPerRequest! - p.baseline.cpuUsPerRequest!;
        return `${p.scenario} ${d < 0 ? "−" : "+"}${Math.abs(d).toFixed(0)} µs`;
      });
    if (added.length) out.push(`CPU Portico adds per request (workerd process, same run): ${added.join(", ")}`);
  }
  const { compile, match, routes, routerBuildMs } = r.routing;
  out.push(
    "",
    `Routing, ${int(routes)} routes:`,
    `  compile (compileDefinition)   median ${compile.medianMs.toFixed(1)} ms of ${compile.runs} (min ${compile.minMs.toFixed(1)}, max ${compile.maxMs.toFixed(1)})   target < ${compile.targetMs} ms ${verdict(compile.medianMs < compile.targetMs)}`,
    `  route table build             ${routerBuildMs.toFixed(2)} ms`,
    `  per request (normalise+match) median ${(match.medianNsPerRequest / 1000).toFixed(3)} µs over ${match.runs} runs of ${int(match.matchesPerRun)} (${int(match.paths)} paths, ${int(match.misses)} misses)   target < ${match.targetNs / 1000} µs ${verdict(match.medianNsPerRequest < match.targetNs)}`,
    `  Router.match alone            median ${(match.medianNsPerMatchOnly / 1000).toFixed(3)} µs`,
  );
  return out.join("\n");
}
