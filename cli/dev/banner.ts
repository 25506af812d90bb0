/** What `portico dev` prints when it starts: which source serves each stage and host, and what it watches. */
import type { Bundle } from "../../src/config/bundle.ts";
import { table } from "../output.ts";
import { shown as show } from "../paths.ts";
import type { LocalSecrets } from "../environment/dev-vars.ts";
import { DEV_ADMIN_HOST } from "./session.ts";

export interface BannerFacts {
  file: string;
  id: string;
  bundle: Bundle;
  /** Definitions served beside FILE (`--with`), on their domains only. */
  others?: { file: string; bundle: Bundle }[];
  url: string;
  published: ReadonlySet<string> | "all";
  configPath: string;
  secrets: LocalSecrets;
  persistDir: string;
}

/** How one stage is served in this session. */
export function stageSource(stage: string, published: BannerFacts["published"]): string {
  return published === "all" || published.has(stage) ? "published version (the file's until one is published)" : "the file";
}

export function banner(f: BannerFacts): string {
  const b = f.bundle;
  const rows: string[][] = Object.keys(b.stages).map((stage) => [`${f.url}/${stage}/…`, `stage ${stage}`, stageSource(stage, f.published)]);
  for (const d of b.domains)
    rows.push([`Host: ${d.host}${d.basePath ? `/${d.basePath}` : ""}`, `stage ${d.stage}`, `${stageSource(d.stage, f.published)} (curl -H 'Host: ${d.host.replace(/^\*\./, "x.")}' ${f.url}/…)`]);
  for (const o of f.others ?? [])
    for (const d of o.bundle.domains)
      rows.push([`Host: ${d.host}${d.basePath ? `/${d.basePath}` : ""}`, `${o.bundle.api.name} stage ${d.stage}`, `${stageSource(d.stage, f.published).replace("the file", show(o.file))}`]);
  const lines = [
    `portico dev: serving ${f.file}: API ${b.api.name}, ${b.routes.length} route${b.routes.length === 1 ? "" : "s"}, version ${f.id.slice(0, 12)}`,
    indent(table(["URL", "STAGE", "SERVED FROM"], rows)),
    `  admin API: ${f.url}/_portico — ${adminState(f.secrets)}`,
    `  dashboard: ${dashboardUrl(f.url)} (sign in with ADMIN_TOKEN; served on ${DEV_ADMIN_HOST} only, never on an API host)`,
    `  wrangler config ${show(f.configPath)}; local state ${show(f.persistDir)} (portico dev --fresh starts empty)`,
    ...(f.others ?? []).map((o) => `  also serving ${show(o.file)}: API ${o.bundle.api.name}, ${o.bundle.routes.length} route${o.bundle.routes.length === 1 ? "" : "s"}, on its domains only`),
    `  watching ${[f.file, ...(f.others ?? []).map((o) => o.file)].map(show).join(", ")} (each save reloads it, or prints its errors and keeps serving the last good version)` +
      ` and .dev.vars (a change reloads the Worker with it)`,
  ];
  return lines.join("\n");
}

/** The dashboard's address for a session at `url`: the same port on the dev admin host. */
export function dashboardUrl(url: string): string {
  const u = new URL(url);
  u.hostname = DEV_ADMIN_HOST;
  return `${u.origin}/_portico/`;
}

export function adminState(secrets: LocalSecrets): string {
  if (secrets.devVars?.names.has("ADMIN_TOKEN")) return "enabled, ADMIN_TOKEN from .dev.vars";
  if (secrets.example?.names.has("ADMIN_TOKEN")) return "disabled (no ADMIN_TOKEN): cp .dev.vars.example .dev.vars to enable it, no restart needed";
  return "disabled: set ADMIN_TOKEN in .dev.vars to enable it, no restart needed";
}

const indent = (text: string) => text.split("\n").map((l) => `  ${l}`).join("\n");
