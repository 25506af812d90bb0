/**
 * The `portico` command. Exit codes scripts can trust: 0 success, 1 the operation failed (invalid definition,
 * server refused), 2 usage error (bad arguments, unreadable file).
 */
import { parseArgs } from "node:util";
import { CliError, checkFile, formatErrors } from "./definition-file.ts";
import { dev } from "./commands/dev.ts";
import { build, describeBuild } from "./commands/build.ts";
import { embed } from "./commands/embed.ts";
import { writeSchema } from "./commands/schema.ts";

const USAGE = `usage: portico <command> [options]

Local:
  validate FILE            check a definition; print every error with its field path
  dev FILE [--port N]      serve a definition locally with wrangler dev (watches the file)
  embed FILE               compile a definition into the Worker's embedded default bundle
  schema [OUT]             write the definition's JSON Schema (default: stdout)
  build [FILE]             bundle the Worker for deploy (FILE embedded; default the example) and report its size

Options:
  --json                   machine-readable output
  -h, --help               this help
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "validate":
        return await validateCommand(rest);
      case "embed": {
        const { positionals } = parseArgs({ args: rest, allowPositionals: true });
        const file = need(positionals[0], "embed FILE");
        const { id, routes } = await embed(file);
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
        const { positionals } = parseArgs({ args: rest, allowPositionals: true });
        await writeSchema(positionals[0]);
        return 0;
      }
      case "dev": {
        const split = rest.indexOf("--");
        const own = split < 0 ? rest : rest.slice(0, split);
        const { positionals, values } = parseArgs({ args: own, allowPositionals: true, options: { port: { type: "string" } } });
        return await dev(need(positionals[0], "dev FILE"), { port: values.port, wranglerArgs: split < 0 ? [] : rest.slice(split + 1) });
      }
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
