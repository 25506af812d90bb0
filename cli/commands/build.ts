/**
 * `portico build [FILE]`: bundle the Worker for deploy exactly as `wrangler deploy` would (`--dry-run --outdir`),
 * with FILE (default: the example) as the embedded default, and report the bundle's size against Workers' limits.
 * The embedded bundle and the wrangler config that points at it are this process's own (dev/session.ts), so a
 * build never changes what a running `portico dev` serves, nor another build's output.
 */
import { spawn } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import type { Command } from "../command.ts";
import { compileFile } from "../definition-file.ts";
import { CliError, EXIT } from "../errors.ts";
import { EXAMPLE_DEFINITION, EXAMPLE_EXTRAS, PROJECT_ROOT } from "../paths.ts";
import { withProgress } from "../progress.ts";
import { readWranglerConfig } from "../environment/wrangler-config.ts";
import { removeSession, removeStaleSessions, sessionConfig, sessionPaths, writeSessionConfig } from "../dev/session.ts";
import { compileOthers, writeEmbedded } from "./embed.ts";

/** Workers' compressed script size limits (free / paid plans). */
const LIMITS_KIB = { free: 3 * 1024, paid: 10 * 1024 };

export interface BuildResult {
  outdir: string;
  script: string;
  bytes: number;
  gzipBytes: number;
  version: string;
}

/** `more`: definitions embedded beside FILE (`--with`); by default the example's chat when FILE is the example. */
export async function build(file = EXAMPLE_DEFINITION, outdir = join(PROJECT_ROOT, "dist"), more: readonly string[] = file === EXAMPLE_DEFINITION ? EXAMPLE_EXTRAS : []): Promise<BuildResult> {
  return withProgress(`building the Worker with ${file}`, async (progress) => {
    progress.step("compiling the definition");
    const compiled = await compileFile(file);
    const others = await compileOthers(file, compiled, more);
    removeStaleSessions(PROJECT_ROOT);
    const own = sessionPaths(PROJECT_ROOT, "build");
    try {
      await writeEmbedded(compiled, own.embedded, others);
      await writeSessionConfig(own, sessionConfig(readWranglerConfig(join(PROJECT_ROOT, "wrangler.toml")), own));
      progress.step("bundling with wrangler");
      const wrangler = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
      const args = [wrangler, "deploy", "--dry-run", "--outdir", outdir, "-c", own.config];
      const run = await new Promise<{ status: number | null; output: string }>((resolve, reject) => {
        const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
        let output = "";
        child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.on("error", reject);
        child.on("close", (status) => resolve({ status, output }));
      });
      if (run.status !== 0) {
        const last = run.output.trim().split("\n").filter((l) => /error/i.test(l)).at(-1) ?? `exit ${run.status}`;
        throw new CliError(`wrangler could not bundle the Worker: ${last.trim()}`, EXIT.refused);
      }
    } finally {
      removeSession(own);
    }
    const script = join(outdir, "index.js");
    return { outdir, script, bytes: statSync(script).size, gzipBytes: gzipSync(readFileSync(script)).length, version: compiled.id };
  });
}

export function describeBuild(result: BuildResult): string {
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const share = ((result.gzipBytes / 1024 / LIMITS_KIB.free) * 100).toFixed(1);
  return `bundled ${result.script} (version ${result.version.slice(0, 12)} embedded): ${kib(result.bytes)}, ${kib(result.gzipBytes)} gzipped (${share}% of the free plan's ${LIMITS_KIB.free / 1024} MiB limit)`;
}

export const buildCommand: Command = {
  name: "build",
  synopsis: "build [FILE] [--outdir DIR] [--with MORE]",
  summary: "bundle the Worker for deploy, FILE embedded; report its size",
  usage: `usage: portico build [FILE] [--outdir DIR] [--with MORE]... [--json]

Bundles the Worker exactly as \`wrangler deploy\` would (\`wrangler deploy --dry-run\`) into DIR (default dist/), with
FILE (default examples/petstore/api.yaml, and its WebSocket chat examples/chat/api.yaml beside it) compiled in as
the embedded default bundle, and reports its size against Workers' limits. Nothing a running \`portico dev\` reads
is written.

options:
  --outdir DIR   where the bundle goes (default dist/ in the Portico package)
  --with MORE    another definition embedded beside FILE (repeatable), served on its own \`domains\`
  --json         {"outdir", "script", "bytes", "gzipBytes", "version"}`,
  group: "local",
  async run(args) {
    const { positionals, values } = parseArgs({
      args,
      allowPositionals: true,
      options: { json: { type: "boolean" }, outdir: { type: "string" }, with: { type: "string", multiple: true } },
    });
    if (positionals.length > 1) throw new CliError("build takes at most one FILE (portico build --help)", EXIT.usage);
    const result = await build(positionals[0], values.outdir ? resolve(values.outdir) : undefined, values.with ?? (positionals[0] ? [] : undefined));
    console.log(values.json ? JSON.stringify(result) : describeBuild(result));
    return EXIT.ok;
  },
};
