/** `portico init [DIR]`: a new API project that runs with `npm install`, `npm run dev` and `npm test`. */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Command } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import { PROJECT_ROOT, shown } from "../paths.ts";
import { definition, devVarsExample, GITIGNORE, packageJson, testFile, wranglerToml, type Scaffold } from "../init/templates.ts";

const API_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const initCommand: Command = {
  name: "init",
  synopsis: "init [DIR]",
  summary: "scaffold a new API project (definition, wrangler.toml, a test)",
  usage: `usage: portico init [DIR] [--name NAME] [--portico SPEC] [--json]

Writes a new API project into DIR (default: the working directory; created if needed):
  api.yaml            the definition (with the schema comment that gives editors completion)
  wrangler.toml       the gateway Worker: Portico's bindings, Durable Objects and migrations
  .dev.vars.example   local secrets (ADMIN_TOKEN for the admin API): cp .dev.vars.example .dev.vars
  test/api.test.mjs   node:test end-to-end tests against portico dev
  package.json, .gitignore
Then: cd DIR && npm install && npm run dev (and npm test). Refuses to overwrite any of these files.

options:
  --name NAME      the API's name (default: DIR's name, lower-cased)
  --portico SPEC   how package.json depends on Portico (default: file: this Portico's directory, which npm
                   links; Portico is not on the npm registry: a git URL works too)`,
  group: "local",
  async run(args) {
    const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { name: { type: "string" }, portico: { type: "string" }, json: { type: "boolean" } } });
    if (positionals.length > 1) throw new CliError("init takes at most one DIR (portico init --help)", EXIT.usage);
    const dir = resolve(positionals[0] ?? ".");
    const name = values.name ?? basename(dir).toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
    if (!API_NAME.test(name)) throw new CliError(`"${name}" cannot name an API (lower-case letters, digits and hyphens): pass --name`, EXIT.usage);
    const scaffold: Scaffold = { name, portico: values.portico ?? `file:${PROJECT_ROOT}` };
    const files: [string, string][] = [
      ["api.yaml", definition(scaffold)],
      ["wrangler.toml", wranglerToml(scaffold)],
      [".dev.vars.example", devVarsExample()],
      ["package.json", packageJson(scaffold)],
      [".gitignore", GITIGNORE],
      [join("test", "api.test.mjs"), testFile(scaffold)],
    ];
    const taken = files.map(([f]) => f).filter((f) => existsSync(join(dir, f)));
    if (taken.length) throw new CliError(`${shown(dir)} already has ${taken.join(", ")}: nothing written`, EXIT.refused);
    mkdirSync(join(dir, "test"), { recursive: true });
    for (const [file, text] of files) writeFileSync(join(dir, file), text);
    const where = shown(dir) === "." ? "" : shown(dir);
    if (values.json) console.log(JSON.stringify({ dir, name, files: files.map(([f]) => f) }, null, 2));
    else
      console.log(
        `created the ${name} API in ${where || "."}: ${files.map(([f]) => f).join(", ")}\n\n` +
          `  ${where ? `cd ${where} && ` : ""}npm install\n  npm run dev      # serves api.yaml on http://localhost:8787: curl localhost:8787/dev/hello\n  npm test`,
      );
    return EXIT.ok;
  },
};
