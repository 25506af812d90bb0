/**
 * The `portico` command. Every command answers `--help` (exit 0); every failure is one line (plus the field
 * errors behind it, one per line) and an exit code scripts can trust: 0 ok, 1 refused (invalid definition, the
 * server said no), 2 usage (bad arguments, unreadable file), 3 the server could not be reached, failed or is
 * not a Portico admin API, 4 not authorized. Never a stack trace (PORTICO_DEBUG=1 prints one for a bug).
 * With `--json`, an error is `{"error": {"message", "exitCode", "errors"?}}` on stdout, like a result.
 */
import { answeredBy } from "./client.ts";
import type { Command } from "./command.ts";
import { buildCommand } from "./commands/build.ts";
import { cacheCommand } from "./commands/cache.ts";
import { canaryCommand } from "./commands/canary.ts";
import { connectionsCommand } from "./commands/connections.ts";
import { deployCommand } from "./commands/deploy.ts";
import { diffCommand, historyCommand, rollbackCommand, stagesCommand } from "./commands/deployments.ts";
import { devCommand } from "./commands/dev.ts";
import { embedCommand } from "./commands/embed.ts";
import { explainCommand } from "./commands/explain.ts";
import { exportCommand } from "./commands/export.ts";
import { importCommand } from "./commands/import.ts";
import { initCommand } from "./commands/init.ts";
import { keysCommand } from "./commands/keys.ts";
import { schemaCommand } from "./commands/schema.ts";
import { shadowCommand } from "./commands/shadow.ts";
import { usageCommand } from "./commands/usage.ts";
import { validate } from "./commands/validate.ts";
import { CliError, EXIT } from "./errors.ts";

export const COMMANDS: Command[] = [
  initCommand,
  validate,
  devCommand,
  buildCommand,
  embedCommand,
  schemaCommand,
  importCommand,
  exportCommand,
  deployCommand,
  stagesCommand,
  historyCommand,
  diffCommand,
  rollbackCommand,
  canaryCommand,
  shadowCommand,
  explainCommand,
  keysCommand,
  usageCommand,
  cacheCommand,
  connectionsCommand,
];

function usage(): string {
  const width = 40;
  const list = (group: Command["group"]) =>
    COMMANDS.filter((c) => c.group === group)
      .map((c) => (c.synopsis.length <= width - 2 ? `  ${c.synopsis.padEnd(width)}${c.summary}` : `  ${c.synopsis}\n  ${" ".repeat(width)}${c.summary}`))
      .join("\n");
  return `usage: portico <command> [options]      (portico <command> --help for its options)

Local:
${list("local")}

Deployments (the admin API at --url / PORTICO_URL, token --token / PORTICO_TOKEN):
${list("deployments")}

Options every command takes: --json (machine-readable output and errors), -h / --help.
Exit codes: 0 ok, 1 refused (invalid input, conflict), 2 usage, 3 server unreachable or failing, 4 not authorized
`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const own = rest.includes("--") ? rest.slice(0, rest.indexOf("--")) : rest;
  const json = own.includes("--json");
  try {
    if (name === undefined) {
      process.stderr.write(usage());
      return EXIT.usage;
    }
    if (name === "-h" || name === "--help") {
      process.stdout.write(usage());
      return EXIT.ok;
    }
    if (name === "help") {
      const command = rest[0] === undefined ? undefined : find(rest[0]);
      process.stdout.write(command ? `${command.usage}\n` : usage());
      return EXIT.ok;
    }
    const command = find(name);
    if (own.includes("-h") || own.includes("--help")) {
      process.stdout.write(`${command.usage}\n`);
      return EXIT.ok;
    }
    return await command.run(rest);
  } catch (err) {
    return report(err, json, name);
  }
}

function find(name: string): Command {
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) throw new CliError(`unknown command "${name}" (portico --help lists them)`, EXIT.usage);
  return command;
}

/** Prints a failure as one line (and its field errors), or as JSON with --json; returns its exit code. */
function report(err: unknown, json: boolean, command: string | undefined): number {
  const error = asCliError(err, command);
  if (process.env.PORTICO_DEBUG && !(err instanceof CliError)) console.error((err as Error).stack);
  if (json) {
    const body = { message: error.message, exitCode: error.exitCode, ...(error.details.length ? { errors: error.details } : {}) };
    process.stdout.write(JSON.stringify({ error: body }, null, 2) + "\n");
  } else {
    process.stderr.write([error.message, ...error.details.map((d) => `  ${d.path}: ${d.message}`)].join("\n") + "\n");
  }
  return error.exitCode;
}

function asCliError(err: unknown, command: string | undefined): CliError {
  if (err instanceof CliError) return err;
  const e = err as NodeJS.ErrnoException;
  const help = command ? ` (portico ${command} --help)` : "";
  if (e instanceof TypeError && e.code?.startsWith("ERR_PARSE_ARGS")) {
    const option = /'([^']+)'/.exec(e.message)?.[1];
    if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return new CliError(`unknown option ${option ?? e.message}${help}`, EXIT.usage);
    if (e.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") return new CliError(`unexpected argument ${option ?? ""}${help}`, EXIT.usage);
    return new CliError(`${e.message.split(/\.\s/)[0]!.replace(/\.$/, "")}${help}`, EXIT.usage);
  }
  const message = (e?.message ?? String(err)).split("\n")[0];
  // Something the server said did not have the shape Portico's admin API gives: the server's failure, not ours.
  if (answeredBy) return new CliError(`${answeredBy} answered something Portico's admin API would not (${message}): is it a Portico Worker?`, EXIT.unreachable);
  return new CliError(`internal error: ${message} (PORTICO_DEBUG=1 prints the stack)`, EXIT.refused);
}
