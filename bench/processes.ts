/**
 * The operating-system side of the bench's targets (Linux, read from /proc): which processes are a target's, their
 * CPU time, and their output. Below the pool and the native targets (nginx), which both use it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";

/** A target that is not a Worker (nginx): its URL, its main process and how to stop it. */
export interface ExternalTarget {
  url: URL;
  /** The main process; its descendants' CPU time counts too (nginx's workers). */
  pid: number;
  stop(): Promise<void>;
}

/** Linux: user + system time of a process (all its threads), from /proc/<pid>/stat in clock ticks of 1/100 s. */
export function processCpuSeconds(pid: number): number | null {
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

export function descendantsOf(root: number): number[] {
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
