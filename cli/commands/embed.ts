/** `portico embed FILE`: compile a definition into the Worker's embedded default bundle. */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileFile } from "../definition-file.ts";

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** wrangler.toml aliases `@portico/embedded-bundle` to this file. */
export const EMBEDDED_PATH = join(PROJECT_ROOT, ".portico", "embedded-bundle.json");

export async function embed(file: string, out = EMBEDDED_PATH): Promise<{ id: string; routes: number }> {
  const { id, bundle } = await compileFile(file);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify({ id, bundle }) + "\n");
  return { id, routes: bundle.routes.length };
}
