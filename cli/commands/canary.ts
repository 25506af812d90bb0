/** `portico canary set | start | status | promote | delete`: canary releases through the admin API. */
import { parseArgs } from "node:util";
import { CONNECTION_HELP, type Command } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import { percent, shortId, table } from "../output.ts";
import { withProgress } from "../progress.ts";
import { clientFrom, CONNECTION_OPTIONS, resolveApi } from "./connection.ts";
import { stageTable } from "./stage-table.ts";
import { isStage, shaped } from "../client.ts";
import type { CanaryState, StageState, VersionMetrics } from "../../src/deploy/types.ts";

const USAGE = `usage: portico canary <set|start|status|promote|delete> --stage S [options]

Canary releases: a share of stage S's traffic goes to a second published version (\`portico deploy FILE --stage S
--canary P\` creates one).
  set      [--percent P] [--sticky none|ip|apiKey|sub|header:NAME|cookie:NAME] [--var NAME=VALUE ...]
           [--use-stage-cache true|false] [--deployment ID]
                                  change the canary's percent, sticky key, stage-variable overrides, cache sharing
  start    [--percent P]          the same as set
  start    --auto [--step 10] [--interval 60] [--max-error-increase 1] [--max-p95-ratio 1.2] [--min-requests 100]
                                  step the percent up while the canary is healthy, promote at 100%, roll back when not
  status   [--minutes 15]         both versions' requests, error rates and latency percentiles side by side
  promote                         the canary becomes the stable version
  delete                          all traffic back to the stable version

set, start and promote take --require-clean-shadow [--min-shadow-requests N]: refused unless the canary's version
has a clean shadow report on the stage (portico shadow --help), with at least N evaluated requests (default 1).

${CONNECTION_HELP}`;

export const SUBCOMMANDS = ["set", "start", "status", "promote", "delete"];

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  stage: { type: "string" },
  percent: { type: "string" },
  sticky: { type: "string" },
  var: { type: "string", multiple: true },
  "use-stage-cache": { type: "string" },
  deployment: { type: "string" },
  auto: { type: "boolean" },
  step: { type: "string" },
  interval: { type: "string" },
  "max-error-increase": { type: "string" },
  "max-p95-ratio": { type: "string" },
  "min-requests": { type: "string" },
  minutes: { type: "string" },
  "require-clean-shadow": { type: "boolean" },
  "min-shadow-requests": { type: "string" },
} as const;

function num(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new CliError(`--${flag} must be a number (portico canary --help)`, EXIT.usage);
  return n;
}

function sticky(value: string | undefined): CanaryState["sticky"] | undefined {
  if (value === undefined) return undefined;
  const [kind, name] = value.split(":", 2);
  return name ? ({ kind, name } as CanaryState["sticky"]) : ({ kind } as CanaryState["sticky"]);
}

