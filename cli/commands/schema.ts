/** `portico schema [--markdown] [OUT]`: the definition's JSON Schema (for editors) or its Markdown reference. */
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { DEFINITION_SCHEMA } from "../../src/config/schema.ts";
import type { Command } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import { schemaMarkdown } from "./schema-docs.ts";

export function schemaText(): string {
  return JSON.stringify(DEFINITION_SCHEMA, null, 2) + "\n";
}

export const schemaCommand: Command = {
  name: "schema",
  synopsis: "schema [--markdown] [OUT]",
  summary: "the definition's JSON Schema, or its Markdown reference",
  usage: `usage: portico schema [--markdown] [OUT]

Writes the API definition's JSON Schema (schema/portico-api.schema.json, for editor completion) or, with
--markdown, the field reference (docs/definition-reference.md), both from src/config/schema.ts. \`npm run schema\`
regenerates both; CI checks they are fresh.`,
  group: "local",
  async run(args) {
    const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { markdown: { type: "boolean" } } });
    if (positionals.length > 1) throw new CliError("schema takes at most one OUT (portico schema --help)", EXIT.usage);
    const text = values.markdown ? schemaMarkdown() : schemaText();
    if (positionals[0]) await writeFile(positionals[0], text);
    else process.stdout.write(text);
    return EXIT.ok;
  },
};
