/**
 * The targets a run loads, started on first use and kept for the run: each Worker in its own Miniflare (its own
 * workerd) on a loopback port, never `wrangler dev`; and native processes (nginx) started by their own module.
 * For each it knows the operating-system processes whose CPU time is the target's, read from /proc (Linux).
 */
import { Miniflare } from "miniflare";
import { readdirSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { EXTERNAL, WORKERS, type BenchContext } from "./scenarios.ts";

/** A target that is not a Worker (nginx): its URL, its main process and how to stop it. */
export interface ExternalTarget {
  url: URL;
  /** The main process; its descendants' CPU time counts too (nginx's workers). */
  pid: number;
  stop(): Promise<void>;
}

interface Running {
  url: URL;
  /** The process whose CPU time (with its descendants') is the target's; undefined when unknown. */
  pid: number | undefined;
  dispose(): Promise<void>;
}

export class WorkerPool {
  readonly #ctx: BenchContext;
  readonly #running = new Map<string, Running>();
  readonly #inspectorPorts: Record<string, number>;

  /** `inspectorPorts`: Workers to start with workerd's inspector on that port (profile.ts), by name. */
  constructor(ctx: BenchContext, inspectorPorts: Record<string, number> = {}) {
    this.#ctx = ctx;
    this.#inspectorPorts = inspectorPorts;
  }

  async url(name: string): Promise<URL> {
    const running = this.#running.get(name);
    if (running) return running.url;
    const external = EXTERNAL[name];
    if (external) {
      const started = await external(this.#ctx);
      this.#running.set(name, { url: started.url, pid: started.pid, dispose: () => started.stop() });
      return started.url;
    }
    const factory = WORKERS[name];
    if (!factory) throw new Error(`no Worker named "${name}" in bench/scenarios.ts`);
    const mf = new Miniflare({
      compatibilityDate: "2026-04-20",
      compatibilityFlags: ["nodejs_compat"],
      ...factory(this.#ctx),
      ...(this.#inspectorPorts[name] ? { inspectorPort: this.#inspectorPorts[name] } : {}),
      name,
      host: "127.0.0.1",
      port: 0,
      handleRuntimeStdio: (stdout, stderr) => {
        forward(stdout, name);
        forward(stderr, name);
      },
    });
    const known = new Set([...this.#running.values()].map((r) => r.pid));
    const url = await mf.ready;
    // Workers start one at a time, so the one workerd child not seen before is this Worker's.
    const pid = childrenOf(process.pid, "workerd").find((p) => !known.has(p));
    this.#running.set(name, { url, pid, dispose: () => mf.dispose() });
    return url;
  }

  /** CPU seconds the target's processes have used so far, or null where that cannot be read. */
  cpuSeconds(name: string): number | null {
    const pid = this.#running.get(name)?.pid;
    if (pid === undefined) return null;
    let total = 0;
    for (const p of [pid, ...descendantsOf(pid)]) {
      const s = processCpuSeconds(p);
      if (s === null) return null;
      total += s;
    }
    return total;
  }

  /** The running targets' URLs by name. */
  urls(): Record<string, URL> {
    return Object.fromEntries([...this.#running].map(([name, { url }]) => [name, url]));
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.#running.values()].map((r) => r.dispose()));
    this.#running.clear();
  }
}

/** Linux: user + system time of a process (all its threads), from /proc/<pid>/stat in clock ticks of 1/100 s. */
function processCpuSeconds(pid: number): number | null {
  try {
    const fields = statFields(readFileSync(`/proc/${pid}/stat`, "utf8"));
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** The fields after the command name (which may hold spaces and parentheses). */
const statFields = (stat: string) => stat.slice(stat.lastIndexOf(")") + 2).split(" ");

/** Linux: every process as [pid, parent pid, command name]. */
function processes(): [number, number, string][] {
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  return entries.flatMap((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return [[Number(pid), Number(statFields(stat)[1]), stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"))] as [number, number, string]];
    } catch {
      return [];
    }
  });
}

/** Pids of the direct children of `parent`, optionally only those running `command`. */
export function childrenOf(parent: number, command?: string): number[] {
  return processes().flatMap(([pid, ppid, comm]) => (ppid === parent && (!command || comm === command) ? [pid] : []));
}

function descendantsOf(root: number): number[] {
  const all = processes();
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    const parent = queue.pop()!;
    for (const [pid, ppid] of all)
      if (ppid === parent) {
        out.push(pid);
        queue.push(pid);
      }
  }
  return out;
}

/** Lines of a Worker's own output printed before the rest are only counted (an error on every request would flood). */
const PRINTED_LINES = Number(process.env.BENCH_WORKER_LOG_LINES ?? 10);
const suppressed = new Map<string, number>();
const CLIENT_GONE = /disconnected: .*(?:Connection reset by peer|Broken pipe)/;

/**
 * workerd's output, less the two lines it logs for each connection autocannon drops at the end of a run
 * ("disconnected: ... Connection reset by peer" or "Broken pipe", and its stack). The rest is the Worker's own
 * logging, printed with its name: an error there means some responses were not what a client should get.
 */
export function forward(stream: Readable, name: string): void {
  let skipStack = false;
  let printed = 0;
  createInterface({ input: stream }).on("line", (line) => {
    if (CLIENT_GONE.test(line)) skipStack = true;
    else if (skipStack && line.startsWith("stack:")) skipStack = false;
    else {
      skipStack = false;
      if (printed++ < PRINTED_LINES) process.stderr.write(`[${name}] ${line}\n`);
      else suppressed.set(name, (suppressed.get(name) ?? 0) + 1);
    }
  });
}

/** How many lines of each target's output were counted but not printed. */
export function suppressedLogLines(): Record<string, number> {
  return Object.fromEntries(suppressed);
}
