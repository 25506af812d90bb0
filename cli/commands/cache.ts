/** `portico cache flush --stage S`: flush a stage's response cache (O(1): a new generation in every key). */
import { parseArgs } from "node:util";
import { CliError } from "../definition-file.ts";
import { EXIT } from "../client.ts";
import { withProgress } from "../output.ts";
import { clientFrom, CONNECTION_OPTIONS, resolveApi } from "./deployments.ts";

export async function cacheCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({ args: rest, options: { ...CONNECTION_OPTIONS, stage: { type: "string" } } });
  if (sub !== "flush" || !values.stage) throw new CliError("usage: portico cache flush --stage S [--api A]", EXIT.usage);
  const client = clientFrom(values);
  const api = await resolveApi(client, values);
  const { body } = await withProgress(`flushing ${api}/${values.stage}`, client.request<{ stage: string; cacheGeneration: number }>("POST", `/apis/${api}/stages/${values.stage}/cache/flush`, {}));
  console.log(values.json ? JSON.stringify(body, null, 2) : `flushed ${api}/${body.stage}: cache generation ${body.cacheGeneration} (every request sees it within the Registry memo bound)`);
  return EXIT.ok;
}
