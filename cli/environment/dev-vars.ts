/**
 * Names (never values) of local secrets: `.dev.vars` beside the wrangler config, which `wrangler dev` loads, and
 * `.dev.vars.example`, the committed list of what a project needs.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** `NAME=value` lines (dotenv syntax, as wrangler reads them); comments and blank lines skipped. */
export function dotenvNames(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=/.exec(line);
    if (m) names.push(m[1]!);
  }
  return names;
}

export interface LocalSecrets {
  /** `.dev.vars`' path, and its names; undefined when there is none. */
  devVars?: { path: string; names: Set<string> };
  example?: { path: string; names: Set<string> };
}

export function readLocalSecrets(configPath: string): LocalSecrets {
  const read = (path: string) => (existsSync(path) ? { path, names: new Set(dotenvNames(readFileSync(path, "utf8"))) } : undefined);
  const dir = dirname(configPath);
  const devVars = read(join(dir, ".dev.vars"));
  const example = read(join(dir, ".dev.vars.example"));
  return { ...(devVars ? { devVars } : {}), ...(example ? { example } : {}) };
}

/** One variable's value from dotenv text (quotes removed), for portico dev's own checks; never printed. */
export function dotenvValue(text: string, name: string): string | undefined {
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (m?.[1] !== name) continue;
    const value = m[2]!;
    const quoted = /^(["'`])(.*)\1$/.exec(value);
    return quoted ? quoted[2] : value.replace(/\s+#.*$/, "");
  }
  return undefined;
}
