/**
 * `portico explain METHOD URL [-H 'Name: value' ...] [--data BODY]`: sends one request to the data plane with the
 * debug token (`--debug-token` or PORTICO_DEBUG_TOKEN, the Worker's PORTICO_DEBUG_TOKEN secret) and prints the
 * decision record the gateway returned in `x-portico-explain`, with its Server-Timing.
 */
import { parseArgs } from "node:util";
import type { Command } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import { DEBUG_HEADER, decodeExplainHeader, EXPLAIN_HEADER } from "../../src/observability/explain.ts";

const USAGE = `usage: portico explain METHOD URL [-H 'Name: value' ...] [--data BODY] [--debug-token T] [--json]

Sends one request to the API (the data plane, not the admin API) with the debug token in ${DEBUG_HEADER}, and prints
what the gateway decided and why: the stage and version (and the canary bucket that chose it), the route, each
authorizer's verdict, the API key and usage plan, each token bucket's decision and tokens left, the quota, the cache
key (hashed) and HIT/MISS, the integration's target (origin and path) with its status and latency, the mapping
templates' output sizes, and the time each stage spent waiting on I/O (Server-Timing). No token, key or secret is
in it. The request really runs: it reaches the backend and spends tokens like any other.

options:
  -H, --header 'Name: value'   a request header (repeatable)
  --data BODY                  the request body
  --debug-token T              the Worker's PORTICO_DEBUG_TOKEN secret (default: PORTICO_DEBUG_TOKEN)
  --json                       the record as JSON, with the response status and Server-Timing`;

export const explainCommand: Command = {
  name: "explain",
  synopsis: "explain METHOD URL [-H 'Name: value']",
  summary: "send a request with the debug token; print the pipeline's decisions",
  usage: USAGE,
  group: "deployments",
  run: explain,
};

async function explain(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { header: { type: "string", short: "H", multiple: true }, data: { type: "string" }, "debug-token": { type: "string" }, json: { type: "boolean" } },
  });
  const [method, target, ...extra] = positionals;
  if (!method || !target || extra.length) throw new CliError("explain needs METHOD and URL (portico explain --help)", EXIT.usage);
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new CliError(`not a URL: ${target}`, EXIT.usage);
  }
  const token = values["debug-token"] ?? process.env.PORTICO_DEBUG_TOKEN;
  if (!token) throw new CliError("explain needs the debug token: --debug-token T or PORTICO_DEBUG_TOKEN (the Worker's PORTICO_DEBUG_TOKEN secret)", EXIT.usage);
  const headers = new Headers();
  for (const h of values.header ?? []) {
    const colon = h.indexOf(":");
    if (colon < 1) throw new CliError(`-H must be 'Name: value', got "${h}"`, EXIT.usage);
    headers.append(h.slice(0, colon).trim(), h.slice(colon + 1).trim());
  }
  headers.set(DEBUG_HEADER, token);
  let res: Response;
  const started = Date.now();
  try {
    res = await fetch(url, { method: method.toUpperCase(), headers, ...(values.data !== undefined ? { body: values.data } : {}), redirect: "manual", signal: AbortSignal.timeout(60_000) });
  } catch (err) {
    const cause = (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message;
    throw new CliError(`cannot reach ${url.origin}: ${cause}`, EXIT.unreachable);
  }
  await res.arrayBuffer().catch(() => undefined);
  const raw = res.headers.get(EXPLAIN_HEADER);
  if (!raw)
    throw new CliError(`${url.origin} answered ${res.status} without an explanation: is it a Portico Worker with the PORTICO_DEBUG_TOKEN secret set, and is the token right?`, EXIT.unauthorized);
  let record: Record<string, any>;
  try {
    record = decodeExplainHeader(raw);
  } catch {
    throw new CliError(`${url.origin} sent an ${EXPLAIN_HEADER} header that is not Portico's`, EXIT.unreachable);
  }
  const timing = res.headers.get("server-timing");
  if (values.json) console.log(JSON.stringify({ status: res.status, serverTiming: timing, record }, null, 2));
  else console.log(explainText(`${method.toUpperCase()} ${url.origin}${url.pathname}`, res.status, Date.now() - started, record, timing));
  return EXIT.ok;
}

const ms = (v: unknown) => (typeof v === "number" ? `${Math.round(v * 10) / 10} ms` : "-");

export function explainText(request: string, status: number, elapsed: number, r: Record<string, any>, timing: string | null): string {
  const rows: [string, string][] = [];
  const add = (label: string, text: string) => rows.push([label, text]);
  if (r.stage) add("stage", `${r.stage.api}/${r.stage.stage}, version ${String(r.stage.version).slice(0, 12)} (${r.stage.role}: ${r.stage.reason})`);
  if (r.route) add("route", r.route.key ?? "no route matched");
  for (const a of r.authorizers ?? [])
    add("authorize", `${a.name} (${a.type}): ${a.verdict}${a.principal ? ` ${a.principal}` : ""}${a.scopes?.length ? ` scopes ${a.scopes.join(" ")}` : ""}${a.reason ? ` — ${a.reason}` : ""}, ${ms(a.latencyMs)}`);
  if (r.apiKey) add("api key", `${r.apiKey.verdict}${r.apiKey.keyId ? ` key ${r.apiKey.keyId}` : ""}${r.apiKey.plan ? `, plan ${r.apiKey.plan}` : ""}${r.apiKey.reason ? ` — ${r.apiKey.reason}` : ""}`);
  if (r.validation) add("validate", `${r.validation.verdict}${r.validation.reason ? ` — ${r.validation.reason}` : ""}`);
  for (const t of r.throttle ?? [])
    add("throttle", `${t.bucket} ${t.rate}/s burst ${t.burst}: ${t.admitted ? `admitted, ${t.remaining} left` : `refused, retry in ${t.retryAfterMs} ms`}${t.degraded ? " (without its Durable Object)" : ""}${t.shadow ? " (shadow limit)" : ""}`);
  if (r.quota) add("quota", `${r.quota.allowed ? "allowed" : "spent"}${r.quota.remaining !== null ? `, ${r.quota.remaining} left` : ""}${r.quota.degraded ? " (without its Durable Object)" : ""}`);
  if (r.cache) add("cache", `${r.cache.status}${r.cache.keyHash ? ` key ${r.cache.keyHash}` : ""}${r.cache.ttl !== undefined ? ` (ttl ${r.cache.ttl} s)` : ""}`);
  if (r.integration) add("integrate", `${r.integration.target}${r.integration.status !== undefined ? ` → ${r.integration.status}` : ""}${r.integration.latencyMs !== undefined ? ` in ${ms(r.integration.latencyMs)}` : ""}`);
  if (r.templates) add("templates", [r.templates.requestBytes !== undefined ? `request ${r.templates.requestBytes} bytes` : "", r.templates.responseBytes !== undefined ? `response ${r.templates.responseBytes} bytes` : ""].filter(Boolean).join(", "));
  if (r.response?.error) add("refused", `${r.response.error.type}: ${r.response.error.message}`);
  if (timing) add("timing", timing.split(", ").map((e) => e.replace(/;desc="[^"]*"/, "").replace(";dur=", " ")).join(", ") + " (ms waiting on I/O)");
  if (r.truncated) add("note", "the record was cut down to fit its header");
  const width = Math.max(...rows.map(([l]) => l.length));
  return [`${request} → ${status} in ${elapsed} ms (request ${r.requestId})`, ...rows.map(([l, t]) => `  ${l.padEnd(width)}  ${t}`)].join("\n");
}
