/** `portico validate FILE`: every error in a definition and in what it names in the environment, as field paths. */
import { parseArgs } from "node:util";
import { formatPath } from "../../src/config/field-errors.ts";
import type { Command } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import { formatErrors } from "../definition-file.ts";
import { checkDefinitionFile, environmentFor } from "../environment/index.ts";
import { shown } from "../paths.ts";
import { IMPORT_FLAGS, IMPORT_HELP, importOptionsFrom } from "../import-options.ts";

const USAGE = `usage: portico validate FILE [--config WRANGLER_CONFIG] [--secrets NAMES] [--local-dev] [--skip-env-check] [export options] [--json]

Checks a definition (YAML or JSON) and prints every error as \`field.path: message\`, then checks what it names in
the Worker's environment:
  service bindings, queues, R2 buckets   against the wrangler config (--config; default: the nearest
                                         wrangler.toml above FILE, else above the working directory)
  secrets                                against .dev.vars beside that config (.dev.vars.example as a hint),
                                         or against --secrets A,B (e.g. the names \`wrangler secret list\` shows)
  stage variables                        used in templates but defined in no stage: error; missing in some
                                         stages: warning (a canary's overrides may set them)

options:
  --config PATH       the gateway Worker's wrangler config
  --secrets NAMES     comma-separated secret names the Worker has (instead of .dev.vars)
  --local-dev         check as \`portico dev\` serves it (a Worker with PORTICO_LOCAL_DEV): loopback and private
                      backends and http:// identity providers allowed
  --skip-env-check    check the definition only
  --json              {"file", "valid", "errors": [{"path", "message"}], "warnings": [...]} on stdout

${IMPORT_HELP}
  --stage NAME                the stages to create (repeatable; default: the export's)

exit: 0 valid (warnings allowed), 1 errors (for an export: also what would serve wrongly), 2 unreadable file or
bad arguments`;

export const validate: Command = {
  name: "validate",
  synopsis: "validate FILE",
  summary: "check a definition and the bindings, secrets and stage variables it names",
  usage: USAGE,
  group: "local",
  async run(args) {
    const { positionals, values } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        json: { type: "boolean" },
        config: { type: "string" },
        secrets: { type: "string" },
        "local-dev": { type: "boolean" },
        "skip-env-check": { type: "boolean" },
        stage: { type: "string", multiple: true },
        ...IMPORT_FLAGS,
      },
    });
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new CliError("validate takes one FILE (portico validate --help)", EXIT.usage);
    const environment = values["skip-env-check"] ? null : environmentFor(file, { config: values.config, secrets: values.secrets });
    const importOptions = importOptionsFrom(values, values.stage);
    const { errors, warnings, imported } = await checkDefinitionFile(file, environment, { localDev: values["local-dev"] ?? false, importOptions });
    if (values.json) {
      const fields = (list: typeof errors) => list.map((e) => ({ path: formatPath(e.path), message: e.message }));
      console.log(JSON.stringify({ file, valid: errors.length === 0, ...(imported ? { imported: true } : {}), errors: fields(errors), warnings: fields(warnings), config: environment ? shown(environment.config.path) : null }, null, 2));
    } else if (errors.length || warnings.length) console.error(formatErrors(file, errors, warnings));
    else console.log(`${file}: valid`);
    return errors.length ? EXIT.refused : EXIT.ok;
  },
};
