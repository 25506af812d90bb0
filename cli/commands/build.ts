/**
 * `portico build [FILE]`: bundle the Worker for deploy exactly as `wrangler deploy` would (`--dry-run --outdir`),
 * with FILE (default: the example) as the embedded default, and report the bundle's size against Workers' limits.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { CliError } from "../definition-file.ts";
import { embed, PROJECT_ROOT } from "./embed.ts";

export const EXAMPLE_DEFINITION = join(PROJECT_ROOT, "examples", "petstore", "api.yaml");
/** Served beside the example: its WebSocket chat (examples/chat), on `chat.localhost`. */
export const EXAMPLE_EXTRAS = [join(PROJECT_ROOT, "examples", "chat", "api.yaml")];
/** Workers' compressed script size limits (free / paid plans). */
const LIMITS_KIB = { free: 3 * 1024, paid: 10 * 1024 };

export interface BuildResult {
  outdir: string;
  script: string;
  bytes: number;
  gzipBytes: number;
}

export async function build(file = EXAMPLE_DEFINITION, outdir = join(PROJECT_ROOT, "dist"), more = file === EXAMPLE_DEFINITION ? EXAMPLE_EXTRAS : []): Promise<BuildResult> {
  await embed(file, undefined, more);
  const wrangler = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
  const run = spawnSync(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outdir, "-c", join(PROJECT_ROOT, "wrangler.toml")], {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  if (run.status !== 0) throw new CliError(`wrangler could not bundle the Worker:\n${run.stdout}\n${run.stderr}`);
  const script = join(outdir, "index.js");
  const bytes = statSync(script).size;
  const gzipBytes = gzipSync(readFileSync(script)).length;
  return { outdir, script, bytes, gzipBytes };
}

export function describeBuild(result: BuildResult): string {
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const share = ((result.gzipBytes / 1024 / LIMITS_KIB.free) * 100).toFixed(1);
  return `bundled ${result.script}: ${kib(result.bytes)}, ${kib(result.gzipBytes)} gzipped (${share}% of the free plan's ${LIMITS_KIB.free / 1024} MiB limit)`;
}
