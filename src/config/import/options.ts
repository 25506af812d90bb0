/**
 * What an import needs that an export does not say: which Worker stands in for each Lambda function, which stages
 * to create and their variables, where a backend really is. Given as flags (`--lambda Name=BINDING`, `--stage`,
 * `--stage-variable`, `--backend`) or as a mapping file (YAML or JSON, the same fields), checked here with field
 * paths like a definition.
 */
import { checkDefinitionShape } from "../check.ts";
import type { FieldError } from "../field-errors.ts";
import type { SchemaNode } from "../schema.ts";
import type { Flavor } from "../types.ts";

export interface ImportOptions {
  /** The API's name (default: from the export's title). */
  name?: string;
  /** rest or http (default: detected from the export). */
  flavor?: Flavor;
  /** Stages to create (default: the export's stage, else `prod`). */
  stages?: string[];
  /** Stage variables, set on every stage. */
  stageVariables?: Record<string, string>;
  /** Lambda function (name, `name:alias`, ARN or template logical id) → service binding. */
  lambda?: Record<string, string>;
  /** Integration URI prefix → its replacement (a stand-in, an internal host). */
  backends?: Record<string, string>;
  /** VPC link id (`connectionId`) → service binding (Amazon's private integration). */
  vpcLinks?: Record<string, string>;
  /** JWT issuer → its JWKS URL (default `<issuer>/.well-known/jwks.json`). */
  jwks?: Record<string, string>;
  /** AWS_IAM routes: the access keys Portico verifies SigV4 against (access key id → Worker secret name). */
  sigv4?: { region?: string; credentials?: Record<string, string> };
  /**
   * AWS service integrations: the Worker secrets holding the access key Portico signs with (in place of Amazon's IAM
   * role; default AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), and an endpoint in place of AWS's (an emulator).
   */
  aws?: { credentials?: AwsSecrets; endpoint?: string };
  /** CloudFormation: the logical id of the API resource, when a template has several. */
  resource?: string;
  /** Values for `AWS::Region` and `AWS::AccountId` in templates (default us-east-1, 123456789012). */
  region?: string;
  accountId?: string;
}

/** Names of Worker secrets, never values. */
export interface AwsSecrets {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const SECRET_NAME: SchemaNode = { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$", description: "A Worker secret's name." };

const stringMap = (description: string): SchemaNode => ({ type: "object", description, additionalProperties: { type: "string", minLength: 1 } });

/** The mapping file's schema (the same fields as the flags). */
export const IMPORT_OPTIONS_SCHEMA: SchemaNode = {
  type: "object",
  additionalProperties: false,
  properties: {
    name: { type: "string", pattern: "^[a-z0-9][a-z0-9-]{0,62}$", description: "The API's name." },
    flavor: { enum: ["rest", "http"], description: "rest or http." },
    stages: { type: "array", items: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$" }, description: "Stages to create." },
    stageVariables: stringMap("Stage variables, on every stage."),
    lambda: stringMap("Lambda function → service binding."),
    backends: stringMap("Integration URI prefix → replacement."),
    vpcLinks: stringMap("VPC link id → service binding."),
    jwks: stringMap("JWT issuer → JWKS URL."),
    sigv4: {
      type: "object",
      additionalProperties: false,
      description: "SigV4 (AWS_IAM) verification.",
      properties: { region: { type: "string", pattern: "^[a-z0-9-]+$", description: "Region." }, credentials: stringMap("Access key id → secret name.") },
    },
    aws: {
      type: "object",
      additionalProperties: false,
      description: "AWS service integrations.",
      properties: {
        credentials: {
          type: "object",
          additionalProperties: false,
          required: ["accessKeyId", "secretAccessKey"],
          description: "The Worker secrets holding the access key to sign with.",
          properties: { accessKeyId: SECRET_NAME, secretAccessKey: SECRET_NAME, sessionToken: SECRET_NAME },
        },
        endpoint: { type: "string", minLength: 1, maxLength: 2048, description: "In place of AWS's endpoint (http(s), may use ${stageVariables.name})." },
      },
    },
    resource: { type: "string", description: "Template logical id of the API." },
    region: { type: "string", pattern: "^[a-z0-9-]+$", description: "AWS::Region." },
    accountId: { type: "string", pattern: "^[0-9]{12}$", description: "AWS::AccountId." },
  },
};

/** A parsed mapping file's value as options, or its errors with field paths. */
export function checkImportOptions(value: unknown): { options: ImportOptions; errors: FieldError[] } {
  const errors = checkDefinitionShape(value, IMPORT_OPTIONS_SCHEMA);
  const bindings = (field: "lambda" | "vpcLinks") => {
    const map = (value as ImportOptions | undefined)?.[field];
    if (map && typeof map === "object")
      for (const [key, binding] of Object.entries(map))
        if (typeof binding === "string" && !/^[A-Z_][A-Z0-9_]*$/.test(binding)) errors.push({ path: [field, key], message: `"${binding}" is not a binding name (A-Z, 0-9 and _)` });
  };
  bindings("lambda");
  bindings("vpcLinks");
  return { options: errors.length ? {} : (value as ImportOptions), errors };
}

/** Options given twice (file, then flags): flags win, maps merge. */
export function mergeImportOptions(base: ImportOptions, over: ImportOptions): ImportOptions {
  const merged: ImportOptions = { ...base, ...over };
  for (const key of ["stageVariables", "lambda", "backends", "vpcLinks", "jwks"] as const)
    if (base[key] || over[key]) merged[key] = { ...base[key], ...over[key] };
  if (base.sigv4 || over.sigv4)
    merged.sigv4 = { ...base.sigv4, ...over.sigv4, credentials: { ...base.sigv4?.credentials, ...over.sigv4?.credentials } };
  if (base.aws || over.aws) merged.aws = { ...base.aws, ...over.aws };
  return merged;
}
