/**
 * `portico dev FILE`: serve a definition locally through `wrangler dev`, with local KV and Durable Objects — no
 * publish step, no account. FILE is what is served: every stage comes from it, over anything published to the
 * local Registry, unless `--published` names the stage (see src/deploy/dev-file-source.ts). The file, `.dev.vars`
 * and the wrangler config are watched (their directories, so editors that save by renaming over the file keep
 * being seen): a good save is served at once, a bad one prints its errors and the last good version stays.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { compileDefinition, type CompiledDefinition } from "../../src/config/compile.ts";
import type { Command } from "../command.ts";
import { definitionError, formatErrors } from "../definition-file.ts";
import { dotenvValue, readLocalSecrets } from "../environment/dev-vars.ts";
import { checkDefinitionFile, environmentFor } from "../environment/index.ts";
import { findWranglerConfig, readWranglerConfig } from "../environment/wrangler-config.ts";
import { CliError, EXIT } from "../errors.ts";
import { listing } from "../output.ts";
import { PROJECT_ROOT, shown } from "../paths.ts";
import { adminState, banner } from "../dev/banner.ts";
import { removeSession, removeStaleSessions, sessionConfig, sessionPaths, writeSessionConfig, type DevVars, type SessionPaths } from "../dev/session.ts";
import { watchSession } from "../dev/watch.ts";
import { WranglerDev } from "../dev/wrangler-process.ts";
import { embeddedConflict, writeEmbedded } from "./embed.ts";
import { IMPORT_FLAGS, IMPORT_HELP, importOptionsFrom } from "../import-options.ts";
import type { ImportOptions } from "../../src/config/import/index.ts";

const USAGE = `usage: portico dev FILE [--with MORE ...] [--port N] [--ip ADDR] [--published STAGES] [--fresh] [--config PATH ...] [export options] [-- WRANGLER_ARGS]

Serves FILE (a definition, or an Amazon export or SAM/CloudFormation template, converted on the fly) locally with wrangler dev: local KV, Durable Objects and secrets (.dev.vars), no account. Every stage
of FILE is served from FILE, even one a local \`portico deploy\` published earlier, unless --published names it.
Saving FILE reloads it (or prints its errors, field by field, and keeps serving the last good version); a change
to .dev.vars or to the wrangler config reloads the Worker with it.

options:
  --with MORE          another definition served beside FILE (repeatable) on its own \`domains\` only; FILE's API is
                       the one on the server's host names. Watched and reloaded like FILE (npm run dev serves the
                       example's WebSocket chat this way, on chat.localhost)
  --port N             port (default 8787, or a free one when 8787 is taken)
  --ip ADDR            address to listen on (default localhost)
  --published STAGES   comma-separated stages (or "all") to serve as a deployed Worker does: their published
                       version, the file's until one is published. Needed to see local deploys served.
  --fresh              start from empty local state: removes wrangler's local persistence directory
                       (.wrangler/state beside the wrangler config, or --persist-to): published versions,
                       API keys, usage, the response cache
  --config PATH        the gateway Worker's wrangler config (default: the nearest wrangler.toml above FILE, else
                       Portico's own); repeat to run more Workers beside it (Portico's own config brings the
                       example's demo backend, examples/backend)
  -- WRANGLER_ARGS     passed to wrangler dev as they are (e.g. -- --inspector-port 9230)

${IMPORT_HELP}
  --stage NAME                the stages to create (repeatable; default: the export's)
These options apply to FILE; a --with file that is an export is converted with the defaults.`;

export const devCommand: Command = {
  name: "dev",
  synopsis: "dev FILE [--with MORE] [--published STAGES] [--fresh]",
  summary: "serve a definition locally with wrangler dev; saves reload it",
  usage: USAGE,
  group: "local",
  run: dev,
};

const log = (message: string) => console.log(`portico dev: ${message}`);

async function dev(args: string[]): Promise<number> {
  const split = args.indexOf("--");
  const own = split < 0 ? args : args.slice(0, split);
  const passthrough = split < 0 ? [] : args.slice(split + 1);
  const { positionals, values } = parseArgs({
    args: own,
    allowPositionals: true,
    options: {
      port: { type: "string" },
      ip: { type: "string" },
      published: { type: "string" },
      fresh: { type: "boolean" },
      config: { type: "string", multiple: true },
      with: { type: "string", multiple: true },
      stage: { type: "string", multiple: true },
      ...IMPORT_FLAGS,
    },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new CliError("dev takes one FILE (portico dev --help)", EXIT.usage);
  if (values.port !== undefined && !/^\d{1,5}$/.test(values.port)) throw new CliError(`--port must be a port number, got ${values.port} (portico dev --help)`, EXIT.usage);

  const configPath = resolve(values.config?.[0] ?? findWranglerConfig(file));
  const extraConfigs = values.config
    ? values.config.slice(1).map((c) => resolve(c))
    : configPath === join(PROJECT_ROOT, "wrangler.toml") ? [join(PROJECT_ROOT, "examples", "backend", "wrangler.toml")] : [];
  const configDir = dirname(configPath);
  // FILE first, then the definitions served beside it (--with): served[i] is what files[i] last compiled to.
  const files = [file, ...(values.with ?? [])];
  const environment = (path: string) => environmentFor(path, { config: configPath });

  // The export options are FILE's: a --with file that is an export is converted with the defaults.
  const fileImportOptions = importOptionsFrom(values, values.stage);
  const importOptions = (index: number): ImportOptions => (index === 0 ? fileImportOptions : {});
  const served: CompiledDefinition[] = [];
  for (const [index, path] of files.entries()) {
    // Local development: backends and identity providers may be on this machine (loopback, http://).
    const first = await checkDefinitionFile(path, environment(path), { localDev: true, importOptions: importOptions(index) });
    if (first.errors.length) throw definitionError(path, first.errors);
    if (first.warnings.length) console.error(formatErrors(path, [], first.warnings));
    const compiled = await compileDefinition(first.value, { localDev: true });
    const clash = served.findIndex((s) => s.bundle.api.name === compiled.bundle.api.name);
    if (clash >= 0) throw new CliError(`${path}: API ${compiled.bundle.api.name} is served already (by ${files[clash]}); each API needs its own name`, EXIT.usage);
    const conflict = embeddedConflict(compiled, served);
    if (conflict) throw new CliError(`${path}: ${conflict}`, EXIT.usage);
    served.push(compiled);
  }
  const current = served[0]!;
  const published = parsePublished(values.published, current);
  const vars: DevVars = { file, published: published === "all" ? "*" : [...published].join(",") };

  const persistDir = persistDirOf(passthrough, configDir);
  if (values.fresh) {
    rmSync(persistDir, { recursive: true, force: true });
    log(`--fresh: removed ${shown(persistDir)} (published versions, API keys, usage, cache)`);
  }
  removeStaleSessions(configDir);
  const paths = sessionPaths(configDir);
  await writeEmbedded(current, paths.embedded, served.slice(1));
  await writeSessionConfig(paths, sessionConfig(readWranglerConfig(configPath), paths, vars));

  const port = values.port ?? String(await pickPort(values.ip));
  const host = !values.ip || values.ip === "0.0.0.0" || values.ip === "::" ? "localhost" : values.ip.includes(":") ? `[${values.ip}]` : values.ip;
  const url = `http://${host}:${port}`;
  const others = files.slice(1).map((path, i) => ({ file: path, bundle: served[i + 1]!.bundle }));
  console.log(banner({ file, id: current.id, bundle: current.bundle, others, url, published, configPath, secrets: readLocalSecrets(configPath), persistDir }));

  const wrangler = new WranglerDev(
    ["-c", paths.config, ...extraConfigs.flatMap((c) => ["-c", c]), "--port", port, ...(values.ip ? ["--ip", values.ip] : []), ...passthrough],
    configDir,
  );
  const cleanup = () => {
    wrangler.killNow();
    removeSession(paths);
  };
  process.once("exit", cleanup);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void wrangler.stop();
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, stop);

  const watcher = watchSession({
    definitions: files.map((f) => resolve(f)),
    devVars: join(configDir, ".dev.vars"),
    config: configPath,
    async onDefinition(index) {
      await reload(files, index, served, environment, paths, importOptions(index));
    },
    async onEnvironment(what) {
      await writeSessionConfig(paths, sessionConfig(readWranglerConfig(configPath), paths, vars));
      const secrets = readLocalSecrets(configPath);
      const names = [...(secrets.devVars?.names ?? [])];
      if (what === "config") log(`${shown(configPath)} changed: the Worker reloads with it`);
      else log(secrets.devVars ? `.dev.vars changed (${names.length ? listing(names) : "empty"}): the Worker reloads with it` : ".dev.vars removed: the Worker reloads without it");
      const token = secrets.devVars && dotenvValue(readFileSync(secrets.devVars.path, "utf8"), "ADMIN_TOKEN");
      if (token && (await adminAnswers(url, token))) log(`the admin API is enabled (ADMIN_TOKEN from .dev.vars)`);
      else if (!token) log(`admin API: ${adminState(secrets)}`);
    },
  });

  const code = await wrangler.exited;
  await watcher.close();
  process.off("exit", cleanup);
  removeSession(paths);
  return stopping ? EXIT.ok : code;
}

/**
 * Compiles a saved file (`files[index]`) and serves it with the others as they are, or prints why not; `served`
 * is updated in place when the version changed. An export is converted with `importOptions`.
 */
