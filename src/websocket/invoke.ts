/**
 * Running a WebSocket route's integration for one event (CONNECT, MESSAGE or DISCONNECT), with the integrations
 * every route kind already has:
 *
 * - `service` with a Lambda payload format: Amazon's WebSocket event (event.ts) POSTed to the bound Worker, its
 *   Lambda-style reply (`{statusCode, headers, body}`, or nothing) parsed as a REST Lambda proxy reply;
 * - `mock`, `http`, `http_proxy` and raw `service`: the route's own integration object, called with a request
 *   context built for the event — a POST of the message (CONNECT: the client's upgrade request itself) — and the
 *   connection's facts as backend headers (`x-portico-connection-id`, `-route-key`, `-event-type`,
 *   `-message-id`), which no client can set: the pipeline writes them over whatever arrived under those names.
 *
 * The seam for mapping templates is `transform` in message-steps.ts: it may rewrite the event's body before this
 * runs, and the reply after.
 */
import type { CompiledBundle, CompiledRoute } from "../deploy/compiled-bundle.ts";
import type { Env } from "../env.ts";
import { LAMBDA_ERROR_HEADER } from "../integrations/lambda/adapter.ts";
import { parseReply } from "../integrations/lambda/reply.ts";
import { sendToBackend } from "../integrations/transport.ts";
import { RequestContext } from "../pipeline/context.ts";
import { GatewayError } from "../pipeline/gateway-responses.ts";
import { readAtMost } from "../util/read-bounded.ts";
import { buildWsEvent, type WsEventFacts } from "./event.ts";

/** The payload-format header value a WebSocket event carries to a `service` Worker (the demo backend picks its handler by it). */
export const WS_PAYLOAD_FORMAT = "websocket";
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
  env: Env;
  exec: ExecutionContext;
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
  const ctx = call.upgrade ?? eventContext(call);
  ctx.backendHeaders.push(
    ["x-portico-connection-id", call.facts.connectionId],
    ["x-portico-route-key", call.facts.routeKey],
    ["x-portico-event-type", call.facts.eventType],
    ["x-portico-message-id", call.facts.messageId ?? null],
  );
  if (spec.type === "service" && spec.payloadFormat !== "raw") return lambdaReply(ctx, call, spec.service, spec.timeoutMs);
  const res = await call.route.integration.invoke(ctx);
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
  const ctx = new RequestContext(request, call.env, call.exec);
  ctx.api = f.apiId;
  ctx.stage = f.stage;
  ctx.deploymentId = call.bundle.id;
  ctx.bundle = call.bundle;
  ctx.route = call.route;
  ctx.stageVariables = call.stageVariables;
  ctx.identity = f.identity ?? undefined;
  return ctx;
}

async function lambdaReply(ctx: RequestContext, call: WsInvocation, service: string, timeoutMs: number): Promise<WsReply> {
  const malformed = (detail: string) => new GatewayError("DEFAULT_5XX", { status: 502, detail });
  const res = await sendToBackend(
    ctx,
    {
      url: `https://${call.facts.domainName}/`,
      method: "POST",
      headers: new Headers({ "content-type": "application/json", "x-portico-payload-format": WS_PAYLOAD_FORMAT }),
      body: JSON.stringify(buildWsEvent(call.facts)),
    },
    timeoutMs,
    service,
  );
  if (res.status !== 200 || res.headers.has(LAMBDA_ERROR_HEADER)) {
    await res.body?.cancel();
    throw malformed(`service ${service} failed: status ${res.status}`);
  }
  const bytes = await readAtMost(res.body, MAX_REPLY_BYTES);
  if (!bytes) throw malformed(`service ${service} replied with more than ${MAX_REPLY_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
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
