/**
 * A private copy of the checkout for one test file, with the real `node_modules` linked in.
 *
 * Why a copy: what the CLI writes — `dist/` (portico build), `.portico/` and `.wrangler/state` (portico dev's
 * session files and local KV and Durable Objects), `.dev.vars` (tests that enable the admin API) — stays in the
 * copy, and a test starts from a checkout as fresh as a new clone. In a copy the CLI is the same code, and
 * `PROJECT_ROOT` (found from the CLI file's own location) is the copy. Timestamps are kept, so the CLI bundle
 * copied from cli/dist/ is as fresh as in the original and is not rebuilt (cli/bundle.mjs).
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Top-level entries that are state, output or local secrets (runs must not depend on them); node_modules is linked. */
const NOT_COPIED = new Set([".git", "node_modules", ".wrangler", ".portico", "dist", "bench", ".dev.vars"]);

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface Checkout {
  dir: string;
  /** Runs `node cli/portico.mjs ...args` in the copy and waits for it. */
  cli(args: string[], options?: { timeoutMs?: number }): Promise<CliResult>;
  dispose(): void;
}

export function isolatedCheckout(): Checkout {
  const dir = mkdtempSync(join(tmpdir(), "portico-e2e-"));
  cpSync(REPO_ROOT, dir, {
    recursive: true,
    preserveTimestamps: true,
    filter: (source) => {
      const top = source.slice(REPO_ROOT.length).replace(/^\/+/, "").split("/")[0]!;
      return !NOT_COPIED.has(top) && !top.startsWith(".portico-");
    },
  });
  symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  return {
    dir,
    cli: (args, options) => runCli(join(dir, "cli", "portico.mjs"), args, dir, options?.timeoutMs),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs the CLI at `entry` to completion (asynchronously, so a test's other work keeps going). */
export function runCli(entry: string, args: string[], cwd: string, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], { cwd, env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`portico ${args.join(" ")} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Processes (pid and command line) in a process group; empty once the whole group has exited. */
export function processGroup(pgid: number): { pid: number; command: string }[] {
  const run = spawnSync("pgrep", ["--list-full", "--pgroup", String(pgid)], { encoding: "utf8" });
  return run.stdout
    .split("\n")
    .map((line) => /^\s*(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), command: m[2]! }));
}

/** True while a process with this pid exists (zombies included until reaped). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
