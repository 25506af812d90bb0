/** A definition checked whole: its own errors, then what it names in the Worker's environment (check.ts). */
import type { CompileOptions } from "../../src/config/compile.ts";
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
}

/**
 * Every error and warning in `file`, in document order. `environment: null` skips the environment checks
 * (`--skip-env-check`); a file that does not parse gets none either.
 */
export async function checkDefinitionFile(file: string, environment: Environment | null, options: CheckOptions & CompileOptions = {}): Promise<FileReport> {
  const { value, errors, warnings } = await checkFile(file, { localDev: options.localDev ?? false });
  if (!environment || value === undefined) return { value, errors, warnings, environment };
  const env = checkEnvironment(value, environment, options);
  return { value, errors: inDocumentOrder(value, [...errors, ...env.errors]), warnings: inDocumentOrder(value, [...warnings, ...env.warnings]), environment };
}

export type { Environment } from "./check.ts";
