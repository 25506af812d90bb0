/** `portico stages | history | rollback | diff`: what is deployed, and moving stages between versions. */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { canonicalJson, type Bundle, type BundleRoute } from "../../src/config/bundle.ts";
import type { HistoryEntry, StageState } from "../../src/deploy/types.ts";
import type { ServerFacts } from "../../src/admin/server-facts.ts";
import { AdminClient, isStage, listIn, shaped } from "../client.ts";
import { CONNECTION_HELP, type Command } from "../command.ts";
import { compileFile } from "../definition-file.ts";
import { CliError, EXIT } from "../errors.ts";
import { listing, shortId, table, when } from "../output.ts";
import { withProgress } from "../progress.ts";
import { clientFrom, CONNECTION_OPTIONS, print, resolveApi, serverFacts } from "./connection.ts";
import { servedNotes, servedStages, servedTable, stageTable } from "./stage-table.ts";

/** The API's published stages; none when the Registry has never heard of it. */
async function publishedStages(client: AdminClient, api: string): Promise<StageState[]> {
  try {
    return listIn<StageState>(await client.get(`/apis/${api}/stages`), "stages", "stage");
  } catch (err) {
    if (err instanceof CliError && err.exitCode === EXIT.refused && /has been deployed/.test(err.message)) return [];
    throw err;
  }
}

export const stagesCommand: Command = {
  name: "stages",
  synopsis: "stages",
  summary: "stages, what serves each (the file, the embedded bundle, a version), canaries",
  usage: `usage: portico stages [--api NAME] [--json]

Lists every stage of the API and what serves it: "published" (a version deployed to the stage), "embedded" (the
bundle compiled into the Worker, before anything is published) or "file" (portico dev's definition file, which it
serves over anything published unless started with --published). --json: one object per stage with
{stage, servedFrom, deploymentId, canary, updatedAt, published}.

${CONNECTION_HELP}`,
  group: "deployments",
  async run(args) {
    const { values } = parseArgs({ args, options: CONNECTION_OPTIONS });
    const client = clientFrom(values);
    const facts = await serverFacts(client);
    const api = await resolveApi(client, values, facts);
    const rows = servedStages(api, await publishedStages(client, api), facts);
    if (!rows.length) throw new CliError(`API ${api} has no stages on this server`, EXIT.refused);
    print(values, rows, [servedTable(rows), ...servedNotes(rows, facts)].join("\n"));
    return EXIT.ok;
  },
};

export const historyCommand: Command = {
  name: "history",
  synopsis: "history [--stage S]",
  summary: "what was deployed, rolled back and promoted, newest first",
  usage: `usage: portico history [--stage S] [--limit N] [--api NAME] [--json]

What was deployed, rolled back, promoted and stepped, newest first. Before any deploy it says what serves the
stages instead (the embedded bundle, or portico dev's file).

${CONNECTION_HELP}`,
  group: "deployments",
  async run(args) {
    const { values } = parseArgs({ args, options: { ...CONNECTION_OPTIONS, stage: { type: "string" }, limit: { type: "string" } } });
    if (values.limit !== undefined && !/^\d+$/.test(values.limit)) throw new CliError("--limit must be a whole number (portico history --help)", EXIT.usage);
    const client = clientFrom(values);
    const facts = await serverFacts(client);
    const api = await resolveApi(client, values, facts);
    const query = new URLSearchParams({ limit: values.limit ?? "20", ...(values.stage ? { stage: values.stage } : {}) });
    let history: HistoryEntry[];
    try {
      history = listIn<HistoryEntry>(await client.get(`/apis/${api}/history?${query}`), "history", "history");
    } catch (err) {
      if (!(err instanceof CliError && err.exitCode === EXIT.refused && /has been deployed/.test(err.message))) throw err;
      print(values, [], `no deployments of ${api} yet${unpublishedServing(api, facts)}`);
      return EXIT.ok;
    }
    const rows = history.map((h) => [h.seq, when(h.at), h.stage, h.action, shortId(h.deploymentId), h.description]);
    const notes = facts?.dev && facts.embedded.api === api ? servedNotes(servedStages(api, [], facts), facts) : [];
    print(values, history, [history.length ? table(["#", "TIME", "STAGE", "ACTION", "VERSION", "DESCRIPTION"], rows) : `no history${values.stage ? ` for ${values.stage}` : ""}`, ...notes].join("\n"));
    return EXIT.ok;
  },
};

/** ": stages a, b serve <source> (version X)" when the server serves the API unpublished. */
function unpublishedServing(api: string, facts: ServerFacts | null): string {
  if (!facts || facts.embedded.api !== api) return "";
  const source = facts.dev ? `the file ${facts.dev.file}` : "the embedded bundle";
  const stages = [...facts.embedded.stages].sort();
  return `: ${stages.length > 1 ? "stages" : "stage"} ${listing(stages)} ${stages.length > 1 ? "serve" : "serves"} ${source} (version ${shortId(facts.embedded.version)})`;
}

