/**
 * THE message pipeline: what a hub does with each message a client sends, in order, like the request pipeline
 * (src/pipeline/steps.ts) for HTTP. A step returns false to end the message there (the client got an error
 * frame, or the connection was closed); later steps never run and no integration is called.
 *
 * | step         | can answer                                                                              |
 * | ------------ | --------------------------------------------------------------------------------------- |
 * | limits       | close 1003 (binary frame), close 1009 (over maxFrameBytes / maxMessageBytes);            |
 * |              | `{"message":"Too Many Requests"}` frame (over the connection's messages per second)      |
 * | select-route | `{"message":"Forbidden"}` frame when no route matches and there is no `$default`         |
 * | validate     | `{"message":"Bad request body"}` frame (the route's body model)                         |
 * | transform    | empty: mapping templates will plug in here (the compiler refuses them on WebSocket routes) |
 * | integrate    | `{"message":"Internal server error"}` / `Endpoint request timed out` frames              |
 * | respond      | the route response (`routeResponse: true`), group changes and broadcasts the reply asks for |
 *
 * Frames that end a message carry the connection id and the message's request id, as Amazon's do.
 */
import type { CompiledBundle } from "../deploy/compiled-bundle.ts";
import type { CompiledRoute } from "../deploy/compiled-route.ts";
import type { AppState } from "../pipeline/app-state.ts";
import type { RequestEnv } from "../pipeline/context.ts";
import { GatewayError } from "../pipeline/gateway-responses.ts";
import type { ConnectionAttachment } from "./attachment.ts";
import { DEFAULT_WS_ROUTE } from "../config/compile-websocket.ts";
import type { WsEventFacts } from "../wire/lambda/websocket-event.ts";
import { invokeWs, type WsReply } from "./invoke.ts";
import { selectRouteKey } from "./route-selection.ts";
import type { BundleJsonLimits } from "../config/bundle.ts";
import { jsonBodyProblem } from "../steps/validate/json-body.ts";
import { replyInstructions } from "./reply-headers.ts";

/** WebSocket close codes the hub sends (RFC 6455 §7.4.1), as Amazon uses them. */
export const CLOSE = { normal: 1000, goingAway: 1001, unsupportedData: 1003, policy: 1008, tooBig: 1009, internal: 1011 } as const;

/** What a step may do to the connection and the rest of the stage; the hub implements it. */
export interface HubActions {
  /** Sends to this connection (ignored once it is closed). */
  send(data: string): void;
  /** Delivers `$disconnect` once, then closes with `code`. */
  close(code: number, reason: string): void;
  /** Records the connection's new groups in its attachment. */
  setGroups(groups: string[]): void;
  /** Sends to every connection of the stage in `group`, on every hub. */
  broadcast(group: string, data: string): Promise<void>;
  /** Spends one message from the connection's bucket: false when it is empty. */
  admitMessage(): boolean;
}

export interface MessageContext {
  actions: HubActions;
  attachment: ConnectionAttachment;
  bundle: CompiledBundle;
  stageVariables: Record<string, string>;
  env: RequestEnv;
  exec: ExecutionContext;
  /** The hub instance's own state (src/pipeline/app-state.ts). */
  state: AppState;
  message: string | ArrayBuffer;
  /** The message as text (set by limits). */
  text: string;
  /** The message as JSON, parsed at most once; undefined when it is not JSON. */
  json(): unknown;
  messageId: string;
  requestId: string;
  receivedAt: number;
  route: CompiledRoute | undefined;
  reply: WsReply | undefined;
}

export type MessageStep = (m: MessageContext) => boolean | Promise<boolean>;

const encoder = new TextEncoder();

/** A string's UTF-8 length, without encoding it when it is short enough to be under `limit` whatever it holds. */
function utf8Length(text: string, limit: number): number {
  return text.length <= limit / 3 ? text.length : encoder.encode(text).byteLength;
}

/** An error frame as Amazon sends them: the message, the connection id and the request (or message) id. */
export function errorFrame(m: MessageContext, message: string, idKey: "requestId" | "messageId" = "requestId"): string {
  return JSON.stringify({ message, connectionId: m.attachment.portico.id, [idKey]: idKey === "requestId" ? m.requestId : m.messageId });
}

const limits: MessageStep = (m) => {
  const settings = m.bundle.bundle.websocket!.limits;
  // Amazon's WebSocket APIs take text frames only: a binary frame closes the connection with 1003.
  if (typeof m.message !== "string") {
    m.actions.close(CLOSE.unsupportedData, "Binary frames are not supported");
    return false;
  }
  // Workers hands the hub whole messages, so the frame limit is applied to the message (see the schema).
  const size = utf8Length(m.message, settings.maxFrameBytes);
  if (size > settings.maxFrameBytes || size > settings.maxMessageBytes) {
    m.actions.close(CLOSE.tooBig, size > settings.maxMessageBytes ? "Message too big" : "Frame too big");
    return false;
  }
  m.text = m.message;
  if (!m.actions.admitMessage()) {
    m.actions.send(errorFrame(m, "Too Many Requests"));
    return false;
  }
  return true;
};