async function reload(
  files: string[],
  index: number,
  served: CompiledDefinition[],
  environment: (path: string) => ReturnType<typeof environmentFor>,
  paths: SessionPaths,
  importOptions: ImportOptions,
): Promise<void> {
  const file = files[index]!;
  const current = served[index]!;
  try {
    if (!existsSync(file)) {
      console.error(`portico dev: ${file} is gone: still serving version ${current.id.slice(0, 12)}`);
      return;
    }
    const report = await checkDefinitionFile(file, environment(file), { localDev: true, importOptions });
    if (report.errors.length) {
      console.error(formatErrors(file, report.errors, report.warnings));
      console.error(`portico dev: still serving version ${current.id.slice(0, 12)}`);
      return;
    }
    if (report.warnings.length) console.error(formatErrors(file, [], report.warnings));
    const next = await compileDefinition(report.value, { localDev: true });
    if (next.id === current.id) {
      log(`${file} saved: no change (version ${next.id.slice(0, 12)})`);
      return;
    }
    const clash = served.findIndex((s, i) => i !== index && s.bundle.api.name === next.bundle.api.name);
    if (clash >= 0) {
      console.error(`portico dev: ${file}: API ${next.bundle.api.name} is served already (by ${files[clash]}): still serving version ${current.id.slice(0, 12)}`);
      return;
    }
    const conflict = embeddedConflict(next, served.filter((_, i) => i !== index));
    if (conflict) {
      console.error(`portico dev: ${file}: ${conflict}: still serving version ${current.id.slice(0, 12)}`);
      return;
    }
    const all = served.map((s, i) => (i === index ? next : s));
    await writeEmbedded(all[0]!, paths.embedded, all.slice(1));
    served[index] = next;
    const stages = Object.keys(next.bundle.stages);
    log(`reloaded ${file}: version ${next.id.slice(0, 12)}, ${next.bundle.routes.length} routes, stages ${listing(stages)}`);
  } catch (err) {
    console.error(`portico dev: ${err instanceof CliError ? err.message : (err as Error).message}: still serving version ${current.id.slice(0, 12)}`);
  }
}