export const rollbackCommand: Command = {
  name: "rollback",
  synopsis: "rollback --stage S [--to ID]",
  summary: "point the stage back at the previous version (or at ID)",
  usage: `usage: portico rollback --stage S [--to ID] [--api NAME] [--json]

Points stage S back at the stable version it served before the current one (or at version ID: an id or a unique
prefix of at least 6 characters). Removes any canary. Rolling back twice returns to where you started.

${CONNECTION_HELP}`,
  group: "deployments",
  async run(args) {
    const { values } = parseArgs({ args, options: { ...CONNECTION_OPTIONS, stage: { type: "string" }, to: { type: "string" } } });
    if (!values.stage) throw new CliError("rollback needs --stage S (portico rollback --help)", EXIT.usage);
    const client = clientFrom(values);
    const api = await resolveApi(client, values);
    const { body: answer } = await withProgress(`rolling back ${values.stage}`, client.request("POST", `/apis/${api}/stages/${values.stage}/rollback`, values.to ? { to: values.to } : {}));
    const body = shaped<StageState>(answer, isStage, "a stage");
    print(values, body, `${values.stage} now serves ${shortId(body.deploymentId)}\n\n${stageTable([body])}`);
    return EXIT.ok;
  },
};

/** A deployment id or unique prefix: hex, at least 6 characters. Anything else is a file. */
const DEPLOYMENT_ID = /^[0-9a-f]{6,64}$/;

export const diffCommand: Command = {
  name: "diff",
  synopsis: "diff A B",
  summary: "what changed between two versions (files or deployment ids)",
  usage: `usage: portico diff A B [--json]

Compares two versions of an API; each of A and B is a definition file or a published deployment id (or a unique
prefix of at least 6 hex characters). Prints routes added (+), removed (-) and changed (~), then the other
sections that differ: api, settings, stages, domains, cors, models, gatewayResponses, authorizers, resourcePolicy
and usagePlans. A name that is neither an existing file nor an id is a file that cannot be read (exit 2).

${CONNECTION_HELP}`,
  group: "deployments",
  async run(args) {
    const { positionals, values } = parseArgs({ args, allowPositionals: true, options: CONNECTION_OPTIONS });
    if (positionals.length !== 2) throw new CliError("diff takes two arguments, A and B, each a definition file or a deployment id (portico diff --help)", EXIT.usage);
    let client: AdminClient | undefined;
    let api: string | undefined;
    const load = async (ref: string): Promise<Bundle> => {
      if (existsSync(ref) || !DEPLOYMENT_ID.test(ref)) return (await compileFile(ref)).bundle;
      client ??= clientFrom(values);
      api ??= await resolveApi(client, values);
      const { bundle } = await client.get<{ bundle?: Bundle }>(`/apis/${api}/deployments/${ref}`);
      if (!bundle || !Array.isArray(bundle.routes)) throw new CliError(`the server's answer for deployment ${ref} has no bundle: is it a Portico Worker?`, EXIT.unreachable);
      return bundle;
    };
    const a = await load(positionals[0]!);
    const b = await load(positionals[1]!);
    const result = diffRoutes(a, b);
    if (values.json) console.log(JSON.stringify(result, null, 2));
    else {
      const lines = [...result.added.map((k) => `+ ${k}`), ...result.removed.map((k) => `- ${k}`), ...result.changed.map((k) => `~ ${k}`)];
      console.log(lines.length ? lines.join("\n") : "no route changes");
      if (result.settingsChanged.length) console.log(`\nalso changed: ${result.settingsChanged.join(", ")}`);
    }
    return EXIT.ok;
  },
};

/** The sections besides routes that `diff` compares, in this order. */
export const DIFF_SECTIONS = ["api", "settings", "stages", "domains", "cors", "models", "gatewayResponses", "authorizers", "resourcePolicy", "usagePlans"] as const;

export function diffRoutes(a: Bundle, b: Bundle): { added: string[]; removed: string[]; changed: string[]; settingsChanged: string[] } {
  const byKey = (bundle: Bundle) => new Map<string, BundleRoute>(bundle.routes.map((r) => [r.key, r]));
  const before = byKey(a);
  const after = byKey(b);
  const added = [...after.keys()].filter((k) => !before.has(k));
  const removed = [...before.keys()].filter((k) => !after.has(k));
  const changed = [...after.keys()].filter((k) => before.has(k) && canonicalJson(before.get(k)) !== canonicalJson(after.get(k)));
  const settingsChanged = DIFF_SECTIONS.filter((s) => canonicalJson(a[s]) !== canonicalJson(b[s]));
  return { added, removed, changed, settingsChanged };
}
