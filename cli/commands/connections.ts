/**
 * `portico connections list | send | close`: a WebSocket API's live connections through the admin API — counts
 * per version and group, every hub asked at once; a message to one connection, a group or the whole stage; a
 * connection closed (its client sees close 1000 and `$disconnect` runs).
 */
import { parseArgs } from "node:util";
import { CliError } from "../definition-file.ts";
import { EXIT } from "../client.ts";
import { shortId, table, withProgress } from "../output.ts";
import { clientFrom, CONNECTION_OPTIONS, resolveApi } from "./deployments.ts";

const USAGE = `usage: portico connections list --stage S [--group G] [--limit N]
                                  live connections and counts per version and group
       portico connections send --stage S (ID | --group G | --all) DATA
                                  send DATA to one connection, a group, or every connection of the stage
       portico connections close --stage S ID
                                  close a connection (its client sees 1000; $disconnect runs)
options: --api NAME, --json, --url, --token`;

const OPTIONS = { ...CONNECTION_OPTIONS, stage: { type: "string" }, group: { type: "string" }, all: { type: "boolean" }, limit: { type: "string" } } as const;

/** A connection as the admin API lists it (src/websocket/attachment.ts ConnectionInfo; not imported: that module pulls in the Worker's types). */
interface ConnectionInfo {
  connectionId: string;
  connectedAt: string;
  lastActiveAt: string;
  identity: { sourceIp: string; userAgent: string };
  groups: string[];
  version: string;
  principalId: string | null;
}

interface Listing {
  stats: { connections: number; hubs: number; byVersion: Record<string, number>; groups: Record<string, number> };
  connections: ConnectionInfo[];
}

/** The listing as people read it: totals, then one row per connection. */
export function connectionsText(l: Listing, api: string, stage: string): string {
  const versions = Object.entries(l.stats.byVersion).map(([v, n]) => `${shortId(v)} ${n}`).join(", ") || "-";
  const groups = Object.entries(l.stats.groups).map(([g, n]) => `${g} ${n}`).join(", ") || "-";
  const head = [`${api}/${stage}: ${l.stats.connections} connection${l.stats.connections === 1 ? "" : "s"} on ${l.stats.hubs} hubs`, `  by version: ${versions}`, `  by group:   ${groups}`];
  if (!l.connections.length) return head.join("\n");
  const rows = l.connections.map((c) => [c.connectionId, c.connectedAt.replace("T", " ").replace(/\.\d+Z$/, "Z"), c.lastActiveAt.replace("T", " ").replace(/\.\d+Z$/, "Z"), c.identity.sourceIp || "-", c.principalId, c.groups.join(",") || "-", shortId(c.version)]);
  return [...head, "", table(["ID", "CONNECTED", "LAST ACTIVE", "IP", "PRINCIPAL", "GROUPS", "VERSION"], rows)].join("\n");
}

export async function connectionsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "list" && sub !== "send" && sub !== "close") throw new CliError(USAGE, EXIT.usage);
  const { positionals, values } = parseArgs({ args: rest, allowPositionals: true, options: OPTIONS });
  if (!values.stage) throw new CliError(`--stage is required\n\n${USAGE}`, EXIT.usage);
  const client = clientFrom(values);
  const api = await resolveApi(client, values);
  const base = `/apis/${api}/stages/${values.stage}`;
  const out = (json: unknown, text: string) => console.log(values.json ? JSON.stringify(json, null, 2) : text);

  if (sub === "list") {
    if (positionals.length) throw new CliError(USAGE, EXIT.usage);
    const query = new URLSearchParams({ ...(values.group ? { group: values.group } : {}), ...(values.limit ? { limit: values.limit } : {}) });
    const listing = await withProgress("asking every hub", client.get<Listing>(`${base}/connections${query.size ? `?${query}` : ""}`));
    out(listing, connectionsText(listing, api, values.stage));
    return EXIT.ok;
  }
  if (sub === "close") {
    if (positionals.length !== 1) throw new CliError(USAGE, EXIT.usage);
    const { body } = await client.request("DELETE", `${base}/connections/${encodeURIComponent(positionals[0]!)}`);
    out(body, `closed ${positionals[0]}`);
    return EXIT.ok;
  }
  // send
  const toOne = !values.group && !values.all;
  if (positionals.length !== (toOne ? 2 : 1) || (values.group && values.all)) throw new CliError(USAGE, EXIT.usage);
  const data = positionals.at(-1)!;
  if (toOne) {
    const { body } = await client.request("POST", `${base}/connections/${encodeURIComponent(positionals[0]!)}`, { data });
    out(body, `sent to ${positionals[0]}`);
  } else {
    const { body } = await client.request<{ delivered: number }>("POST", `${base}/broadcast`, { data, ...(values.group ? { group: values.group } : {}) });
    out(body, `delivered to ${body.delivered} connection${body.delivered === 1 ? "" : "s"}${values.group ? ` in ${values.group}` : ""}`);
  }
  return EXIT.ok;
}
