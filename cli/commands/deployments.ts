/** `portico deploy | stages | history | rollback | diff`: deployments through the admin API. */
import { parseArgs } from "node:util";
import { compileFile, CliError, readDefinitionFile } from "../definition-file.ts";
import { AdminClient, EXIT } from "../client.ts";
import { shortId, table, when, withProgress } from "../output.ts";
import { canonicalJson, type Bundle, type BundleRoute } from "../../src/config/bundle.ts";
import type { DeploymentRecord, HistoryEntry, StageState } from "../../src/deploy/types.ts";
import { existsSync } from "node:fs";

export const CONNECTION_OPTIONS = {
  url: { type: "string" },
  token: { type: "string" },
  api: { type: "string" },
  json: { type: "boolean" },
} as const;

type Values = { url?: string; token?: string; api?: string; json?: boolean };

export const clientFrom = (v: Values) => new AdminClient({ url: v.url, token: v.token });

/** The API to act on: --api, PORTICO_API, or the only API the server knows. */
export async function resolveApi(client: AdminClient, v: Values): Promise<string> {
  const api = v.api ?? process.env.PORTICO_API;
  if (api) return api;
  const { apis } = await client.get<{ apis: { name: string }[] }>("/apis");
  if (apis.length === 1) return apis[0]!.name;
  if (apis.length) throw new CliError(`several APIs are deployed (${apis.map((a) => a.name).join(", ")}): pass --api`, EXIT.usage);
  throw new CliError("no API has been deployed yet", EXIT.refused);
}

const print = (v: Values, json: unknown, text: string) => console.log(v.json ? JSON.stringify(json, null, 2) : text);

export function stageTable(stages: StageState[]): string {
  return table(
    ["STAGE", "STABLE", "CANARY", "PERCENT", "STICKY", "AUTO", "UPDATED"],
    stages.map((s) => [
      s.stage,
      shortId(s.deploymentId),
      shortId(s.canary?.deploymentId),
      s.canary ? `${s.canary.percent}%` : "-",
      s.canary ? s.canary.sticky.kind + (s.canary.sticky.name ? `:${s.canary.sticky.name}` : "") : "-",
      s.canary?.auto ? `+${s.canary.auto.step}/${s.canary.auto.intervalSeconds}s` : "-",
      when(s.updatedAt),
    ]),
  );
}

export async function deployCommand(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...CONNECTION_OPTIONS, stage: { type: "string" }, canary: { type: "string" }, description: { type: "string" } },
  });
  const file = positionals[0];
  if (!file || !values.stage) throw new CliError("usage: portico deploy FILE --stage S [--canary P] [--description TEXT]", EXIT.usage);
  const canary = values.canary === undefined ? undefined : Number(values.canary);
  if (canary !== undefined && !(canary >= 0 && canary <= 100)) throw new CliError("--canary must be a percent between 0 and 100", EXIT.usage);
  const text = await readDefinitionFile(file);
  const client = clientFrom(values);
  const { status, body } = await withProgress(
    `deploying ${file} to ${values.stage}`,
    client.request<{ api: string; changed: boolean; stage: StageState; deployment: DeploymentRecord }>("POST", "/deployments", {
      definition: text,
      stage: values.stage,
      ...(values.description ? { description: values.description } : {}),
      ...(canary !== undefined ? { canary } : {}),
    }),
  );
  const what = canary !== undefined ? `as canary at ${canary}%` : "as stable";
  print(values, body, status === 201
    ? `deployed ${body.api} version ${shortId(body.deployment.id)} to ${body.stage.stage} ${what}\n\n${stageTable([body.stage])}`
    : `unchanged: ${body.stage.stage} already serves version ${shortId(body.deployment.id)} ${what}`);
  return EXIT.ok;
}

export async function stagesCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: CONNECTION_OPTIONS });
  const client = clientFrom(values);
  const api = await resolveApi(client, values);
  const { stages } = await client.get<{ stages: StageState[] }>(`/apis/${api}/stages`);
  print(values, stages, stages.length ? stageTable(stages) : `${api} has no stages`);
  return EXIT.ok;
}

export async function historyCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...CONNECTION_OPTIONS, stage: { type: "string" }, limit: { type: "string" } } });
  const client = clientFrom(values);
  const api = await resolveApi(client, values);
  const query = new URLSearchParams({ limit: values.limit ?? "20", ...(values.stage ? { stage: values.stage } : {}) });
  const { history } = await client.get<{ history: HistoryEntry[] }>(`/apis/${api}/history?${query}`);
  print(values, history, table(["#", "TIME", "STAGE", "ACTION", "VERSION", "DESCRIPTION"], history.map((h) => [h.seq, when(h.at), h.stage, h.action, shortId(h.deploymentId), h.description])));
  return EXIT.ok;
}

export async function rollbackCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...CONNECTION_OPTIONS, stage: { type: "string" }, to: { type: "string" } } });
  if (!values.stage) throw new CliError("usage: portico rollback --stage S [--to ID]", EXIT.usage);
  const client = clientFrom(values);
  const api = await resolveApi(client, values);
  const { body } = await withProgress(`rolling back ${values.stage}`, client.request<StageState>("POST", `/apis/${api}/stages/${values.stage}/rollback`, values.to ? { to: values.to } : {}));
  print(values, body, `${values.stage} now serves ${shortId(body.deploymentId)}\n\n${stageTable([body])}`);
  return EXIT.ok;
}

/** `diff A B`: each side a definition file or a deployment id (prefix) of the API. */
export async function diffCommand(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: CONNECTION_OPTIONS });
  if (positionals.length !== 2) throw new CliError("usage: portico diff A B   (each a definition file or a deployment id)", EXIT.usage);
  let client: AdminClient | undefined;
  let api: string | undefined;
  const load = async (ref: string): Promise<Bundle> => {
    if (existsSync(ref)) return (await compileFile(ref)).bundle;
    client ??= clientFrom(values);
    api ??= await resolveApi(client, values);
    return (await client.get<{ bundle: Bundle }>(`/apis/${api}/deployments/${ref}`)).bundle;
  };
  const [a, b] = await Promise.all([load(positionals[0]!), load(positionals[1]!)]);
  const result = diffRoutes(a, b);
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else {
    const lines = [...result.added.map((k) => `+ ${k}`), ...result.removed.map((k) => `- ${k}`), ...result.changed.map((k) => `~ ${k}`)];
    console.log(lines.length ? lines.join("\n") : "no route changes");
    if (result.settingsChanged.length) console.log(`\nalso changed: ${result.settingsChanged.join(", ")}`);
  }
  return EXIT.ok;
}

export function diffRoutes(a: Bundle, b: Bundle): { added: string[]; removed: string[]; changed: string[]; settingsChanged: string[] } {
  const byKey = (bundle: Bundle) => new Map<string, BundleRoute>(bundle.routes.map((r) => [r.key, r]));
  const before = byKey(a);
  const after = byKey(b);
  const added = [...after.keys()].filter((k) => !before.has(k));
  const removed = [...before.keys()].filter((k) => !after.has(k));
  const changed = [...after.keys()].filter((k) => before.has(k) && canonicalJson(before.get(k)) !== canonicalJson(after.get(k)));
  const sections = ["api", "settings", "stages", "domains", "cors", "models", "gatewayResponses", "authorizers", "resourcePolicy", "usagePlans"] as const;
  const settingsChanged = sections.filter((s) => canonicalJson(a[s]) !== canonicalJson(b[s]));
  return { added, removed, changed, settingsChanged };
}

