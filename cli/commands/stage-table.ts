/** The stages table: which source serves each stage (the file, the embedded bundle or a published version). */
import type { ServerFacts } from "../../src/admin/server-facts.ts";
import type { StageState } from "../../src/deploy/types.ts";
import { shortId, table, when } from "../output.ts";

/** Published stages as the Registry holds them. */
export function stageTable(stages: StageState[]): string {
  return table(
    ["STAGE", "STABLE", "CANARY", "PERCENT", "STICKY", "AUTO", "UPDATED"],
    stages.map((s) => [
      s.stage,
      shortId(s.deploymentId),
      shortId(s.canary?.deploymentId),
      s.canary ? `${s.canary.percent}%` : "-",
      s.canary ? s.canary.sticky.kind + (s.canary.sticky.name ? `:${s.canary.sticky.name}` : "") : "-",
      s.canary?.auto ? `+${s.canary.auto.step}/${s.canary.auto.intervalSeconds}s` : "-",
      when(s.updatedAt),
    ]),
  );
}

export type ServedFrom = "file" | "embedded" | "published";

/** One stage as the server serves it: `--json` rows of `portico stages`. */
export interface ServedStage {
  stage: string;
  servedFrom: ServedFrom;
  /** The stable version serving it. */
  deploymentId: string;
  canary: StageState["canary"] | null;
  updatedAt: number | null;
  /** The Registry's pointer, also when the file serves the stage over it (portico dev). */
  published: StageState | null;
}

/**
 * Every stage of `api` the server serves: published ones, and the embedded bundle's (the file's, in a
 * `portico dev` session) where nothing is published or where the dev session serves the file over it.
 */
export function servedStages(api: string, published: StageState[], facts: ServerFacts | null): ServedStage[] {
  const embedded = facts && facts.embedded.api === api ? facts.embedded : null;
  const byName = new Map(published.map((s) => [s.stage, s]));
  const names = [...new Set([...published.map((s) => s.stage), ...(embedded?.stages ?? [])])].sort();
  const fromFile = (stage: string) => !!facts?.dev && facts.dev.published !== "all" && !facts.dev.published.includes(stage);
  return names.map((stage) => {
    const pointer = byName.get(stage) ?? null;
    const embeddedServes = !!embedded?.stages.includes(stage) && (!pointer || fromFile(stage));
    if (embeddedServes)
      return { stage, servedFrom: facts!.dev ? "file" : "embedded", deploymentId: embedded!.version, canary: null, updatedAt: null, published: pointer };
    return { stage, servedFrom: "published", deploymentId: pointer!.deploymentId, canary: pointer!.canary, updatedAt: pointer!.updatedAt, published: pointer };
  });
}

export function servedTable(rows: ServedStage[]): string {
  return table(
    ["STAGE", "SERVED FROM", "STABLE", "CANARY", "PERCENT", "STICKY", "UPDATED"],
    rows.map((s) => [
      s.stage,
      s.servedFrom,
      shortId(s.deploymentId),
      shortId(s.canary?.deploymentId),
      s.canary ? `${s.canary.percent}%` : "-",
      s.canary ? s.canary.sticky.kind + (s.canary.sticky.name ? `:${s.canary.sticky.name}` : "") : "-",
      when(s.updatedAt),
    ]),
  );
}

/** Lines under the table for what is not obvious from it: a published version the dev session does not serve. */
export function servedNotes(rows: ServedStage[], facts: ServerFacts | null): string[] {
  const notes: string[] = [];
  for (const r of rows)
    if (r.servedFrom === "file" && r.published)
      notes.push(`${r.stage}: published version ${shortId(r.published.deploymentId)} is not served: portico dev serves ${r.stage} from ${facts!.dev!.file} (--published ${r.stage} serves it)`);
  if (rows.some((r) => r.servedFrom === "file")) notes.push(`"file": ${facts!.dev!.file}, which portico dev reloads on every save`);
  else if (rows.some((r) => r.servedFrom === "embedded")) notes.push(`"embedded": the bundle compiled into the Worker (npm run deploy embeds the example), until a version is published`);
  return notes;
}
