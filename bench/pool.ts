/**
 * The targets a run loads, started on first use and kept for the run: each Worker in its own Miniflare (its own
 * workerd) on a loopback port, never `wrangler dev`; and native processes (nginx) started by their own module.
 * For each it knows the operating-system processes whose CPU time is the target's, read from /proc (Linux).
 */
import { Miniflare } from "miniflare";
import { childrenOf, descendantsOf, forward, processCpuSeconds } from "./processes.ts";
import type { BenchContext, ExternalFactory, WorkerFactory } from "./context.ts";

/** The targets a pool may start, by name: Workers (bench/targets.ts WORKERS) and native processes (EXTERNAL). */
export interface TargetTables {
  workers: Record<string, WorkerFactory>;
  external: Record<string, ExternalFactory>;
}

interface Running {
  url: URL;
  /** The process whose CPU time (with its descendants') is the target's; undefined when unknown. */
  pid: number | undefined;
  dispose(): Promise<void>;
}

export class WorkerPool {
  readonly #ctx: BenchContext;
  readonly #targets: TargetTables;
  readonly #running = new Map<string, Running>();
  readonly #inspectorPorts: Record<string, number>;

  /** `inspectorPorts`: Workers to start with workerd's inspector on that port (profile.ts), by name. */
  constructor(ctx: BenchContext, targets: TargetTables, inspectorPorts: Record<string, number> = {}) {
    this.#ctx = ctx;
    this.#targets = targets;
    this.#inspectorPorts = inspectorPorts;
  }

  async url(name: string): Promise<URL> {
    const running = this.#running.get(name);
    if (running) return running.url;
    const external = this.#targets.external[name];
    if (external) {
      const started = await external(this.#ctx);
      this.#running.set(name, { url: started.url, pid: started.pid, dispose: () => started.stop() });
      return started.url;
    }
    const factory = this.#targets.workers[name];
    if (!factory) throw new Error(`no Worker named "${name}" in bench/targets.ts`);
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

