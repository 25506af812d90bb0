#!/usr/bin/env node
// The `portico` command: runs the CLI bundled in cli/dist/portico.mjs, building it first when it is missing or
// older than its sources (bundle.mjs says why it is built on first use). Node only: no TypeScript loader.
import { ensureBuilt } from "./bundle.mjs";

let entry;
try {
  entry = await ensureBuilt();
} catch (err) {
  console.error(err.message.split("\n")[0]);
  process.exit(1);
}
const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));
