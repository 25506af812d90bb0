/** What every admin-API command shares: the connection options, the server's facts and which API to act on. */
import type { ServerFacts } from "../../src/admin/server-facts.ts";
import { AdminClient, listIn } from "../client.ts";
import { CliError, EXIT } from "../errors.ts";

export const CONNECTION_OPTIONS = {
  url: { type: "string" },
  token: { type: "string" },
  api: { type: "string" },
  json: { type: "boolean" },
} as const;

export type ConnectionValues = { url?: string; token?: string; api?: string; json?: boolean };

export const clientFrom = (v: ConnectionValues) => new AdminClient({ url: v.url, token: v.token });

/** What the server serves unpublished (`GET /_portico/server`); null from a server too old to say. */
export async function serverFacts(client: AdminClient): Promise<ServerFacts | null> {
  try {
    const facts = await client.get<ServerFacts>("/server");
    if (typeof facts.defaultApi !== "string" || !facts.embedded || !Array.isArray(facts.embedded.stages))
      throw new CliError(`${client.base}/server answered JSON that is not Portico's: is ${client.origin} a Portico Worker?`, EXIT.unreachable);
    return facts;
  } catch (err) {
    if (err instanceof CliError && err.exitCode === EXIT.refused && /no admin route/.test(err.message)) return null;
    throw err;
  }
}

/**
 * The API to act on: --api, else PORTICO_API, else in a `portico dev` session the file's API, else the only
 * API with deployments, else (nothing published yet) the API the server serves on its own host names.
 */
export async function resolveApi(client: AdminClient, v: ConnectionValues, facts?: ServerFacts | null): Promise<string> {
  const api = v.api ?? process.env.PORTICO_API;
  if (api) return api;
  facts ??= await serverFacts(client);
  if (facts?.dev) return facts.embedded.api;
  const apis = listIn<{ name: string }>(await client.get("/apis"), "apis", "API");
  if (apis.length === 1) return apis[0]!.name;
  if (apis.length) throw new CliError(`several APIs are deployed (${apis.map((a) => a.name).join(", ")}): pass --api`, EXIT.usage);
  if (facts) return facts.defaultApi;
  throw new CliError("no API has been deployed yet", EXIT.refused);
}

/** Prints `json` with --json, else `text`. */
export const print = (v: ConnectionValues, json: unknown, text: string) => console.log(v.json ? JSON.stringify(json, null, 2) : text);
