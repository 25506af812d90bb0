/**
 * The import's options as flags, shared by `import` and by `validate`, `dev`, `deploy` and `build` (which take an
 * Amazon export directly): `--map FILE` (a mapping file, YAML or JSON) and the flags that override it.
 */
import { readFileSync } from "node:fs";
import { checkImportOptions, mergeImportOptions, parseExportText, type ImportOptions } from "../src/config/import/index.ts";
import { formatPath } from "../src/config/field-errors.ts";
import { CliError, EXIT } from "./errors.ts";

export const IMPORT_FLAGS = {
  map: { type: "string" },
  lambda: { type: "string", multiple: true },
  backend: { type: "string", multiple: true },
  "stage-variable": { type: "string", multiple: true },
  jwks: { type: "string", multiple: true },
  "vpc-link": { type: "string", multiple: true },
  "sigv4-key": { type: "string", multiple: true },
  "aws-secrets": { type: "string" },
  "aws-endpoint": { type: "string" },
  name: { type: "string" },
  flavor: { type: "string" },
  resource: { type: "string" },
} as const;

export const IMPORT_HELP = `Amazon exports (OpenAPI 3.0 / Swagger 2.0 with x-amazon-apigateway-* extensions, or a SAM/CloudFormation
template) are converted as \`portico import\` converts them (what is not carried over is listed):
  --map FILE                  a mapping file: lambda, backends, stages, stageVariables, jwks, vpcLinks, sigv4, aws
  --lambda NAME=BINDING       the service binding standing in for a Lambda function (name, alias or ARN)
  --backend FROM=TO           rewrite integration URIs starting with FROM (a stand-in, an internal host)
  --stage-variable NAME=VALUE set a stage variable on every stage
  --jwks ISSUER=URL           a JWT issuer's JWKS URL (default <issuer>/.well-known/jwks.json)
  --vpc-link ID=BINDING       the binding (connectionId) standing in for a VPC link
  --sigv4-key KEY_ID=SECRET   an access key AWS_IAM routes verify SigV4 against (secret: a Worker secret's name)
  --aws-secrets ID,KEY[,TOKEN] the Worker secrets AWS service integrations sign with, in place of Amazon's IAM role
                              (default AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY)
  --aws-endpoint URL          AWS service integrations call URL instead of AWS (an emulator; may use \${stageVariables.x})
  --name NAME                 the API's name (default: from the export's title)
  --flavor rest|http          override the detected flavour
  --resource LOGICAL_ID       the API resource, when a template has several`;

export type ImportFlagValues = {
  map?: string;
  lambda?: string[];
  backend?: string[];
  "stage-variable"?: string[];
  jwks?: string[];
  "vpc-link"?: string[];
  "sigv4-key"?: string[];
  "aws-secrets"?: string;
  "aws-endpoint"?: string;
  name?: string;
  flavor?: string;
  resource?: string;
};

function pairs(flag: string, list: string[] | undefined): Record<string, string> | undefined {
  if (!list?.length) return undefined;
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.lastIndexOf("=");
    // URLs contain "=" rarely and ":" often: split on the last "=" so FROM may hold one.
    if (eq <= 0 || eq === item.length - 1) throw new CliError(`--${flag} takes NAME=VALUE, got ${JSON.stringify(item)}`, EXIT.usage);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** The options the flags (over `--map`) give; `stages` are added by the command (`--stage`). */
export function importOptionsFrom(values: ImportFlagValues, stages?: string[]): ImportOptions {
  let base: ImportOptions = {};
  if (values.map) {
    let text: string;
    try {
      text = readFileSync(values.map, "utf8");
    } catch (err) {
      throw new CliError(`cannot read ${values.map}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
    }
    const parsed = parseExportText(text);
    const checked = parsed.errors.length ? { options: {}, errors: parsed.errors } : checkImportOptions(parsed.value ?? {});
    if (checked.errors.length)
      throw new CliError(`${values.map}: not a mapping file`, EXIT.usage, checked.errors.map((e) => ({ path: formatPath(e.path), message: e.message })));
    base = checked.options;
  }
  if (values.flavor !== undefined && values.flavor !== "rest" && values.flavor !== "http") throw new CliError("--flavor must be rest or http", EXIT.usage);
  const flags: ImportOptions = {};
  const set = <K extends keyof ImportOptions>(key: K, value: ImportOptions[K] | undefined) => {
    if (value !== undefined) flags[key] = value;
  };
  set("lambda", pairs("lambda", values.lambda));
  set("backends", pairs("backend", values.backend));
  set("stageVariables", pairs("stage-variable", values["stage-variable"]));
  set("jwks", pairs("jwks", values.jwks));
  set("vpcLinks", pairs("vpc-link", values["vpc-link"]));
  const keys = pairs("sigv4-key", values["sigv4-key"]);
  if (keys) flags.sigv4 = { credentials: keys };
  const aws = awsFlags(values["aws-secrets"], values["aws-endpoint"]);
  if (aws) flags.aws = aws;
  set("name", values.name);
  set("flavor", values.flavor as ImportOptions["flavor"]);
  set("resource", values.resource);
  if (stages?.length) flags.stages = stages;
  const options = mergeImportOptions(base, flags);
  const { errors } = checkImportOptions(options);
  if (errors.length) throw new CliError("invalid import options", EXIT.usage, errors.map((e) => ({ path: formatPath(e.path), message: e.message })));
  return options;
}

/** `--aws-secrets ID,KEY[,TOKEN]` and `--aws-endpoint URL` as the mapping file's `aws`. */
function awsFlags(secrets: string | undefined, endpoint: string | undefined): ImportOptions["aws"] | undefined {
  if (secrets === undefined && endpoint === undefined) return undefined;
  const out: NonNullable<ImportOptions["aws"]> = {};
  if (secrets !== undefined) {
    const names = secrets.split(",").map((n) => n.trim());
    if (names.length < 2 || names.length > 3 || names.some((n) => !n))
      throw new CliError(`--aws-secrets takes ACCESS_KEY_ID_SECRET,SECRET_ACCESS_KEY_SECRET[,SESSION_TOKEN_SECRET], got ${JSON.stringify(secrets)}`, EXIT.usage);
    out.credentials = { accessKeyId: names[0]!, secretAccessKey: names[1]!, ...(names[2] ? { sessionToken: names[2] } : {}) };
  }
  if (endpoint !== undefined) out.endpoint = endpoint;
  return out;
}
