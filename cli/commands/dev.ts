/**
 * `portico dev FILE`: serve a definition locally through `wrangler dev`, with local KV and Durable Objects and
 * the demo backend Worker — no publish step, no account. The file is watched: a saved change is compiled and
 * served at once, or its errors are printed and the last good version keeps serving.
 */
import { spawn } from "node:child_process";
import { watch } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { CliError } from "../definition-file.ts";
import { embed, PROJECT_ROOT } from "./embed.ts";

export async function dev(file: string, options: { port?: string; wranglerArgs: string[]; more?: string[] }): Promise<number> {
  const more = options.more ?? [];
  const { id, routes } = await embed(file, undefined, more);
  console.log(`portico: serving ${file} (${routes} routes, version ${id.slice(0, 12)})`);
  for (const other of more) console.log(`portico: serving ${other} on its domains`);

  let timer: NodeJS.Timeout | undefined;
  const reload = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      try {
        const next = await embed(file, undefined, more);
        console.log(`portico: reloaded ${file} (version ${next.id.slice(0, 12)})`);
      } catch (err) {
        console.error(err instanceof CliError ? err.message : String(err));
        console.error("portico: still serving the last good version");
      }
    }, 100);
  };
  const watchers = [file, ...more].map((f) => watch(f, reload));

  const wrangler = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
  const args = [
    wrangler,
    "dev",
    "-c", join(PROJECT_ROOT, "wrangler.toml"),
    "-c", join(PROJECT_ROOT, "examples", "backend", "wrangler.toml"),
    ...(options.port ? ["--port", options.port] : []),
    ...options.wranglerArgs,
  ];
  const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, stdio: "inherit", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
  const stop = () => child.kill("SIGINT");
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  const code = await new Promise<number>((resolve) => child.on("exit", (c) => resolve(c ?? 0)));
  for (const w of watchers) w.close();
  return code;
}
