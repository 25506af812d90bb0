/** `portico schema [OUT]`: write the definition's JSON Schema (for editor completion) from `src/config/schema.ts`. */
import { writeFile } from "node:fs/promises";
import { DEFINITION_SCHEMA } from "../../src/config/schema.ts";

export function schemaText(): string {
  return JSON.stringify(DEFINITION_SCHEMA, null, 2) + "\n";
}

export async function writeSchema(out?: string): Promise<void> {
  if (out) await writeFile(out, schemaText());
  else process.stdout.write(schemaText());
}
