/**
 * `portico import FILE [-o api.yaml]`: an Amazon API Gateway export (OpenAPI 3.0 or Swagger 2.0, REST or HTTP API,
 * with Amazon's extensions) or the API in a SAM/CloudFormation template → a Portico definition. Everything not
 * carried over is listed with its JSON path; the exit code is 1 only when the result would serve wrongly.
 */
import { writeFile } from "node:fs/promises";
import { extname } from "node:path";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { checkImport, formatIssue, importApi, parseExportText, type ImportIssue } from "../../src/config/import/index.ts";
import { formatPath } from "../../src/config/field-errors.ts";
import type { Command } from "../command.ts";
import { readDefinitionFile } from "../definition-file.ts";
import { CliError, EXIT } from "../errors.ts";
import { IMPORT_FLAGS, IMPORT_HELP, importOptionsFrom } from "../import-options.ts";
import { withProgress } from "../progress.ts";

const USAGE = `usage: portico import FILE [-o OUT] [--stage NAME ...] [--lambda NAME=BINDING ...] [--map FILE] [options] [--json]

Converts FILE — an Amazon API Gateway export (\`aws apigateway get-export --export-type oas30|swagger\`, or an HTTP
API's \`aws apigatewayv2 export-api\`), or a SAM/CloudFormation template whose RestApi, ApiGatewayV2 Api,
Serverless::Api or Serverless::HttpApi holds the definition — into a Portico definition. Mapping templates,
integration responses, parameter mappings, authorizers, request validators, models, gateway responses, CORS,
binary media types and resource policies are carried with Amazon's field names. Lambda functions become service
bindings (--lambda, else one named after the function).

Everything that is not carried over is listed with its JSON path, as an error when the result would serve wrongly
— a route whose integration, authorization or validation cannot be carried (it is left out, never served
unprotected), a private API, a definition that does not compile — and as a warning otherwise. The definition is
written either way, so it can be finished by hand; \`portico validate\`, \`dev\` and \`deploy\` also take FILE as it is.

options:
  -o, --output OUT            write the definition to OUT (.yaml, .yml or .json; default: YAML on stdout)
  --stage NAME                the stages to create (repeatable; default: the export's stage, else prod)
${IMPORT_HELP}
  --json                      {"file", "kind", "output", "routes", "issues": [{"path", "message", "severity"}],
                              "definition"?} on stdout (the definition too when there is no -o)

exit: 0 imported (warnings allowed), 1 the result would serve wrongly (see the errors), 2 unreadable or not an
export, bad arguments`;

export const importCommand: Command = {
  name: "import",
  synopsis: "import FILE [-o OUT]",
  summary: "convert an Amazon API Gateway export or SAM/CloudFormation template into a definition",
  usage: USAGE,
  group: "local",
  async run(args) {
    const { positionals, values } = parseArgs({
      args,
      allowPositionals: true,
      options: { json: { type: "boolean" }, output: { type: "string", short: "o" }, stage: { type: "string", multiple: true }, ...IMPORT_FLAGS },
    });
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new CliError("import takes one FILE (portico import --help)", EXIT.usage);
    const options = importOptionsFrom(values, values.stage);
    const output = values.output;
    if (output && ![".yaml", ".yml", ".json"].includes(extname(output).toLowerCase())) throw new CliError(`-o ${output}: name a .yaml, .yml or .json file`, EXIT.usage);

    const result = await withProgress(`importing ${file}`, async (progress) => {
      progress.step("reading");
      const parsed = parseExportText(await readDefinitionFile(file));
      if (parsed.errors.length) throw new CliError(`${file}: cannot be read`, EXIT.usage, parsed.errors.map((e) => ({ path: formatPath(e.path), message: e.message })));
      progress.step("converting");
      const imported = importApi(parsed.value, options);
      if (!imported.kind) throw new CliError(`${file}: not an OpenAPI 3.0 or Swagger 2.0 document, nor a CloudFormation or SAM template`, EXIT.usage);
      progress.count(Object.keys(imported.definition?.routes ?? {}).length);
      progress.step("checking the definition");
      const checked = checkImport(imported, { localDev: true });
      return { imported, checked };
    });

    const { imported, checked } = result;
    const definition = imported.definition;
    // The import's own issues, then the converted definition's errors (already at source paths).
    const compileErrors = checked.errors.slice(imported.issues.filter((i) => i.severity === "error").length);
    const issues: ImportIssue[] = [...imported.issues, ...compileErrors.map((e) => ({ ...e, severity: "error" as const }))];
    const errors = issues.filter((i) => i.severity === "error");
    if (definition && output) {
      const text = extname(output).toLowerCase() === ".json" ? JSON.stringify(definition, null, 2) + "\n" : header(file, issues) + stringify(definition, { lineWidth: 0 });
      await writeFile(output, text);
    }
    const routes = Object.keys(definition?.routes ?? {}).length;
    if (values.json) {
      console.log(JSON.stringify({ file, kind: imported.kind, output: output ?? null, routes, issues: issues.map((i) => ({ path: formatPath(i.path), message: i.message, severity: i.severity })), ...(output || !definition ? {} : { definition }) }, null, 2));
    } else {
      if (definition && !output) process.stdout.write(header(file, issues) + stringify(definition, { lineWidth: 0 }));
      console.error(summary(file, imported.kind!, routes, issues, output));
    }
    return errors.length || !definition ? EXIT.refused : EXIT.ok;
  },
};

function header(file: string, issues: ImportIssue[]): string {
  const note = issues.length ? `; ${issues.length} item${issues.length === 1 ? "" : "s"} not carried over (portico import ${file} lists them)` : "";
  return `# Imported from ${file} by portico import${note}.\n`;
}

function summary(file: string, kind: string, routes: number, issues: ImportIssue[], output: string | undefined): string {
  const errors = issues.filter((i) => i.severity === "error");
  const where = output ? ` into ${output}` : "";
  const head = `${file}: ${kind} imported${where}: ${routes} route${routes === 1 ? "" : "s"}` +
    (issues.length ? `; not carried over: ${issues.length} (${errors.length} that would serve wrongly)` : "; everything carried over");
  // What would serve wrongly first, then the rest, each in the order the import met it.
  const ordered = [...errors, ...issues.filter((i) => i.severity !== "error")];
  const lines = ordered.map((i) => `  ${i.severity === "error" ? "error: " : "warning: "}${formatIssue(i)}`);
  return [head, ...lines, ...(errors.length ? [`${file}: exit 1: the result would serve wrongly until the errors above are fixed`] : [])].join("\n");
}

