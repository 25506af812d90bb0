/** `portico shadow start | report | stop`: evaluate a candidate version beside the live one on a sample of real requests. */
import { parseArgs } from "node:util";
import { CONNECTION_HELP, type Command } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import { shortId, table, when } from "../output.ts";
import { withProgress } from "../progress.ts";
import { isStage, shaped } from "../client.ts";
import { clientFrom, CONNECTION_OPTIONS, resolveApi } from "./connection.ts";
import type { ShadowReport, StageState } from "../../src/deploy/types.ts";

const USAGE = `usage: portico shadow <start|report|stop> --stage S [options]

Shadow evaluation: for a sample of stage S's real requests, Portico evaluates what a candidate version would decide —
route, resource policy, authorization, API key, validation, throttle verdict, cache key, integration target, request
template output — beside the live version, after the response (never delaying it), without a second backend call, a
second call to a custom authorizer, or a second charge to any bucket or quota. Differences are reported by kind,
with samples (method, path and query parameter names only).
  start    --version ID --percent N   evaluate version ID (published, e.g. with deploy --canary 0) on N% of requests
  report                              evaluated and differing requests, differences by kind with samples
  stop                                stop evaluating (the report stays until the next start)

canary set|start|promote --require-clean-shadow refuse unless the canary's version has a clean report here.

${CONNECTION_HELP}`;

const SUBCOMMANDS = ["start", "report", "stop"];
const OPTIONS = { ...CONNECTION_OPTIONS, stage: { type: "string" }, version: { type: "string" }, percent: { type: "string" } } as const;

export const shadowCommand: Command = {
  name: "shadow",
  synopsis: "shadow start|report|stop --stage S",
  summary: "evaluate a candidate version beside the live one, report the differences",
  usage: USAGE,
  subcommands: SUBCOMMANDS,
  group: "deployments",
  run: shadow,
};

const isReport = (b: Record<string, unknown>) => typeof b.evaluated === "number" && Array.isArray(b.kinds);

async function shadow(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || !SUBCOMMANDS.includes(sub)) throw new CliError(sub ? `unknown shadow command "${sub}" (portico shadow --help)` : "shadow needs a command: start, report or stop (portico shadow --help)", EXIT.usage);
  const { values } = parseArgs({ args: rest, options: OPTIONS });
  if (!values.stage) throw new CliError(`shadow ${sub} needs --stage S (portico shadow --help)`, EXIT.usage);
  const client = clientFrom(values);
  const api = await resolveApi(client, values);
  const path = `/apis/${api}/stages/${values.stage}/shadow`;

  if (sub === "start") {
    if (!values.version) throw new CliError("shadow start needs --version ID (portico shadow --help)", EXIT.usage);
    const percent = Number(values.percent ?? "");
    if (values.percent === undefined || !Number.isFinite(percent)) throw new CliError("shadow start needs --percent N, a number (portico shadow --help)", EXIT.usage);
    const { body } = await withProgress("starting shadow evaluation", client.request("POST", path, { deploymentId: values.version, percent }));
    const stage = shaped<StageState>(body, isStage, "a stage");
    console.log(values.json ? JSON.stringify(stage, null, 2) : `shadow evaluation of ${shortId(stage.shadow?.deploymentId)} on ${stage.shadow?.percent}% of ${values.stage}'s requests (live: ${shortId(stage.deploymentId)})`);
    return EXIT.ok;
  }
  if (sub === "stop") {
    const { body } = await withProgress("stopping shadow evaluation", client.request("DELETE", path));
    const stage = shaped<StageState>(body, isStage, "a stage");
    console.log(values.json ? JSON.stringify(stage, null, 2) : `shadow evaluation on ${values.stage} stopped; portico shadow report --stage ${values.stage} still shows its report`);
    return EXIT.ok;
  }
  const report = shaped<ShadowReport>(await client.get(path), isReport, "a shadow report");
  console.log(values.json ? JSON.stringify(report, null, 2) : reportText(report));
  return EXIT.ok;
}

export function reportText(r: ShadowReport): string {
  if (!r.deploymentId) return `${r.stage}: no shadow evaluation has run (portico shadow start --stage ${r.stage} --version ID --percent N)`;
  const head = r.shadow
    ? `${r.stage}: evaluating ${shortId(r.deploymentId)} on ${r.shadow.percent}% of requests since ${when(r.startedAt)}`
    : `${r.stage}: shadow of ${shortId(r.deploymentId)} stopped ${when(r.stoppedAt)} (ran from ${when(r.startedAt)})`;
  const verdict = r.evaluated === 0 ? "no request evaluated yet" : r.differing === 0 ? `clean: ${r.evaluated} requests evaluated, no difference` : `${r.differing} of ${r.evaluated} evaluated requests differ`;
  const lines = [head, verdict];
  if (r.kinds.length) {
    lines.push("", table(["KIND", "REQUESTS"], r.kinds.map((k) => [k.kind, k.count])));
    for (const k of r.kinds) {
      lines.push("", `${k.kind}:`);
      for (const s of k.samples) {
        const d = s.differences.find((x) => x.kind === k.kind);
        if (!d) continue;
        const query = s.queryNames.length ? `?${s.queryNames.join("&")}` : "";
        lines.push(`  ${s.method} ${s.path}${query}  (${s.requestId})`, `    live:      ${d.live}`, `    candidate: ${d.candidate}`);
      }
    }
  }
  const skipped = Object.entries(r.skipped);
  if (skipped.length) lines.push("", "not evaluated (it would have had a side effect, or could not be):", ...skipped.map(([why, n]) => `  ${why}: ${n}`));
  return lines.join("\n");
}
