/**
 * `validate` and `deploy` know the environment: every binding, secret and stage variable a definition names is
 * checked against what the Worker will have, with the field path that names it. Without this a misspelt
 * `service:` or `${stageVariables.x}` compiles, and then every request to the route is a 500.
 *
 * - Bindings (service, a private integration's service or Workers VPC service, queue producer, R2 bucket,
 *   Workflow): against the wrangler config; unknown → error.
 * - Secrets: against `--secrets NAMES` when given (e.g. the production list from `wrangler secret list`);
 *   else locally against `.dev.vars` (and `[vars]`), with `.dev.vars.example` as the hint; when neither
 *   applies (a deploy to a remote Worker without `--secrets`) each one is a warning naming what must be set.
 * - Stage variables used in templates: defined in no stage → error (a typo, most likely); missing in some
 *   stages → warning, since a canary's overrides may set it there. Deploying to one stage: missing there →
 *   error, or a warning for a canary deploy (the canary's overrides may set it).
 */
import { inDocumentOrder } from "../../src/config/compile.ts";
import { didYouMean, type FieldError } from "../../src/config/field-errors.ts";
import { shown as display } from "../paths.ts";
import { listing } from "../output.ts";
import type { LocalSecrets } from "./dev-vars.ts";
import { referencesOf, stageVariablesOf, type BindingKind, type BindingRef, type NameRef } from "./references.ts";
import type { WranglerConfig } from "./wrangler-config.ts";

export type SecretSource = { kind: "list"; names: Set<string> } | { kind: "local"; local: LocalSecrets } | { kind: "unchecked" };

export interface Environment {
  config: WranglerConfig;
  secrets: SecretSource;
}

export interface EnvironmentReport {
  errors: FieldError[];
  warnings: FieldError[];
}

export interface CheckOptions {
  /** Only this stage matters (a deploy). */
  stage?: string;
  /** A canary deploy: the canary's stage-variable overrides may supply what the stage lacks. */
  canary?: boolean;
}

export function checkEnvironment(definition: unknown, env: Environment, options: CheckOptions = {}): EnvironmentReport {
  const refs = referencesOf(definition);
  const report: EnvironmentReport = { errors: [], warnings: [] };
  checkBindings(refs.bindings, env.config, report);
  checkSecrets(refs.secrets, env, report);
  checkStageVariables(refs.stageVariables, stageVariablesOf(definition), options, report);
  return { errors: inDocumentOrder(definition, report.errors), warnings: inDocumentOrder(definition, report.warnings) };
}

const CATALOG: Record<BindingKind, { noun: string; section: (c: WranglerConfig) => string[]; declare: string }> = {
  service: { noun: "service binding", section: (c) => c.services, declare: "[[services]]" },
  queue: { noun: "queue producer binding", section: (c) => c.queues, declare: "[[queues.producers]]" },
  bucket: { noun: "R2 bucket binding", section: (c) => c.buckets, declare: "[[r2_buckets]]" },
  workflow: { noun: "Workflow binding", section: (c) => c.workflows, declare: "[[workflows]]" },
  private: { noun: "service or VPC service binding", section: (c) => [...c.services, ...c.vpcServices], declare: "[[services]] or [[vpc_services]]" },
};

export function checkBindings(refs: BindingRef[], config: WranglerConfig, report: EnvironmentReport): void {
  for (const ref of refs) {
    const { noun, section, declare } = CATALOG[ref.kind];
    const known = section(config);
    if (known.includes(ref.name)) continue;
    const guess = didYouMean(ref.name, known);
    const hint = guess ? `did you mean "${guess}"?` : known.length ? `it has ${listing(known)}` : `declare it under ${declare}`;
    report.errors.push({ path: ref.path, message: `no ${noun} "${ref.name}" in ${display(config.path)} (${hint})` });
  }
}

function checkSecrets(refs: NameRef[], env: Environment, report: EnvironmentReport): void {
  const { secrets, config } = env;
  for (const ref of refs) {
    const say = (list: FieldError[], message: string) => list.push({ path: ref.path, message: `secret "${ref.name}" ${message}` });
    if (secrets.kind === "list") {
      if (!secrets.names.has(ref.name)) say(report.errors, "is not among the secrets given with --secrets");
      continue;
    }
    if (secrets.kind === "unchecked") {
      say(report.warnings, `must be set on the Worker (wrangler secret put ${ref.name}); pass --secrets to check`);
      continue;
    }
    const { devVars, example } = secrets.local;
    if (config.vars.includes(ref.name) || devVars?.names.has(ref.name)) continue;
    const inExample = example?.names.has(ref.name);
    if (devVars) say(report.errors, `is not in ${display(devVars.path)}` + (inExample ? ` (${display(example!.path)} has it: copy it over)` : ""));
    else if (inExample) say(report.warnings, `is in ${display(example!.path)} but there is no .dev.vars: cp .dev.vars.example .dev.vars`);
    else say(report.errors, `is in neither .dev.vars nor .dev.vars.example beside ${display(config.path)}`);
  }
}

function checkStageVariables(refs: NameRef[], defined: Map<string, Set<string>>, options: CheckOptions, report: EnvironmentReport): void {
  const stages = options.stage ? [options.stage] : [...defined.keys()];
  const all = new Set([...defined.values()].flatMap((names) => [...names]));
  for (const ref of refs) {
    const missing = stages.filter((s) => !defined.get(s)?.has(ref.name));
    if (!missing.length) continue;
    const variable = `stage variable "${ref.name}"`;
    if (options.stage) {
      if (options.canary) report.warnings.push({ path: ref.path, message: `${variable} is not defined in stage ${options.stage}: it renders empty unless the canary's overrides set it` });
      else {
        const elsewhere = [...defined].filter(([, names]) => names.has(ref.name)).map(([stage]) => stage);
        const also = elsewhere.length ? ` (stage${elsewhere.length > 1 ? "s" : ""} ${listing(elsewhere)} define${elsewhere.length > 1 ? "" : "s"} it)` : hint(ref.name, all);
        report.errors.push({ path: ref.path, message: `${variable} is not defined in stage ${options.stage}${also}` });
      }
    } else if (!all.has(ref.name)) {
      report.errors.push({ path: ref.path, message: `${variable} is not defined in any stage` + hint(ref.name, all) });
    } else {
      report.warnings.push({
        path: ref.path,
        message: `${variable} is not defined in stage${missing.length > 1 ? "s" : ""} ${listing(missing)}: it renders empty there unless a canary's overrides set it`,
      });
    }
  }
}

function hint(name: string, known: Set<string>): string {
  const guess = didYouMean(name, [...known]);
  return guess ? ` (did you mean "${guess}"?)` : "";
}
