/**
 * The gateway Worker's wrangler config, read for what a definition may name: service bindings, Workers VPC service
 * bindings, queue producers, R2 buckets, Workflows, KV namespaces and vars. TOML (`wrangler.toml`, with smol-toml) or JSON (`wrangler.json`).
 *
 * Which config: `--config`, else the nearest `wrangler.toml` / `wrangler.json` from the definition's directory
 * up, else from the working directory up, else Portico's own (the example's). `portico dev` runs the same one.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse as parseToml } from "smol-toml";
import { CliError, EXIT } from "../errors.ts";
import { findUp, PROJECT_ROOT } from "../paths.ts";

export const CONFIG_NAMES = ["wrangler.toml", "wrangler.json"] as const;

/** The parts of a wrangler config Portico reads; the rest is kept as is (`raw`) for `portico dev`. */
export interface WranglerConfig {
  path: string;
  raw: Record<string, unknown>;
  name: string | undefined;
  services: string[];
  /** Workers VPC service bindings (`[[vpc_services]]`): what a private integration may name besides a service. */
  vpcServices: string[];
  queues: string[];
  buckets: string[];
  workflows: string[];
  kvNamespaces: string[];
  vars: string[];
}

export function findWranglerConfig(definitionFile: string | undefined, explicit?: string): string {
  if (explicit) return explicit;
  return (definitionFile && findUp(dirname(definitionFile), CONFIG_NAMES)) ?? findUp(process.cwd(), CONFIG_NAMES) ?? join(PROJECT_ROOT, "wrangler.toml");
}

/** Where the config's `@portico/embedded-bundle` alias points (absolute), if it has one. */
export function embeddedBundlePath(config: WranglerConfig): string | undefined {
  const alias = config.raw.alias as Record<string, unknown> | undefined;
  const target = alias?.["@portico/embedded-bundle"];
  return typeof target === "string" ? resolve(dirname(config.path), target) : undefined;
}

export function readWranglerConfig(path: string): WranglerConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
  }
  let raw: Record<string, unknown>;
  try {
    raw = path.endsWith(".json") ? (JSON.parse(text) as Record<string, unknown>) : (parseToml(text) as Record<string, unknown>);
  } catch (err) {
    throw new CliError(`${path}: ${(err as Error).message.split("\n")[0]}`, EXIT.usage);
  }
  const bindings = (list: unknown, key = "binding") =>
    Array.isArray(list) ? list.map((b) => (b as Record<string, unknown>)?.[key]).filter((b): b is string => typeof b === "string") : [];
  const queues = (raw.queues ?? {}) as { producers?: unknown };
  const vars = raw.vars && typeof raw.vars === "object" ? Object.keys(raw.vars) : [];
  return {
    path,
    raw,
    name: typeof raw.name === "string" ? raw.name : undefined,
    services: bindings(raw.services),
    vpcServices: bindings(raw.vpc_services),
    queues: bindings(queues.producers),
    buckets: bindings(raw.r2_buckets),
    workflows: bindings(raw.workflows),
    kvNamespaces: bindings(raw.kv_namespaces),
    vars,
  };
}
