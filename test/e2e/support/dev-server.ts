/**
 * `portico dev` (or `npm run dev`) as a user starts it, in its own process group, on a free loopback port; stopped
 * the way a terminal stops it (a signal to the process group), after which nothing it started may be left: not
 * wrangler, not workerd (which run in a process group of their own), not the port.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { collect, freePort, portIsOpen, processesMatching, until, type Collected } from "./processes.ts";

export interface DevServer {
  port: number;
  url: string;
  child: ChildProcess;
  output: Collected;
  /** Stops it with `signal` and checks that every process of the session is gone and the port is closed. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** For afterAll after a failure: stops it however it can, checking nothing. */
  dispose(): Promise<void>;
}

/**
 * `command` is the program and its arguments, to which `--port <free port> --ip 127.0.0.1` are appended, then
 * `-- ...wranglerArgs` if any: ["node", "cli/portico.mjs", "dev", "api.yaml"], or ["npm", "run", "dev", "--"].
 */
export async function startDev(cwd: string, command: string[], wranglerArgs: string[] = []): Promise<DevServer> {
  // A port found free can be taken by another process before wrangler binds it (other suites start servers at the
  // same time): that start, and only that, is tried again on another port.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(cwd, command, wranglerArgs);
    } catch (err) {
      if (attempt >= 3 || !/Address already in use/.test((err as Error).message)) throw err;
    }
  }
}

async function startOnce(cwd: string, command: string[], wranglerArgs: string[]): Promise<DevServer> {
  const port = await freePort();
  const [program, ...args] = command;
  const child = spawn(program!, [...args, "--port", String(port), "--ip", "127.0.0.1", ...(wranglerArgs.length ? ["--", ...wranglerArgs] : [])], {
    cwd,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
  });
  const output = collect(child);
  const url = `http://127.0.0.1:${port}`;
  await output.waitFor(/Ready on http:\/\/\S+/, 90_000);
  const session = `127\\.0\\.0\\.1:${port}\\b|--port ${port}\\b`;
  return {
    port,
    url,
    child,
    output,
    async stop(signal = "SIGTERM") {
      const running = processesMatching(session);
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        process.kill(-child.pid!, signal);
        await exited;
      }
      await until(() => processesMatching(session).length === 0, 20_000, () => `still running after portico dev stopped: ${JSON.stringify(processesMatching(session))}`);
      if (!running.some((p) => /\bworkerd\b/.test(p.command))) throw new Error(`no workerd was running in the session: ${JSON.stringify(running)}`);
      if (await portIsOpen(port)) throw new Error(`port ${port} is still open`);
    },
    async dispose() {
      try {
        if (child.exitCode === null) process.kill(-child.pid!, "SIGTERM");
        await until(() => processesMatching(session).length === 0, 10_000, () => "");
      } catch {
        // Our own descendants, found by the session's unique port.
        for (const p of processesMatching(session)) {
          try {
            process.kill(p.pid, "SIGKILL");
          } catch {
            // gone already
          }
        }
      }
    },
  };
}
