/**
 * `wrangler dev` as a child of `portico dev`. It runs in a process group of its own (wrangler's workerd children
 * outlive a killed wrangler), so stopping it means stopping the whole group: SIGTERM, then SIGKILL for whatever
 * is still there after a few seconds. portico dev stops it on SIGINT, SIGTERM and SIGHUP, and on any exit.
 * Its stdin is not a terminal (a background process group must not read one), so wrangler's hotkeys are off.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";

export class WranglerDev {
  readonly #child: ChildProcess;
  readonly exited: Promise<number>;
  #done = false;

  constructor(args: string[], cwd: string) {
    const wrangler = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
    this.#child = spawn(process.execPath, [wrangler, "dev", ...args], {
      cwd,
      detached: true,
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
    this.exited = new Promise((resolve) => {
      this.#child.once("error", () => resolve(1));
      this.#child.once("exit", (code, signal) => {
        this.#done = true;
        resolve(code ?? (signal ? 128 : 1));
      });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Stops wrangler and every process it started. */
  async stop(): Promise<void> {
    this.#signal("SIGTERM");
    const timer = setTimeout(() => this.#signal("SIGKILL"), 5000);
    await this.exited;
    clearTimeout(timer);
    // workerd may outlive wrangler by a moment: the group goes with it.
    this.#signal("SIGKILL");
  }

  /** For process.on("exit"), where nothing asynchronous runs. */
  killNow(): void {
    this.#signal("SIGKILL");
  }

  get running(): boolean {
    return !this.#done;
  }

  #signal(signal: NodeJS.Signals): void {
    if (!this.#child.pid) return;
    try {
      process.kill(-this.#child.pid, signal);
    } catch {
      // The group is gone already.
    }
  }
}
