/**
 * A process's own copy of what the Worker is built from, so that nothing else — `npm run build`, `npm run deploy`,
 * `npm test`, a second `portico dev` — can change what a running `portico dev` serves, nor one build another's:
 * - `.portico/<kind>-<pid>/embedded-bundle.json`: the definition's compiled bundle (`portico dev` rewrites it on
 *   every good save, which wrangler's watcher picks up);
 * - `.portico-<kind>-<pid>.wrangler.json`: the gateway's wrangler config with the embedded-bundle alias pointed at
 *   that bundle (and, for dev, the dev vars set). It sits beside the original so that everything wrangler
 *   resolves from the config's directory — `main`, `.dev.vars`, `.wrangler/state` — is what it would be for the
 *   original. (`--alias` on the command line would be simpler, but wrangler 4.86 ignores it in dev and deploy.)
 * Both are removed when the process ends; ones left by a killed process are removed by the next session.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import type { WranglerConfig } from "../environment/wrangler-config.ts";

export const EMBEDDED_ALIAS = "@portico/embedded-bundle";

export interface SessionPaths {
  dir: string;
  embedded: string;
  config: string;
}

export function sessionPaths(configDir: string, kind: "dev" | "build" = "dev", pid = process.pid): SessionPaths {
  const dir = join(configDir, ".portico", `${kind}-${pid}`);
  return { dir, embedded: join(dir, "embedded-bundle.json"), config: join(configDir, `.portico-${kind}-${pid}.wrangler.json`) };
}

export interface DevVars {
  /** The definition file, as shown to the user. */
  file: string;
  /** Stages served published (`*` for all), or "" for none. */
  published: string;
}

/**
 * The dashboard's host in a dev session (PORTICO_ADMIN_HOST, src/admin/admin-host.ts): `*.localhost` is loopback
 * (RFC 6761; browsers resolve it without DNS), so `http://admin.localhost:<port>/_portico/` opens the dashboard while
 * `localhost:<port>` and the examples' `chat.localhost` stay API hosts.
 */
export const DEV_ADMIN_HOST = "admin.localhost";

/** The process's wrangler config: the user's, with its own embedded bundle and (dev) the session's vars. */
export function sessionConfig(config: WranglerConfig, paths: SessionPaths, vars?: DevVars): Record<string, unknown> {
  const raw = structuredClone(config.raw);
  const alias = (raw.alias && typeof raw.alias === "object" ? raw.alias : {}) as Record<string, string>;
  raw.alias = { ...alias, [EMBEDDED_ALIAS]: `./${relative(dirname(paths.config), paths.embedded)}` };
  if (!vars) return raw;
  const existing = (raw.vars && typeof raw.vars === "object" ? raw.vars : {}) as Record<string, unknown>;
  // PORTICO_API is cleared: in a dev session the file's API is the one served on the Worker's own host names.
  // PORTICO_LOCAL_DEV: backends on this machine (loopback, http://) are allowed, as the file was compiled (docs/security.md).
  // PORTICO_ADMIN_HOST: the dashboard on admin.localhost, whatever the config names for production.
  raw.vars = { ...existing, PORTICO_API: "", PORTICO_DEV_FILE: vars.file, PORTICO_DEV_PUBLISHED: vars.published, PORTICO_LOCAL_DEV: "true", PORTICO_ADMIN_HOST: DEV_ADMIN_HOST };
  return raw;
}

/** Writes (or rewrites, which makes wrangler reload its config and `.dev.vars`) the session's config. */
export async function writeSessionConfig(paths: SessionPaths, config: Record<string, unknown>): Promise<void> {
  await mkdir(paths.dir, { recursive: true });
  const temp = `${paths.config}.tmp`;
  await writeFile(temp, JSON.stringify(config, null, 2) + "\n");
  await rename(temp, paths.config);
}

export function removeSession(paths: SessionPaths): void {
  rmSync(paths.dir, { recursive: true, force: true });
  rmSync(paths.config, { force: true });
  rmSync(`${paths.config}.tmp`, { force: true });
}

/** Removes what sessions that no longer run left behind (a session killed with SIGKILL cannot clean up). */
export function removeStaleSessions(configDir: string): void {
  const stale = (pid: number) => pid !== process.pid && !isRunning(pid);
  for (const name of safeList(configDir)) {
    const m = /^\.portico-(?:dev|build)-(\d+)\.wrangler\.json$/.exec(name);
    if (m && stale(Number(m[1]))) rmSync(join(configDir, name), { force: true });
  }
  const own = join(configDir, ".portico");
  for (const name of safeList(own)) {
    const m = /^(?:dev|build)-(\d+)$/.exec(name);
    if (m && stale(Number(m[1]))) rmSync(join(own, name), { recursive: true, force: true });
  }
}

const safeList = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