function vars(list: string[] | undefined): Record<string, string> | undefined {
  if (!list) return undefined;
  return Object.fromEntries(
    list.map((pair) => {
      const eq = pair.indexOf("=");
      if (eq < 1) throw new CliError(`--var must be NAME=VALUE, got "${pair}" (portico canary --help)`, EXIT.usage);
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
  );
}

export const canaryCommand: Command = {
  name: "canary",
  synopsis: "canary set|start|status|promote|delete --stage S",
  summary: "canary releases, by hand or automated (--auto)",
  usage: USAGE,
  subcommands: SUBCOMMANDS,
  group: "deployments",
  run: canary,
};

async function canary(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || !SUBCOMMANDS.includes(sub)) throw new CliError(sub ? `unknown canary command "${sub}" (portico canary --help)` : "canary needs a command: set, start, status, promote or delete (portico canary --help)", EXIT.usage);
  const { values } = parseArgs({ args: rest, options: OPTIONS });
  if (!values.stage) throw new CliError(`canary ${sub} needs --stage S (portico canary --help)`, EXIT.usage);
  const client = clientFrom(values);
  const api = await resolveApi(client, values);
  const base = `/apis/${api}/stages/${values.stage}/canary`;
  const show = (state: StageState, what: string) =>
    console.log(values.json ? JSON.stringify(state, null, 2) : `${what}\n\n${stageTable([state])}`);
  const stage = (r: { body: object }) => ({ body: shaped<StageState>(r.body, isStage, "a stage") });
  const gate = {
    ...(values["require-clean-shadow"] ? { requireCleanShadow: true } : {}),
    ...(values["min-shadow-requests"] ? { minShadowRequests: num(values["min-shadow-requests"], "min-shadow-requests") } : {}),
  };

  switch (sub) {
    case "set":
    case "start": {
      if (sub === "start" && values.auto) {
        const { body } = stage(await withProgress("starting automated canary", client.request("POST", `${base}/auto`, {
          ...(values.step ? { step: num(values.step, "step") } : {}),
          ...(values.interval ? { intervalSeconds: num(values.interval, "interval") } : {}),
          ...(values["max-error-increase"] ? { maxErrorRateIncrease: num(values["max-error-increase"], "max-error-increase") } : {}),
          ...(values["max-p95-ratio"] ? { maxP95Ratio: num(values["max-p95-ratio"], "max-p95-ratio") } : {}),
          ...(values["min-requests"] ? { minRequests: num(values["min-requests"], "min-requests") } : {}),
          ...gate,
        })));
        show(body, `automated canary running on ${values.stage} at ${body.canary?.percent}%`);
        return EXIT.ok;
      }
      const cache = values["use-stage-cache"];
      if (cache !== undefined && cache !== "true" && cache !== "false") throw new CliError("--use-stage-cache must be true or false (portico canary --help)", EXIT.usage);
      const input = {
        ...(values.percent !== undefined ? { percent: num(values.percent, "percent") } : {}),
        ...(values.sticky ? { sticky: sticky(values.sticky) } : {}),
        ...(values.var ? { stageVariableOverrides: vars(values.var) } : {}),
        ...(cache !== undefined ? { useStageCache: cache === "true" } : {}),
        ...(values.deployment ? { deploymentId: values.deployment } : {}),
        ...gate,
      };
      const { body } = stage(await withProgress("updating canary", client.request("PUT", base, input)));
      show(body, `canary on ${values.stage}: ${shortId(body.canary?.deploymentId)} at ${body.canary?.percent}%`);
      return EXIT.ok;
    }
    case "promote": {
      const { body } = stage(await withProgress("promoting canary", client.request("POST", `${base}/promote`, gate)));
      show(body, `promoted: ${values.stage} now serves ${shortId(body.deploymentId)}`);
      return EXIT.ok;
    }
    case "delete": {
      const { body } = stage(await withProgress("deleting canary", client.request("DELETE", base)));
      show(body, `canary deleted: all of ${values.stage} goes to ${shortId(body.deploymentId)}`);
      return EXIT.ok;
    }
    case "status": {
      const minutes = num(values.minutes, "minutes") ?? 15;
      const status = shaped<{ stable: string; canary: CanaryState | null; versions: VersionMetrics[]; source?: string }>(
        await client.get(`/apis/${api}/stages/${values.stage}/metrics?minutes=${minutes}`),
        (b) => typeof b.stable === "string" && Array.isArray(b.versions),
        "a stage's metrics",
      );
      if (values.json) console.log(JSON.stringify(status, null, 2));
      else console.log(statusText(values.stage, minutes, status));
      return EXIT.ok;
    }
    default:
      throw new CliError(`unknown canary command "${sub}" (portico canary --help)`, EXIT.usage);
  }
}

export function statusText(stage: string, minutes: number, status: { stable: string; canary: CanaryState | null; versions: VersionMetrics[]; source?: string }): string {
  const head = status.canary
    ? `${stage}: stable ${shortId(status.stable)}, canary ${shortId(status.canary.deploymentId)} at ${status.canary.percent}%` +
      (status.canary.auto ? ` (automated: +${status.canary.auto.step} every ${status.canary.auto.intervalSeconds}s)` : "")
    : `${stage}: stable ${shortId(status.stable)}, no canary`;
  const ms = (v: number | null) => (v === null ? "-" : `${v}`);
  const rows = status.versions.map((v) => [
    v.role,
    shortId(v.version),
    v.count,
    percent(v.errorRate4xx),
    percent(v.errorRate5xx),
    ms(v.p50),
    ms(v.p95),
    ms(v.p99),
    ms(v.integrationP95),
  ]);
  const source = status.source === "analytics-engine" ? " (from Analytics Engine)" : "";
  return `${head}\nlast ${minutes} minutes${source}:\n\n` +
    (rows.length ? table(["ROLE", "VERSION", "REQUESTS", "4XX", "5XX", "P50 MS", "P95 MS", "P99 MS", "INTEGRATION P95"], rows) : "no requests yet");
}