function parsePublished(value: string | undefined, compiled: CompiledDefinition): ReadonlySet<string> | "all" {
  if (value === undefined) return new Set();
  const names = value.split(",").map((s) => s.trim()).filter(Boolean);
  if (names.includes("all") || names.includes("*")) return "all";
  const stages = Object.keys(compiled.bundle.stages);
  const unknown = names.filter((n) => !stages.includes(n));
  if (unknown.length) throw new CliError(`--published ${unknown.join(",")}: the file has no such stage (it has ${listing(stages)})`, EXIT.usage);
  return new Set(names);
}

function persistDirOf(passthrough: string[], configDir: string): string {
  const i = passthrough.findIndex((a) => a === "--persist-to" || a.startsWith("--persist-to="));
  if (i < 0) return join(configDir, ".wrangler", "state");
  const value = passthrough[i]!.includes("=") ? passthrough[i]!.slice(passthrough[i]!.indexOf("=") + 1) : passthrough[i + 1];
  return resolve(configDir, value ?? ".wrangler/state");
}

/** 8787 when it is free, else any free port: the banner then names the port really used. */
async function pickPort(ip: string | undefined): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | undefined>((resolvePort) => {
      const server = createServer();
      server.once("error", () => resolvePort(undefined));
      server.listen(port, ip ?? "127.0.0.1", () => {
        const { port: got } = server.address() as { port: number };
        server.close(() => resolvePort(got));
      });
    });
  return (await tryListen(8787)) ?? (await tryListen(0)) ?? 8787;
}

/** Polls the admin API with `token` until it answers (the reload is done), for at most 20 s. */
async function adminAnswers(url: string, token: string): Promise<boolean> {
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    try {
      const res = await fetch(`${url}/_portico/server`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.ok) return true;
    } catch {
      // Reloading: not listening for a moment.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}
