/**
 * `portico embed FILE [MORE…]`: compile definitions into the Worker's embedded bundles. The first is the default
 * API (served at `/<stage>/…` on the Worker's own host names); the others are reached through their `domains`
 * (the example's WebSocket chat answers on `chat.localhost`).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileFile } from "../definition-file.ts";

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** wrangler.toml aliases `@portico/embedded-bundle` to this file. */
export const EMBEDDED_PATH = join(PROJECT_ROOT, ".portico", "embedded-bundle.json");

export async function embed(file: string, out = EMBEDDED_PATH, more: string[] = []): Promise<{ id: string; routes: number }> {
  const { id, bundle } = await compileFile(file);
  const others = await Promise.all(more.map((f) => compileFile(f)));
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify({ id, bundle, ...(others.length ? { others } : {}) }) + "\n");
  return { id, routes: bundle.routes.length };
}
