/** `portico keys create | list | show | enable | disable | stages | plans | rotate | delete`: API keys through the admin API. */
import { parseArgs } from "node:util";
import { listIn, shaped } from "../client.ts";
import { CONNECTION_HELP, type Command } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import { table, when } from "../output.ts";
import { withProgress } from "../progress.ts";
import { clientFrom, CONNECTION_OPTIONS } from "./connection.ts";
import type { ApiKeyRecord } from "../../src/deploy/types.ts";

const USAGE = `usage: portico keys <command>
  create --name NAME [--stage API/STAGE ...] [--plan API/PLAN ...] [--description TEXT] [--disabled]
  list
  show ID
  enable ID | disable ID
  stages ID --stage API/STAGE ...     replace the stages a key covers
  plans ID --plan API/PLAN ...        replace the usage plans a key is in (at most one per API; none: no --plan)
  rotate ID                           a new value; the old one stops working
  delete ID

API keys identify callers for usage plans and per-key limits; the value is shown once and stored only as a hash.

${CONNECTION_HELP}`;

export const SUBCOMMANDS = ["create", "list", "show", "enable", "disable", "stages", "plans", "rotate", "delete"];

const isKey = (b: Record<string, unknown>) => typeof b.id === "string" && Array.isArray(b.stages);
const asKey = (b: object) => shaped<ApiKeyRecord>(b, isKey, "an API key");
const withValue = (b: object) => shaped<{ key: ApiKeyRecord; value: string }>(b, (v) => typeof v.value === "string" && !!v.key && isKey(v.key as Record<string, unknown>), "a new API key");

const keyTable = (keys: ApiKeyRecord[]) =>
  table(
    ["ID", "NAME", "KEY", "ENABLED", "STAGES", "PLANS", "CREATED"],
    keys.map((k) => [k.id, k.name, k.hint, k.enabled ? "yes" : "no", k.stages.join(",") || "-", (k.plans ?? []).join(",") || "-", when(k.createdAt)]),
  );

export const keysCommand: Command = {
  name: "keys",
  synopsis: "keys create|list|show|rotate|...|delete",
  summary: "API keys (values shown once, stored as hashes)",
  usage: USAGE,
  subcommands: SUBCOMMANDS,
  group: "deployments",
  run: keys,
};

async function keys(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || !SUBCOMMANDS.includes(sub)) throw new CliError(sub ? `unknown keys command "${sub}" (portico keys --help)` : "keys needs a command (portico keys --help)", EXIT.usage);
  const { positionals, values } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { ...CONNECTION_OPTIONS, name: { type: "string" }, stage: { type: "string", multiple: true }, plan: { type: "string", multiple: true }, description: { type: "string" }, disabled: { type: "boolean" } },
  });
  const client = clientFrom(values);
  const out = (json: unknown, text: string) => console.log(values.json ? JSON.stringify(json, null, 2) : text);
  const id = () => {
    if (!positionals[0]) throw new CliError(`keys ${sub} needs a key ID (portico keys --help)`, EXIT.usage);
    return positionals[0];
  };
  switch (sub) {
    case "create": {
      if (!values.name) throw new CliError("keys create needs --name NAME (portico keys --help)", EXIT.usage);
      const body = withValue((await withProgress("creating key", client.request("POST", "/keys", {
        name: values.name,
        ...(values.description ? { description: values.description } : {}),
        ...(values.stage ? { stages: values.stage } : {}),
        ...(values.plan ? { plans: values.plan } : {}),
        ...(values.disabled ? { enabled: false } : {}),
      }))).body);
      out(body, `${keyTable([body.key])}\n\nvalue: ${body.value}\n(shown once: store it now — Portico keeps only its hash)`);
      return EXIT.ok;
    }
    case "list": {
      const keys = listIn<ApiKeyRecord>(await client.get("/keys"), "keys", "key");
      out(keys, keys.length ? keyTable(keys) : "no API keys");
      return EXIT.ok;
    }
    case "show": {
      const key = asKey(await client.get(`/keys/${id()}`));
      out(key, keyTable([key]));
      return EXIT.ok;
    }
    case "enable":
    case "disable": {
      const body = asKey((await client.request("PATCH", `/keys/${id()}`, { enabled: sub === "enable" })).body);
      out(body, keyTable([body]));
      return EXIT.ok;
    }
    case "stages": {
      const body = asKey((await client.request("PATCH", `/keys/${id()}`, { stages: values.stage ?? [] })).body);
      out(body, keyTable([body]));
      return EXIT.ok;
    }
    case "plans": {
      const body = asKey((await client.request("PATCH", `/keys/${id()}`, { plans: values.plan ?? [] })).body);
      out(body, keyTable([body]));
      return EXIT.ok;
    }
    case "rotate": {
      const body = withValue((await withProgress("rotating key", client.request("POST", `/keys/${id()}/rotate`, {}))).body);
      out(body, `${keyTable([body.key])}\n\nnew value: ${body.value}\n(shown once; the old value no longer works)`);
      return EXIT.ok;
    }
    case "delete": {
      const { body } = await client.request<{ id: string }>("DELETE", `/keys/${id()}`);
      out(body, `deleted key ${body.id}`);
      return EXIT.ok;
    }
    default:
      throw new CliError(`unknown keys command "${sub}" (portico keys --help)`, EXIT.usage);
  }
}
