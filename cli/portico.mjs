#!/usr/bin/env node
// The `portico` command. The CLI is TypeScript that shares the compiler with the Worker; tsx loads it in Node
// without a build step, so a fresh clone works right after `npm install`.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv.slice(2));
