/**
 * `portico embed FILE [OUT] [--with MORE]…`: compile a definition into the embedded default bundle `wrangler deploy`
 * ships. FILE is the default API (served at `/<stage>/…` on the Worker's own host names); each `--with` definition is
 * embedded beside it and reached through its own `domains` (the example's WebSocket chat answers on chat.localhost).
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import type { CompiledDefinition, CompileOptions } from "../../src/config/compile.ts";
import type { Command } from "../command.ts";
import { compileFile } from "../definition-file.ts";
import { CliError, EXIT } from "../errors.ts";
import { embeddedBundlePath, findWranglerConfig, readWranglerConfig } from "../environment/wrangler-config.ts";
import { PROJECT_ROOT } from "../paths.ts";
import { ownershipConflict } from "../../src/deploy/domain-ownership.ts";

/** wrangler.toml aliases `@portico/embedded-bundle` to this file: what a plain `wrangler deploy` ships. */
export const EMBEDDED_PATH = join(PROJECT_ROOT, ".portico", "embedded-bundle.json");

/**
 * Writes compiled definitions where the Worker's build reads them, atomically (a watcher never sees half a file):
 * `compiled` as the default API, `others` beside it (src/index.ts reads them as `others`).
 */
export async function writeEmbedded(compiled: CompiledDefinition, out: string, others: readonly CompiledDefinition[] = []): Promise<void> {
  await mkdir(dirname(out), { recursive: true });
  const temp = `${out}.${process.pid}.tmp`;
  const more = others.length ? { others: others.map((o) => ({ id: o.id, bundle: o.bundle })) } : {};
  await writeFile(temp, JSON.stringify({ id: compiled.id, bundle: compiled.bundle, ...more }) + "\n");
  await rename(temp, out);
}

/**
 * Compiles the definitions embedded beside the default one; two embedded APIs may not share a name, nor a host as
 * published APIs may not (embeddedConflict).
 */
export async function compileOthers(file: string, compiled: CompiledDefinition, more: readonly string[], options: CompileOptions = {}): Promise<CompiledDefinition[]> {
  const others: CompiledDefinition[] = [];
  const names = new Map([[compiled.bundle.api.name, file]]);
  for (const other of more) {
    const next = await compileFile(other, options);
    const clash = names.get(next.bundle.api.name);
    if (clash !== undefined) throw new CliError(`${other}: API ${next.bundle.api.name} is embedded already (by ${clash}); each embedded API needs its own name`, EXIT.usage);
    const conflict = embeddedConflict(next, [compiled, ...others]);
    if (conflict) throw new CliError(`${other}: ${conflict}`, EXIT.usage);
    names.set(next.bundle.api.name, other);
    others.push(next);
  }
  return others;
}

/**
 * Why `next` cannot be served beside `earlier`, or undefined: the published index's rules (deploy/domain-ownership.ts)
 * — one API per host + base path, a host's routing rules one API's, the only one mapping that host.
 */
export function embeddedConflict(next: CompiledDefinition, earlier: readonly CompiledDefinition[]): string | undefined {
  const owners = {
    domains: earlier.flatMap(({ bundle }) => bundle.domains.map((d) => ({ host: d.host, basePath: d.basePath, api: bundle.api.name, stage: d.stage }))),
    routing: earlier.flatMap(({ bundle }) => (bundle.domainRouting ?? []).map((r) => ({ host: r.host, api: bundle.api.name }))),
  };
  return ownershipConflict(owners, next.bundle.api.name, next.bundle.domains, next.bundle.domainRouting ?? [])?.message;
}

export async function embed(file: string, out = EMBEDDED_PATH, more: readonly string[] = []): Promise<{ id: string; routes: number }> {
  const compiled = await compileFile(file);
  await writeEmbedded(compiled, out, await compileOthers(file, compiled, more));
  return { id: compiled.id, routes: compiled.bundle.routes.length };
}

export const embedCommand: Command = {
  name: "embed",
  synopsis: "embed FILE [OUT] [--with MORE]",
  summary: "compile a definition into the bundle `wrangler deploy` embeds",
  usage: `usage: portico embed FILE [OUT] [--with MORE]...

Compiles FILE into OUT (default: where the nearest wrangler.toml's \`@portico/embedded-bundle\` alias points,
.portico/embedded-bundle.json), the Worker's embedded default bundle: it serves every stage nothing was published
to. \`npm run deploy\` runs it before \`wrangler deploy\`.
\`portico dev\` and \`portico build\` write their own copy per process and never touch this file.

options:
  --with MORE   another definition embedded beside FILE (repeatable), served on its own \`domains\` only: FILE's
                API is the one on the Worker's host names (npm run deploy embeds the example's chat this way).
                Embedded APIs share hosts as published ones do: one API per host + base path, and a host's
                routing rules one API's, the only one mapping that host (exit 2 otherwise)`,
  group: "local",
  async run(args) {
    const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { with: { type: "string", multiple: true } } });
    if (!positionals[0] || positionals.length > 2) throw new CliError("embed takes FILE [OUT] (portico embed --help)", EXIT.usage);
    const out = positionals[1] ?? embeddedBundlePath(readWranglerConfig(findWranglerConfig(positionals[0]))) ?? EMBEDDED_PATH;
    const more = values.with ?? [];
    const { id, routes } = await embed(positionals[0], out, more);
    console.log(`embedded ${positionals[0]} in ${out}: ${routes} routes, version ${id.slice(0, 12)}` + more.map((m) => `\nembedded ${m} beside it (served on its domains)`).join(""));
    return EXIT.ok;
  },
};
