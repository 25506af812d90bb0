/** `portico embed FILE`: compile a definition into the Worker's embedded default bundle. */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CompileOptions } from "../../src/config/compile.ts";
import { compileFile } from "../definition-file.ts";

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** wrangler.toml aliases `@portico/embedded-bundle` to this file. */
export const EMBEDDED_PATH = join(PROJECT_ROOT, ".portico", "embedded-bundle.json");

/** `options.localDev`: `portico dev` embeds for the local Worker, which it runs with PORTICO_LOCAL_DEV. */
export async function embed(file: string, out = EMBEDDED_PATH, options: CompileOptions = {}): Promise<{ id: string; routes: number }> {
  const { id, bundle } = await compileFile(file, options);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify({ id, bundle }) + "\n");
  return { id, routes: bundle.routes.length };
}
