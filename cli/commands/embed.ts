/** `portico embed FILE [OUT]`: compile a definition into the embedded default bundle `wrangler deploy` ships. */
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import type { CompiledDefinition } from "../../src/config/compile.ts";
import type { Command } from "../command.ts";
import { compileFile } from "../definition-file.ts";
import { CliError, EXIT } from "../errors.ts";
import { embeddedBundlePath, findWranglerConfig, readWranglerConfig } from "../environment/wrangler-config.ts";
import { PROJECT_ROOT } from "../paths.ts";

/** wrangler.toml aliases `@portico/embedded-bundle` to this file: what a plain `wrangler deploy` ships. */
export const EMBEDDED_PATH = join(PROJECT_ROOT, ".portico", "embedded-bundle.json");

/** Writes a compiled definition where the Worker's build reads it, atomically (a watcher never sees half a file). */
export async function writeEmbedded(compiled: CompiledDefinition, out: string): Promise<void> {
  await mkdir(dirname(out), { recursive: true });
  const temp = `${out}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify({ id: compiled.id, bundle: compiled.bundle }) + "\n");
  await rename(temp, out);
}

export async function embed(file: string, out = EMBEDDED_PATH): Promise<{ id: string; routes: number }> {
  const compiled = await compileFile(file);
  await writeEmbedded(compiled, out);
  return { id: compiled.id, routes: compiled.bundle.routes.length };
}

export const embedCommand: Command = {
  name: "embed",
  synopsis: "embed FILE [OUT]",
  summary: "compile a definition into the bundle `wrangler deploy` embeds",
  usage: `usage: portico embed FILE [OUT]

Compiles FILE into OUT (default: where the nearest wrangler.toml's \`@portico/embedded-bundle\` alias points,
.portico/embedded-bundle.json), the Worker's embedded default bundle: it serves every stage nothing was published
to. \`npm run deploy\` runs it before \`wrangler deploy\`.
\`portico dev\` and \`portico build\` write their own copy per process and never touch this file.`,
  group: "local",
  async run(args) {
    const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
    if (!positionals[0] || positionals.length > 2) throw new CliError("embed takes FILE [OUT] (portico embed --help)", EXIT.usage);
    const out = positionals[1] ?? embeddedBundlePath(readWranglerConfig(findWranglerConfig(positionals[0]))) ?? EMBEDDED_PATH;
    const { id, routes } = await embed(positionals[0], out);
    console.log(`embedded ${positionals[0]} in ${out}: ${routes} routes, version ${id.slice(0, 12)}`);
    return EXIT.ok;
  },
};
