/** A definition checked whole: its own errors, then what it names in the Worker's environment (check.ts). */
import type { CompileOptions } from "../../src/config/compile.ts";
import type { ImportOptions } from "../../src/config/import/index.ts";
import type { FieldError } from "../../src/config/field-errors.ts";
import { checkFile, inDocumentOrder } from "../definition-file.ts";
import { checkEnvironment, type CheckOptions, type Environment } from "./check.ts";
import { readLocalSecrets } from "./dev-vars.ts";
import { findWranglerConfig, readWranglerConfig } from "./wrangler-config.ts";

export interface EnvironmentOptions {
  /** `--config`: the gateway's wrangler config. */
  config?: string;
  /** `--secrets A,B`: the secret names the Worker has (production). */
  secrets?: string;
  /** The Worker is not this machine: local `.dev.vars` says nothing about its secrets. */
  remote?: boolean;
}

export function environmentFor(file: string | undefined, options: EnvironmentOptions): Environment {
  const configPath = findWranglerConfig(file, options.config);
  const config = readWranglerConfig(configPath);
  if (options.secrets !== undefined)
    return { config, secrets: { kind: "list", names: new Set(options.secrets.split(",").map((s) => s.trim()).filter(Boolean)) } };
  return { config, secrets: options.remote ? { kind: "unchecked" } : { kind: "local", local: readLocalSecrets(configPath) } };
}

export interface FileReport {
  value: unknown;
  errors: FieldError[];
  warnings: FieldError[];
  environment: Environment | null;
  /** The definition as text (an export's converted definition): what a deploy publishes. */
  text: string;
  /** Set when the file was an Amazon export or template, converted on the fly. */
  imported: boolean;
}

/**
 * Every error and warning in `file`, in document order. `environment: null` skips the environment checks
 * (`--skip-env-check`); a file that does not parse gets none either.
 */
export async function checkDefinitionFile(file: string, environment: Environment | null, options: CheckOptions & CompileOptions & { importOptions?: ImportOptions } = {}): Promise<FileReport> {
  const { value, errors, warnings, locate, text, kind } = await checkFile(file, { localDev: options.localDev ?? false }, options.importOptions);
  const imported = kind !== null;
  if (!environment || value === undefined) return { value, errors, warnings, environment, text, imported };
  // An export's errors are at its own JSON paths: the environment's are placed there too.
  const env = checkEnvironment(value, environment, options);
  const at = (list: FieldError[]) => list.map((e) => ({ path: locate(e.path), message: e.message }));
  if (imported) return { value, errors: [...errors, ...at(env.errors)], warnings: [...warnings, ...at(env.warnings)], environment, text, imported };
  return { value, errors: inDocumentOrder(value, [...errors, ...env.errors]), warnings: inDocumentOrder(value, [...warnings, ...env.warnings]), environment, text, imported };
}

export type { Environment } from "./check.ts";
