/** Child processes for the e2e tests: output collected as it arrives, free ports, and waiting for conditions. */
import { spawnSync, type ChildProcess } from "node:child_process";
import { connect, createServer } from "node:net";

export interface Collected {
  text(): string;
  /** Resolves with the first match of `pattern` in the output so far or to come; rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs: number, from?: number): Promise<RegExpExecArray>;
}

export function collect(proc: ChildProcess): Collected {
  let text = "";
  const listeners = new Set<() => void>();
  const add = (chunk: Buffer) => {
    text += chunk.toString("utf8");
    for (const l of listeners) l();
  };
  proc.stdout?.on("data", add);
  proc.stderr?.on("data", add);
  return {
    text: () => text,
    waitFor(pattern, timeoutMs, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(text.slice(from));
          if (m) {
            cleanup();
            resolve(m);
          }
        };
        const onExit = (code: number | null) => {
          cleanup();
          reject(new Error(`process exited (${code}) before ${pattern}:\n${text}`));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${pattern} in ${timeoutMs} ms:\n${text}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
          proc.off("exit", onExit);
        };
        listeners.add(check);
        proc.on("exit", onExit);
        check();
      });
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function portIsOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(done: () => boolean | Promise<boolean>, timeoutMs: number, explain: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(explain());
    await sleep(100);
  }
}

/** Polls `probe` until `ok` holds for what it returns; fails with the last value after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  do {
    try {
      last = await probe();
      if (ok(last)) return last;
    } catch (err) {
      last = err as T;
    }
    await sleep(150);
  } while (Date.now() < deadline);
  throw new Error(`${what}: not reached in ${timeoutMs} ms; last ${JSON.stringify(last!)}`);
}

/** Processes (pid and command line) whose command line matches `pattern` (pgrep -f), for checks only. */
export function processesMatching(pattern: string): { pid: number; command: string }[] {
  const run = spawnSync("pgrep", ["--list-full", "-f", pattern], { encoding: "utf8" });
  return run.stdout
    .split("\n")
    .map((line) => /^\s*(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && Number(m[1]) !== process.pid)
    .map((m) => ({ pid: Number(m[1]), command: m[2]! }))
    .filter((p) => !/\bpgrep\b/.test(p.command));
}
