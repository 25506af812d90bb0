/**
 * `portico usage [grant | reset]`: usage-plan quotas through the admin API — Amazon's GetUsage (requests and
 * remaining quota per key per day) and UpdateUsage (grant extra requests, or set what remains of the period).
 */
import { parseArgs } from "node:util";
import { shaped, type AdminClient } from "../client.ts";
import { CONNECTION_HELP, type Command } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import { table, when } from "../output.ts";
import { withProgress } from "../progress.ts";
import { clientFrom, CONNECTION_OPTIONS, resolveApi } from "./connection.ts";
import type { Bundle } from "../../src/config/bundle.ts";
import type { StageState } from "../../src/deploy/types.ts";

const USAGE = `usage: portico usage --plan P [--key K] --from YYYY-MM-DD --to YYYY-MM-DD
                                  requests and remaining quota per key per day (UTC, at most 366 days)
       portico usage grant --plan P --key K N
                                  add N requests (negative: take away) to the key's current quota period
       portico usage reset --plan P --key K [--remaining N]
                                  set what remains of the current period to N (default: the plan's full limit)

${CONNECTION_HELP}`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  plan: { type: "string" },
  key: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  remaining: { type: "string" },
} as const;

export interface UsageReport {
  usagePlanId: string;
  startDate: string;
  endDate: string;
  position: null;
  items: Record<string, [number, number | null][]>;
}

interface Standing {
  used: number;
  remaining: number;
  resetAt: number;
}

function integer(value: string | undefined, what: string): number {
  if (value === undefined || !/^-?\d+$/.test(value)) throw new CliError(`${what} must be a whole number (portico usage --help)`, EXIT.usage);
  return Number(value);
}

/** One row per key per day: KEY, DAY, USED, REMAINING ("-" when the plan has no quota). */
export function usageTable(report: UsageReport): string {
  const start = Date.parse(`${report.startDate}T00:00:00Z`);
  const day = (i: number) => new Date(start + i * 86_400_000).toISOString().slice(0, 10);
  const rows = Object.entries(report.items).flatMap(([key, days]) => days.map(([used, remaining], i) => [key, day(i), used, remaining]));
  return rows.length ? table(["KEY", "DAY", "USED", "REMAINING"], rows) : `no API keys in usage plan ${report.usagePlanId}`;
}

/** The plan's quota limit, from the version the most recently changed stage serves that defines the plan. */
async function quotaLimit(client: AdminClient, api: string, plan: string): Promise<number> {
  const { stages } = await client.get<{ stages: StageState[] }>(`/apis/${api}/stages`);
  for (const stage of [...stages].sort((a, b) => b.updatedAt - a.updatedAt)) {
    const { bundle } = await client.get<{ bundle: Bundle }>(`/apis/${api}/deployments/${stage.deploymentId}`);
    const found = bundle.usagePlans?.[plan];
    if (!found) continue;
    if (!found.quota) throw new CliError(`usage plan ${api}/${plan} has no quota`, EXIT.refused);
    return found.quota.limit;
  }
  throw new CliError(`API ${api} has no usage plan "${plan}" in the versions its stages serve`, EXIT.refused);
}

export const usageCommand: Command = {
  name: "usage",
  synopsis: "usage [grant|reset] --plan P ...",
  summary: "quota used and left per key per day; grant or reset",
  usage: USAGE,
  subcommands: ["grant", "reset"],
  group: "deployments",
  run: usage,
};

async function usage(args: string[]): Promise<number> {
  const sub = args[0] === "grant" || args[0] === "reset" ? args[0] : undefined;
  const rest = sub ? args.slice(1) : args;
  // A negative N ("grant … -5") is a number, not an option.
  const negatives = rest.filter((a) => /^-\d+$/.test(a));
  const { positionals, values } = parseArgs({ args: rest.filter((a) => !negatives.includes(a)), allowPositionals: true, options: OPTIONS });
  positionals.push(...negatives);
  if (!values.plan) throw new CliError("usage needs --plan P (portico usage --help)", EXIT.usage);
  if (!sub && (!values.from || !values.to || positionals.length)) throw new CliError("usage needs --from and --to dates, and no other arguments (portico usage --help)", EXIT.usage);
  if (sub && !values.key) throw new CliError(`usage ${sub} needs --key K (portico usage --help)`, EXIT.usage);
  if (sub && positionals.length !== (sub === "grant" ? 1 : 0)) throw new CliError(sub === "grant" ? "usage grant takes one number N (portico usage --help)" : "usage reset takes no arguments (portico usage --help)", EXIT.usage);
  const grant = sub === "grant" ? integer(positionals[0], "N") : undefined;
  const remaining = sub === "reset" && values.remaining !== undefined ? integer(values.remaining, "--remaining") : undefined;
  const client = clientFrom(values);
  const api = await resolveApi(client, values);
  const out = (json: unknown, text: string) => console.log(values.json ? JSON.stringify(json, null, 2) : text);

  if (!sub) {
    const query = new URLSearchParams({ from: values.from!, to: values.to!, ...(values.key ? { key: values.key } : {}) });
    const report = shaped<UsageReport>(await withProgress("reading usage", client.get(`/apis/${api}/plans/${values.plan}/usage?${query}`)), (b) => !!b.items && typeof b.items === "object" && typeof b.startDate === "string", "a usage report");
    out(report, usageTable(report));
    return EXIT.ok;
  }

  const body = grant !== undefined ? { grant } : { remaining: remaining ?? (await quotaLimit(client, api, values.plan)) };
  const standing = shaped<Standing>((await client.request("POST", `/apis/${api}/plans/${values.plan}/usage/${values.key}`, body)).body, (b) => typeof b.used === "number", "a quota standing");
  out(standing, `key ${values.key} in ${api}/${values.plan}: ${standing.used} used, ${standing.remaining} remaining until ${when(standing.resetAt)}`);
  return EXIT.ok;
}