const selectRoute: MessageStep = (m) => {
  const ws = m.bundle.websocket!;
  const key = selectRouteKey(ws.selection, m.json());
  // Amazon: a key with no route, or a message that is not JSON, goes to $default; $connect and $disconnect are
  // never selectable by a message.
  const route = key !== undefined && key !== "$connect" && key !== "$disconnect" ? ws.routes.get(key) : undefined;
  m.route = route ?? ws.routes.get(DEFAULT_WS_ROUTE);
  if (!m.route) {
    m.actions.send(errorFrame(m, "Forbidden"));
    return false;
  }
  return true;
};

const validate: MessageStep = (m) => {
  const validator = m.route!.bodyValidator();
  if (!validator) return true;
  const value = m.json();
  if (value === undefined || !validator.validate(value).valid) {
    m.actions.send(errorFrame(m, "Bad request body", "messageId"));
    return false;
  }
  return true;
};

const integrate: MessageStep = async (m) => {
  const p = m.attachment.portico;
  const facts: WsEventFacts = {
    eventType: "MESSAGE",
    routeKey: m.route!.spec.key,
    connectionId: p.id,
    connectedAt: p.connectedAt,
    messageId: m.messageId,
    requestId: m.requestId,
    requestTimeEpochMs: m.receivedAt,
    domainName: p.domainName,
    stage: p.stage,
    apiId: p.api,
    sourceIp: p.sourceIp,
    userAgent: p.userAgent,
    identity: m.attachment.app.identity,
    body: m.text,
  };
  try {
    m.reply = await invokeWs({ route: m.route!, bundle: m.bundle, facts, stageVariables: m.stageVariables, env: m.env, exec: m.exec, state: m.state });
    return true;
  } catch (err) {
    const error = err instanceof GatewayError ? err : new GatewayError("DEFAULT_5XX", { detail: String(err) });
    console.error(JSON.stringify({ level: "error", event: "websocket-integration-failed", api: p.api, stage: p.stage, connectionId: p.id, requestId: m.requestId, route: m.route!.spec.key, type: error.type, detail: error.message }));
    m.actions.send(errorFrame(m, error.type === "INTEGRATION_TIMEOUT" ? "Endpoint request timed out" : "Internal server error"));
    return false;
  }
};

const respond: MessageStep = async (m) => {
  const reply = m.reply!;
  const limit = m.bundle.bundle.websocket!.limits;
  const instructions = replyInstructions(reply.headers, m.attachment.app.groups, limit.maxGroupsPerConnection);
  if (instructions.groups) m.actions.setGroups(instructions.groups);
  if (m.route!.spec.routeResponse && reply.body !== "") {
    if (utf8Length(reply.body, limit.maxMessageBytes) > limit.maxMessageBytes) m.actions.send(errorFrame(m, "Internal server error"));
    else m.actions.send(reply.body);
  }
  if (instructions.broadcast && reply.body !== "") await m.actions.broadcast(instructions.broadcast, reply.body);
  return true;
};

export interface NamedStep {
  name: string;
  step: MessageStep | null;
}

export const MESSAGE_STEPS: readonly NamedStep[] = [
  { name: "limits", step: limits },
  { name: "select-route", step: selectRoute },
  { name: "validate", step: validate },
  { name: "transform", step: null },
  { name: "integrate", step: integrate },
  { name: "respond", step: respond },
];

/** Runs a message through the steps; the hub calls it from webSocketMessage. */
export async function runMessage(m: MessageContext, steps: readonly NamedStep[] = MESSAGE_STEPS): Promise<void> {
  for (const { step } of steps) if (step && !(await step(m))) return;
}

/**
 * A message's body as JSON: the parsed value, or undefined when it is not JSON — or is JSON that is ambiguous or
 * past the API's `settings.jsonLimits` (duplicate keys, lone surrogate escapes, too deep, too many values: the rules
 * validated HTTP bodies follow, steps/validate/json-body.ts). Such a message is routed as not JSON ($default) and
 * fails a body model, so route selection and the validator never judge a different document than a backend reads.
 */
export function parseMessageJson(text: string, limits: BundleJsonLimits): unknown {
  if (jsonBodyProblem(text, limits) !== null) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Lazily parsed JSON for a message context. */
export function lazyJson(get: () => string, limits: BundleJsonLimits): () => unknown {
  let parsed = false;
  let value: unknown;
  return () => {
    if (!parsed) {
      value = parseMessageJson(get(), limits);
      parsed = true;
    }
    return value;
  };
}
