/**
 * The `portico` command. Exit codes scripts can trust: 0 success, 1 the operation was refused (invalid
 * definition, the server said no), 2 usage error (bad arguments, unreadable file), 3 the server could not be
 * reached or failed, 4 not authorized (wrong token, or the admin API has none).
 */
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { CliError, checkFile, formatErrors } from "./definition-file.ts";
import { dev } from "./commands/dev.ts";
import { build, describeBuild } from "./commands/build.ts";
import { embed } from "./commands/embed.ts";
import { writeSchema } from "./commands/schema.ts";
import { schemaMarkdown } from "./commands/schema-docs.ts";
import { deployCommand, diffCommand, historyCommand, rollbackCommand, stagesCommand } from "./commands/deployments.ts";
import { canaryCommand } from "./commands/canary.ts";
import { keysCommand } from "./commands/keys.ts";
import { usageCommand } from "./commands/usage.ts";
import { cacheCommand } from "./commands/cache.ts";
import { connectionsCommand } from "./commands/connections.ts";

const USAGE = `usage: portico <command> [options]

Local:
  validate FILE            check a definition; print every error with its field path
  dev FILE [MORE…] [--port N]
                           serve definitions locally with wrangler dev (watches the files); the first is served
                           at /<stage>/…, the others on their domains
  embed FILE [MORE…]       compile definitions into the Worker's embedded bundles
  schema [--markdown] [OUT]
                           write the definition's JSON Schema, or its Markdown reference (default: stdout)
  build [FILE]             bundle the Worker for deploy (FILE embedded; default the example) and report its size

Deployments (admin API at --url / PORTICO_URL, token --token / PORTICO_TOKEN):
  deploy FILE --stage S [--canary P] [--description TEXT]
                           publish FILE as a version and point the stage (or its canary) at it
  stages                   stages, their versions and canaries
  history [--stage S]      what was deployed, rolled back and promoted, newest first
  diff A B                 routes added, removed and changed (A, B: files or deployment ids)
  rollback --stage S [--to ID]
                           point the stage back at the previous version (or at ID)
  canary set|start|status|promote|delete --stage S
                           canary releases; \`canary start --auto\` steps up, promotes or rolls back by itself
  keys create|list|show|enable|disable|stages|plans|rotate|delete
                           API keys (the value is shown once, stored only as a hash)
  usage --plan P [--key K] --from D --to D
                           requests and remaining quota per key per day (UTC)
  usage grant --plan P --key K N | usage reset --plan P --key K [--remaining N]
                           add N requests to the key's current quota period, or set what remains
  cache flush --stage S    flush a stage's response cache
  connections list|send|close --stage S
                           a WebSocket API's live connections: counts, messages to one, a group or all, close

Options:
  --api NAME               the API (default: PORTICO_API, or the only deployed API)
  --json                   machine-readable output
  -h, --help               this help

Exit codes: 0 ok, 1 refused (invalid input, conflict), 2 usage, 3 server unreachable or failing, 4 not authorized
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "validate":
        return await validateCommand(rest);
      case "embed": {
        const { positionals } = parseArgs({ args: rest, allowPositionals: true });
        const file = need(positionals[0], "embed FILE [MORE…]");
        const { id, routes } = await embed(file, undefined, positionals.slice(1));
        console.log(`embedded ${file}: ${routes} routes, version ${id.slice(0, 12)}`);
        return 0;
      }
      case "build": {
        const { positionals, values } = parseArgs({ args: rest, allowPositionals: true, options: { json: { type: "boolean" } } });
        const result = await build(positionals[0]);
        console.log(values.json ? JSON.stringify(result) : describeBuild(result));
        return 0;
      }
      case "schema": {
        const { positionals, values } = parseArgs({ args: rest, allowPositionals: true, options: { markdown: { type: "boolean" } } });
        if (values.markdown) {
          const text = schemaMarkdown();
          if (positionals[0]) await writeFile(positionals[0], text);
          else process.stdout.write(text);
        } else await writeSchema(positionals[0]);
        return 0;
      }
      case "dev": {
        const split = rest.indexOf("--");
        const own = split < 0 ? rest : rest.slice(0, split);
        const { positionals, values } = parseArgs({ args: own, allowPositionals: true, options: { port: { type: "string" } } });
        return await dev(need(positionals[0], "dev FILE [MORE…]"), { port: values.port, wranglerArgs: split < 0 ? [] : rest.slice(split + 1), more: positionals.slice(1) });
      }
      case "deploy":
        return await deployCommand(rest);
      case "stages":
        return await stagesCommand(rest);
      case "history":
        return await historyCommand(rest);
      case "diff":
        return await diffCommand(rest);
      case "rollback":
        return await rollbackCommand(rest);
      case "canary":
        return await canaryCommand(rest);
      case "keys":
        return await keysCommand(rest);
      case "usage":
        return await usageCommand(rest);
      case "cache":
        return await cacheCommand(rest);
      case "connections":
        return await connectionsCommand(rest);
      case undefined:
      case "-h":
      case "--help":
      case "help":
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new CliError(`unknown command "${command}"\n\n${USAGE}`, 2);
    }
  } catch (err) {
    if (err instanceof CliError) {
      console.error(err.message);
      return err.exitCode;
    }
    if (err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
}

function need(value: string | undefined, usage: string): string {
  if (!value) throw new CliError(`usage: portico ${usage}`, 2);
  return value;
}

async function validateCommand(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { json: { type: "boolean" } } });
  const file = need(positionals[0], "validate FILE [--json]");
  const errors = await checkFile(file);
  if (values.json) console.log(JSON.stringify({ file, valid: errors.length === 0, errors }, null, 2));
  else if (errors.length) console.error(formatErrors(file, errors));
  else console.log(`${file}: valid`);
  return errors.length ? 1 : 0;
}
