/**
 * `portico deploy FILE --stage S`: publish a definition as a version and point the stage (or its canary) at it.
 * Before anything is sent: the definition and what it names in the environment are checked (as `validate` does,
 * for the target stage), and the server is asked what it serves — a deploy it would not serve is refused with
 * the reason on a `portico dev` server (the stage is served from the file, or the host serves another API), and
 * warned about on any other.
 */
import { parseArgs } from "node:util";
import type { ServerFacts } from "../../src/admin/server-facts.ts";
import type { CompiledDefinition } from "../../src/config/compile.ts";
import { compileDefinition } from "../../src/config/compile.ts";
import type { DeploymentRecord, StageState } from "../../src/deploy/types.ts";
import { isStage, shaped } from "../client.ts";
import { CONNECTION_HELP, type Command } from "../command.ts";
import { definitionError, formatErrors } from "../definition-file.ts";
import { IMPORT_FLAGS, IMPORT_HELP, importOptionsFrom } from "../import-options.ts";
import { checkDefinitionFile, environmentFor } from "../environment/index.ts";
import { CliError, EXIT } from "../errors.ts";
import { shortId } from "../output.ts";
import { withProgress } from "../progress.ts";
import { clientFrom, CONNECTION_OPTIONS, print, serverFacts } from "./connection.ts";
import { stageTable } from "./stage-table.ts";

const USAGE = `usage: portico deploy FILE --stage S [--canary P] [--description TEXT] [--secrets NAMES] [--config PATH] [--skip-env-check] [export options]

Publishes FILE (a definition, or an Amazon export or template converted as \`portico import\` converts it, with
stage S) as an immutable version and points stage S at it (or, with --canary, sends P percent of S's
traffic to it). FILE is checked first, as \`portico validate\` checks it, for stage S: service bindings against the
wrangler config, secrets against --secrets (or .dev.vars for a local server; else a warning names each secret
the Worker must have), stage variables S does not define. A \`portico dev\` server that would not serve the
version (S is served from its file, or its host serves another API) refuses it and says why.

options:
  --stage S           the stage (required)
  --canary P          deploy as S's canary at P percent (0-100, two decimals)
  --description TEXT  why, for the history
  --secrets NAMES     comma-separated secret names the Worker has (e.g. from \`wrangler secret list\`)
  --config PATH       the gateway's wrangler config (default: the nearest wrangler.toml above FILE)
  --skip-env-check    do not check bindings, secrets and stage variables

${IMPORT_HELP}

${CONNECTION_HELP}`;

export const deployCommand: Command = {
  name: "deploy",
  synopsis: "deploy FILE --stage S [--canary P]",
  summary: "publish FILE as a version and point the stage (or its canary) at it",
  usage: USAGE,
  group: "deployments",
  async run(args) {
    const { positionals, values } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        ...CONNECTION_OPTIONS,
        stage: { type: "string" },
        canary: { type: "string" },
        description: { type: "string" },
        secrets: { type: "string" },
        config: { type: "string" },
        "skip-env-check": { type: "boolean" },
        ...IMPORT_FLAGS,
      },
    });
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new CliError("deploy takes one FILE (portico deploy --help)", EXIT.usage);
    if (!values.stage) throw new CliError("deploy needs --stage S (portico deploy --help)", EXIT.usage);
    const canary = values.canary === undefined ? undefined : Number(values.canary);
    if (canary !== undefined && !(canary >= 0 && canary <= 100)) throw new CliError("--canary must be a percent between 0 and 100 (portico deploy --help)", EXIT.usage);
    const client = clientFrom(values);

    const environment = values["skip-env-check"] ? null : environmentFor(file, { config: values.config, secrets: values.secrets, remote: !client.isLocal });
    // A server on this machine (portico dev) allows local backends; the server checks again under its own rules.
    // An export is converted with S as its stage (unless --map names the stages).
    const importOptions = importOptionsFrom(values);
    if (!importOptions.stages) importOptions.stages = [values.stage];
    const report = await checkDefinitionFile(file, environment, { stage: values.stage, canary: canary !== undefined, localDev: client.isLocal, importOptions });
    // Warnings go to stderr either way (stdout stays the one result or error document).
    if (report.warnings.length) console.error(formatErrors(file, [], report.warnings));
    if (report.errors.length) throw definitionError(file, report.errors);
    const compiled = await compileDefinition(report.value, { localDev: client.isLocal });
    if (!Object.hasOwn(compiled.bundle.stages, values.stage))
      throw new CliError(`${file} has no stage ${values.stage} (it has ${Object.keys(compiled.bundle.stages).join(", ")})`, EXIT.refused);

    const facts = await serverFacts(client);
    const unserved = facts && wouldNotServe(facts, compiled, values.stage, file);
    if (unserved && facts.dev) throw new CliError(`refused: ${unserved}`, EXIT.refused);
    if (unserved) console.error(`warning: ${unserved}`);

    const text = report.text;
    const { status, body: answer } = await withProgress(
      `deploying ${file} to ${values.stage}`,
      client.request("POST", "/deployments", {
        definition: text,
        stage: values.stage,
        ...(values.description ? { description: values.description } : {}),
        ...(canary !== undefined ? { canary } : {}),
      }),
    );
    const body = shaped<{ api: string; changed: boolean; stage: StageState; deployment: DeploymentRecord }>(
      answer,
      (b) => typeof b.api === "string" && !!b.stage && isStage(b.stage as Record<string, unknown>) && typeof (b.deployment as { id?: unknown })?.id === "string",
      "a deployment",
    );
    const what = canary !== undefined ? `as canary at ${canary}%` : "as stable";
    print(values, body, status === 201
      ? `deployed ${body.api} version ${shortId(body.deployment.id)} to ${body.stage.stage} ${what}\n\n${stageTable([body.stage])}`
      : `unchanged: ${body.stage.stage} already serves version ${shortId(body.deployment.id)} ${what}`);
    return EXIT.ok;
  },
};

/** Why this server would not serve `stage` of the compiled definition once published; undefined when it would. */
export function wouldNotServe(facts: ServerFacts, compiled: CompiledDefinition, stage: string, file: string): string | undefined {
  const api = compiled.bundle.api.name;
  const dev = facts.dev;
  // The file's API, or one embedded beside it (`portico dev --with`): both are served from their files.
  const embedded = [facts.embedded, ...(facts.others ?? [])].find((e) => e.api === api);
  if (dev && embedded?.stages.includes(stage) && dev.published !== "all" && !dev.published.includes(stage))
    return `this portico dev server serves stage ${stage} of ${api} from ${embedded === facts.embedded ? dev.file : "its --with file"}, so a published version would not be served; ` +
      `restart it with --published ${stage} to serve published versions of ${stage}`;
  const mapped = compiled.bundle.domains.some((d) => d.stage === stage);
  if (api !== facts.defaultApi && !mapped)
    return `this server serves API ${facts.defaultApi} on its host names, and ${api} maps no custom domain to stage ${stage}, so nothing would reach it` +
      (dev ? `; to serve it locally: portico dev ${file}` : "");
  return undefined;
}
