/**
 * `portico export FILE [-o out.json]`: a Portico definition as an OpenAPI 3.0 document with Amazon's
 * `x-amazon-apigateway-*` extensions (what Amazon API Gateway imports), plus `x-portico` objects for what those
 * cannot say; `portico import` reads it back to the same API.
 */
import { writeFile } from "node:fs/promises";
import { extname } from "node:path";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { exportApi } from "../../src/config/export/index.ts";
import type { ApiDefinition } from "../../src/config/types.ts";
import type { Command } from "../command.ts";
import { checkFile, definitionError } from "../definition-file.ts";
import { CliError, EXIT } from "../errors.ts";
import { formatPath } from "../../src/config/field-errors.ts";

const USAGE = `usage: portico export FILE [-o OUT] [--format oas30]

Writes the definition FILE as an OpenAPI 3.0 document with Amazon API Gateway's extensions: routes as paths and
methods (ANY as x-amazon-apigateway-any-method, $default as an HTTP API's default route), integrations as
x-amazon-apigateway-integration (service bindings as Lambda functions of the same name), authorizers as security
schemes with x-amazon-apigateway-authorizer, models as components.schemas, validation as request validators, and
gateway responses, binary media types, the API key source, CORS and the resource policy as their extensions.
AWS service integrations are Amazon's AWS integrations (REST: the ARN; HTTP APIs: the integration subtype), private
integrations and response streaming use Amazon's connectionType, connectionId and responseTransferMode.
What Amazon has no field for (stages and their variables, throttles, the cache, usage plans, domains, the secrets
an aws integration signs with and its endpoint, Portico-only settings) is kept in \`x-portico\` objects, so
\`portico import\` reads the export back to the same API. queue, r2 and workflow integrations (Cloudflare bindings)
have no Amazon integration: they are written in x-portico only, with a warning.

options:
  -o, --output OUT   write to OUT (.json, .yaml or .yml; default: JSON on stdout)
  --format oas30     the only format (OpenAPI 3.0.1)

A WebSocket API (flavor: websocket) is refused: Amazon exports and imports no WebSocket API as OpenAPI.

exit: 0 written, 1 FILE is not a valid definition, 2 bad arguments, an unreadable file or a WebSocket API`;

export const exportCommand: Command = {
  name: "export",
  synopsis: "export FILE [-o OUT]",
  summary: "write a definition as OpenAPI 3.0 with Amazon's x-amazon-apigateway-* extensions",
  usage: USAGE,
  group: "local",
  async run(args) {
    const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { output: { type: "string", short: "o" }, format: { type: "string" }, json: { type: "boolean" } } });
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new CliError("export takes one FILE (portico export --help)", EXIT.usage);
    if (values.format !== undefined && values.format !== "oas30") throw new CliError(`--format ${values.format}: only oas30 is written`, EXIT.usage);
    const output = values.output;
    if (output && ![".yaml", ".yml", ".json"].includes(extname(output).toLowerCase())) throw new CliError(`-o ${output}: name a .json, .yaml or .yml file`, EXIT.usage);
    const checked = await checkFile(file, { localDev: true });
    if (checked.errors.length) throw definitionError(file, checked.errors);
    const definition = checked.value as ApiDefinition;
    if (definition.flavor === "websocket") throw new CliError(`${file}: a WebSocket API (flavor: websocket) cannot be exported: Amazon's OpenAPI exports and extensions describe REST and HTTP APIs only`, EXIT.usage);
    const doc = exportApi(definition);
    // Cloudflare's own kinds have no Amazon integration: portico import reads them back, Amazon's import would not.
    for (const [key, route] of Object.entries(definition.routes))
      if (route.integration.type === "queue" || route.integration.type === "r2" || route.integration.type === "workflow")
        console.error(`warning: ${formatPath(["routes", key, "integration"])}: a ${route.integration.type} integration (a Cloudflare binding) has no Amazon equivalent: written in x-portico only, so Amazon API Gateway would refuse to import this method`);
    const text = output && extname(output).toLowerCase() !== ".json" ? stringify(doc, { lineWidth: 0 }) : JSON.stringify(doc, null, 2) + "\n";
    if (output) {
      await writeFile(output, text);
      console.error(`${file}: exported as OpenAPI 3.0 to ${output}`);
    } else process.stdout.write(text);
    return EXIT.ok;
  },
};
