/** Where things are: the Portico package (its Worker source, example and schema) and the user's project. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, parse, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The Portico package's root: the nearest directory above this module whose package.json names `portico`.
 * Found by walking up so it is the same whether this code runs from `cli/` (tests) or from `cli/dist/` (bundled).
 */
export const PROJECT_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

export const EXAMPLE_DEFINITION = join(PROJECT_ROOT, "examples", "petstore", "api.yaml");
/** Embedded beside the example wherever it is the default (build, npm run dev/deploy): its WebSocket chat, on chat.localhost. */
export const EXAMPLE_EXTRAS: readonly string[] = [join(PROJECT_ROOT, "examples", "chat", "api.yaml")];

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "portico") return dir;
    if (dir === parse(dir).root) throw new Error(`no Portico package.json above ${from}`);
  }
}

/** The first of `names` found in `from` or a directory above it. */
export function findUp(from: string, names: readonly string[]): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    for (const name of names) {
      const candidate = join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
    if (dir === parse(dir).root) return undefined;
  }
}

/** A path as the user would write it: relative to the working directory when inside it, else absolute. */
export function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return !rel ? "." : rel.startsWith("..") ? resolve(path) : rel;
}
