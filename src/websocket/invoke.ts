/**
 * Running a WebSocket route's integration for one event (CONNECT, MESSAGE or DISCONNECT), with the integrations
 * every route kind already has:
 *
 * - `service` with a Lambda payload format: Amazon's WebSocket event (wire/lambda/websocket-event.ts) sent to the bound Worker as the RPC
 *   call `invokeLambda(event)` — never as an HTTP request, so no client can forge one (wire/lambda/adapter.ts)
 *   — its Lambda-style reply (`{statusCode, headers, body}`, or nothing) parsed as a REST Lambda proxy reply. On
 *   CONNECT the event's headers are the client's as a REST Lambda event has them: what the route would not forward
 *   to a backend (Portico's `x-portico-*` namespace, aliases, other gateways' internal headers) is not there;
 * - `mock`, `http`, `http_proxy` and raw `service`: the route's own integration object, called with a request
 *   context built for the event — a POST of the message (CONNECT: the client's upgrade request itself) — and the
 *   connection's facts as backend headers (`x-portico-connection-id`, `-route-key`, `-event-type`,
 *   `-message-id`), which no client can set: the pipeline writes them over whatever arrived under those names.
 *
 * The seam for mapping templates is `transform` in message-steps.ts: it may rewrite the event's body before this
 * runs, and the reply after.
 */
import type { CompiledBundle } from "../deploy/compiled-bundle.ts";
import type { CompiledRoute } from "../deploy/compiled-route.ts";
import { invokeLambda } from "../wire/lambda/invoke.ts";
import { parseReply } from "../wire/lambda/reply.ts";
import { mapRequest } from "../integrations/mapping/request.ts";
import { lambdaHeaders } from "../integrations/service/proxy-event.ts";
import { integrationFor } from "../integrations/index.ts";
import type { AppState } from "../pipeline/app-state.ts";
import { RequestContext, type RequestEnv } from "../pipeline/context.ts";
import { GatewayError } from "../pipeline/gateway-responses.ts";
import { readAtMost } from "../util/read-bounded.ts";
import { CONNECTION_HEADERS } from "../wire/headers.ts";
import { buildWsEvent, type WsEventFacts } from "../wire/lambda/websocket-event.ts";

/** Bounds what an integration can make a hub buffer (a route response is at most the message limit anyway). */
const MAX_REPLY_BYTES = 6 * 1024 * 1024;

export interface WsReply {
  status: number;
  headers: Headers;
  body: string;
}

export interface WsInvocation {
  route: CompiledRoute;
  bundle: CompiledBundle;
  facts: WsEventFacts;
  stageVariables: Record<string, string>;
  env: RequestEnv;
  exec: ExecutionContext;
  /** The state of the app (or hub instance) invoking: its memos, its cache, its metrics. */
  state: AppState;
  /** CONNECT only: the pipeline's own context for the upgrade request. */
  upgrade?: RequestContext;
}

/** A mock's reply is the same every time: built once per route (per bundle, per isolate). */
const mockReplies = new WeakMap<CompiledRoute, WsReply>();

export async function invokeWs(call: WsInvocation): Promise<WsReply> {
  const spec = call.route.spec.integration;
  // A mock answers from its configuration: no request or response objects to build and read back.
  if (spec.type === "mock" && !call.upgrade) {
    let reply = mockReplies.get(call.route);
    if (!reply) mockReplies.set(call.route, (reply = { status: spec.status, headers: new Headers(spec.headers), body: spec.body }));
    return reply;
  }
  if (spec.type === "service" && spec.payloadFormat !== "raw") return lambdaReply(call, spec.service, spec.timeoutMs);
  const ctx = call.upgrade ?? eventContext(call);
  const [id, routeKey, eventType, messageId] = CONNECTION_HEADERS;
  ctx.backendHeaders.push([id, call.facts.connectionId], [routeKey, call.facts.routeKey], [eventType, call.facts.eventType], [messageId, call.facts.messageId ?? null]);
  // `http` and `mock` send the mapped request (integrations/mapping), which the request pipeline's transform step
  // makes; here the route's own mapping makes it. On a WebSocket route it is always the default one (the compiler
  // refuses mapping fields): the message, or the upgrade request, passes through as it is.
  if (call.route.mapping) ctx.integrationRequest = await mapRequest(ctx, call.route.mapping, call.bundle.bundle);
  const res = await integrationFor(call.route, call.bundle.bundle).invoke(ctx);
  return { status: res.status, headers: res.headers, body: await bodyText(res) };
}

/** A request context for an event the hub handles (no HTTP request from the client exists). */
function eventContext(call: WsInvocation): RequestContext {
  const f = call.facts;
  const body = f.eventType === "MESSAGE" ? f.body : null;
  const request = new Request(`https://${f.domainName}/${f.stage}`, {
    method: "POST",
    headers: { "content-type": body !== null && /^\s*[[{]/.test(body) ? "application/json" : "text/plain; charset=utf-8", "user-agent": f.userAgent },
    body,
  });
  const ctx = new RequestContext(request, call.env, call.exec, call.state);
  ctx.api = f.apiId;
  ctx.stage = f.stage;
  ctx.deploymentId = call.bundle.id;
  ctx.bundle = call.bundle;
  ctx.route = call.route;
  ctx.stageVariables = call.stageVariables;
  ctx.identity = f.identity ?? undefined;
  return ctx;
}

async function lambdaReply(call: WsInvocation, service: string, timeoutMs: number): Promise<WsReply> {
  const malformed = (detail: string) => new GatewayError("DEFAULT_5XX", { status: 502, detail });
  // CONNECT: the upgrade's headers as the route forwards them (its header policy, identity headers), never raw.
  const facts = call.upgrade ? { ...call.facts, headers: lambdaHeaders(call.upgrade) } : call.facts;
  const started = performance.now();
  // Over RPC, never over HTTP: the one channel a client cannot address (wire/lambda/adapter.ts).
  const outcome = await invokeLambda(call.env, service, buildWsEvent(facts), timeoutMs, MAX_REPLY_BYTES);
  if (call.upgrade) call.upgrade.integrationLatencyMs = performance.now() - started;
  if (!outcome.ok) {
    if (outcome.why === "timeout") throw new GatewayError("INTEGRATION_TIMEOUT", { detail: outcome.detail });
    if (outcome.why === "no-binding") throw new GatewayError("API_CONFIGURATION_ERROR", { detail: outcome.detail });
    throw malformed(outcome.why === "threw" ? `service ${service} threw ${outcome.errorType}` : outcome.detail);
  }
  let value: unknown;
  try {
    value = JSON.parse(outcome.payload);
  } catch {
    throw malformed(`service ${service} replied with something other than JSON`);
  }
  // A WebSocket handler may return nothing: Amazon treats that as success with no route response.
  if (value === null) return { status: 200, headers: new Headers(), body: "" };
  const reply = parseReply(value, "1.0");
  if (!reply) throw malformed(`service ${service} replied outside the Lambda proxy contract`);
  return { status: reply.status, headers: new Headers(reply.headers), body: typeof reply.body === "string" ? reply.body : new TextDecoder().decode(reply.body) };
}

async function bodyText(res: Response): Promise<string> {
  const bytes = await readAtMost(res.body, MAX_REPLY_BYTES);
  if (!bytes) throw new GatewayError("DEFAULT_5XX", { status: 502, detail: `integration reply over ${MAX_REPLY_BYTES} bytes, or broke off` });
  return new TextDecoder().decode(bytes);
}
