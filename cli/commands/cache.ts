/** `portico cache flush --stage S`: flush a stage's response cache (O(1): a new generation in every key). */
import { parseArgs } from "node:util";
import { shaped } from "../client.ts";
import { CONNECTION_HELP, type Command } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import { withProgress } from "../progress.ts";
import { clientFrom, CONNECTION_OPTIONS, resolveApi } from "./connection.ts";

export const cacheCommand: Command = {
  name: "cache",
  synopsis: "cache flush --stage S",
  summary: "flush a stage's response cache",
  usage: `usage: portico cache flush --stage S [--api NAME] [--json]

Flushes stage S's response cache in O(1): every cache key gets a new generation, so older entries are out of reach
at once (every request sees it within the Registry memo bound, REGISTRY_MEMO_MS).

${CONNECTION_HELP}`,
  subcommands: ["flush"],
  group: "deployments",
  async run(args) {
    const [sub, ...rest] = args;
    if (sub !== "flush") throw new CliError(sub ? `unknown cache command "${sub}" (portico cache --help)` : "cache needs a command: flush (portico cache --help)", EXIT.usage);
    const { values } = parseArgs({ args: rest, options: { ...CONNECTION_OPTIONS, stage: { type: "string" } } });
    if (!values.stage) throw new CliError("cache flush needs --stage S (portico cache --help)", EXIT.usage);
    const client = clientFrom(values);
    const api = await resolveApi(client, values);
    const { body: answer } = await withProgress(`flushing ${api}/${values.stage}`, client.request("POST", `/apis/${api}/stages/${values.stage}/cache/flush`, {}));
    const body = shaped<{ stage: string; cacheGeneration: number }>(answer, (b) => typeof b.cacheGeneration === "number", "a cache flush");
    console.log(values.json ? JSON.stringify(body, null, 2) : `flushed ${api}/${body.stage}: cache generation ${body.cacheGeneration} (every request sees it within the Registry memo bound)`);
    return EXIT.ok;
  },
};
