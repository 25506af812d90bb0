/**
 * `portico connections list | send | close`: a WebSocket API's live connections through the admin API — counts
 * per version and group, every hub asked at once; a message to one connection, a group or the whole stage; a
 * connection closed (its client sees close 1000 and `$disconnect` runs).
 */
import { parseArgs } from "node:util";
import { shaped } from "../client.ts";
import { CONNECTION_HELP, type Command } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import { shortId, table } from "../output.ts";
import { withProgress } from "../progress.ts";
import { clientFrom, CONNECTION_OPTIONS, print, resolveApi } from "./connection.ts";

const SUBCOMMANDS = ["list", "send", "close"];

const USAGE = `usage: portico connections <command> --stage S
  list --stage S [--group G] [--limit N]     live connections, with counts per version and group
  send --stage S (ID | --group G | --all) DATA
                                             send DATA to one connection, a group, or every connection of the stage
  close --stage S ID                         close a connection (its client sees 1000; $disconnect runs)

A WebSocket API's connections, as Amazon's @connections API reaches them (and beyond it: groups, broadcasts, live
counts). In \`npm run dev\` the example chat is API chat: portico connections list --api chat --stage prod

${CONNECTION_HELP}`;

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

const isListing = (b: Record<string, unknown>) => {
  const stats = b.stats as Record<string, unknown> | undefined;
  return !!stats && typeof stats.connections === "number" && typeof stats.hubs === "number" && typeof stats.byVersion === "object" && typeof stats.groups === "object" && Array.isArray(b.connections);
};

/** The listing as people read it: totals, then one row per connection. */
export function connectionsText(l: Listing, api: string, stage: string): string {
  const versions = Object.entries(l.stats.byVersion).map(([v, n]) => `${shortId(v)} ${n}`).join(", ") || "-";
  const groups = Object.entries(l.stats.groups).map(([g, n]) => `${g} ${n}`).join(", ") || "-";
  const head = [`${api}/${stage}: ${l.stats.connections} connection${l.stats.connections === 1 ? "" : "s"} on ${l.stats.hubs} hubs`, `  by version: ${versions}`, `  by group:   ${groups}`];
  if (!l.connections.length) return head.join("\n");
  const time = (iso: string) => iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
  const rows = l.connections.map((c) => [c.connectionId, time(c.connectedAt), time(c.lastActiveAt), c.identity?.sourceIp || "-", c.principalId, c.groups.join(",") || "-", shortId(c.version)]);
  return [...head, "", table(["ID", "CONNECTED", "LAST ACTIVE", "IP", "PRINCIPAL", "GROUPS", "VERSION"], rows)].join("\n");
}

export const connectionsCommand: Command = {
  name: "connections",
  synopsis: "connections list|send|close --stage S",
  summary: "a WebSocket API's live connections: counts, send to one, a group or all, close",
  usage: USAGE,
  subcommands: SUBCOMMANDS,
  group: "deployments",
  run: connections,
};

async function connections(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || !SUBCOMMANDS.includes(sub))
    throw new CliError(sub ? `unknown connections command "${sub}" (portico connections --help)` : "connections needs a command: list, send or close (portico connections --help)", EXIT.usage);
  const { positionals, values } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { ...CONNECTION_OPTIONS, stage: { type: "string" }, group: { type: "string" }, all: { type: "boolean" }, limit: { type: "string" } },
  });
  if (!values.stage) throw new CliError(`connections ${sub} needs --stage S (portico connections --help)`, EXIT.usage);
  if (values.limit !== undefined && !/^\d{1,4}$/.test(values.limit)) throw new CliError(`--limit must be a number, got ${values.limit} (portico connections --help)`, EXIT.usage);
  if (sub === "list" && positionals.length) throw new CliError("connections list takes no ID (portico connections --help)", EXIT.usage);
  if (sub === "close" && positionals.length !== 1) throw new CliError("connections close takes one connection ID (portico connections --help)", EXIT.usage);
  const toOne = !values.group && !values.all;
  if (sub === "send") {
    if (values.group && values.all) throw new CliError("connections send takes --group G or --all, not both (portico connections --help)", EXIT.usage);
    if (positionals.length !== (toOne ? 2 : 1))
      throw new CliError(`connections send takes ${toOne ? "ID DATA" : "DATA"} (portico connections --help)`, EXIT.usage);
  }

  const client = clientFrom(values);
  const api = await resolveApi(client, values);
  const base = `/apis/${encodeURIComponent(api)}/stages/${encodeURIComponent(values.stage)}`;

  if (sub === "list") {
    const query = new URLSearchParams({ ...(values.group ? { group: values.group } : {}), ...(values.limit ? { limit: values.limit } : {}) });
    const answer = await withProgress("asking every hub", client.get<object>(`${base}/connections${query.size ? `?${query}` : ""}`));
    const listing = shaped<Listing>(answer, isListing, "a connection listing");
    print(values, listing, connectionsText(listing, api, values.stage));
    return EXIT.ok;
  }
  const id = encodeURIComponent(positionals[0] ?? "");
  if (sub === "close") {
    const { body } = await client.request("DELETE", `${base}/connections/${id}`);
    print(values, body, `closed ${positionals[0]}`);
    return EXIT.ok;
  }
  const data = positionals.at(-1)!;
  if (toOne) {
    const { body } = await client.request("POST", `${base}/connections/${id}`, { data });
    print(values, body, `sent to ${positionals[0]}`);
    return EXIT.ok;
  }
  const { body: answer } = await client.request<object>("POST", `${base}/broadcast`, { data, ...(values.group ? { group: values.group } : {}) });
  const body = shaped<{ delivered: number }>(answer, (b) => typeof b.delivered === "number", "a broadcast result");
  print(values, body, `delivered to ${body.delivered} connection${body.delivered === 1 ? "" : "s"}${values.group ? ` in ${values.group}` : ""}`);
  return EXIT.ok;
}
