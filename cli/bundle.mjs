// Builds the `portico` CLI: esbuild bundles cli/main.ts (and the compiler it shares with the Worker, from src/)
// into cli/dist/portico.mjs, a plain ES module Node runs as is. Packages stay imports from node_modules.
//
// Why built on first use rather than committed or built by an install script: a fresh clone needs no step
// between `npm install` and `npx portico` / `npm run dev`, a committed bundle would go stale with every change to
// cli/ or src/config/ (and conflict in every merge), and install scripts are often disabled. The bundle records
// its inputs (cli/dist/inputs.json); `ensureBuilt` rebuilds it when one of them is newer or gone (~0.2 s), which
// is also what keeps it fresh while developing. `node cli/bundle.mjs` (npm run build:cli) builds it explicitly.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const CLI = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(CLI);
export const DIST = join(CLI, "dist", "portico.mjs");
const INPUTS = join(CLI, "dist", "inputs.json");

/** The bundle's URL, built first when it is missing or older than any of its inputs. */
export async function ensureBuilt() {
  if (!isFresh()) await buildCli();
  return pathToFileURL(DIST).href;
}

function isFresh() {
  try {
    const built = statSync(DIST).mtimeMs;
    const inputs = JSON.parse(readFileSync(INPUTS, "utf8"));
    return inputs.every((file) => statSync(join(ROOT, file)).mtimeMs <= built);
  } catch {
    return false;
  }
}

export async function buildCli() {
  let esbuild;
  try {
    esbuild = await import("esbuild");
  } catch {
    throw new Error(`portico: ${relative(process.cwd(), DIST)} is missing or stale, and esbuild (a dependency) is not installed: run npm install`);
  }
  mkdirSync(dirname(DIST), { recursive: true });
  // Several CLIs may start at once (tests do): each writes its own files and renames them into place.
  const temp = `${DIST}.${process.pid}.tmp`;
  const result = await esbuild.build({
    entryPoints: [join(CLI, "main.ts")],
    outfile: temp,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    metafile: true,
    logLevel: "error",
    legalComments: "none",
  });
  const inputs = Object.keys(result.metafile.inputs).map((file) => relative(ROOT, resolve(process.cwd(), file)));
  writeFileSync(`${INPUTS}.${process.pid}.tmp`, JSON.stringify(inputs.sort(), null, 1) + "\n");
  renameSync(temp, DIST);
  renameSync(`${INPUTS}.${process.pid}.tmp`, INPUTS);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  rmSync(DIST, { force: true });
  await buildCli();
  console.log(`built ${relative(process.cwd(), DIST)}`);
  if (!existsSync(DIST)) process.exitCode = 1;
}
