/**
 * Amazon's WebSocket event, as a Lambda behind a WebSocket API receives it: `requestContext` with the connection
 * id, route key, event type (CONNECT, MESSAGE, DISCONNECT), connectedAt, messageId, domainName, stage …; the
 * request's headers and query string on CONNECT; headers on DISCONNECT (Amazon sends the handshake's); the
 * message as `body` on MESSAGE. Pure: every input arrives in {@link WsEventFacts}.
 */
import type { Identity } from "../identity.ts";

export type WsEventType = "CONNECT" | "MESSAGE" | "DISCONNECT";

export interface WsEventFacts {
  eventType: WsEventType;
  routeKey: string;
  connectionId: string;
  connectedAt: number;
  /** MESSAGE only. */
  messageId?: string;
  requestId: string;
  requestTimeEpochMs: number;
  domainName: string;
  stage: string;
  apiId: string;
  sourceIp: string;
  userAgent: string;
  identity: Identity | null;
  /** MESSAGE: the message text; null otherwise. */
  body: string | null;
  /** CONNECT: the upgrade request's headers and query string. */
  headers?: Headers;
  query?: URLSearchParams;
  disconnectStatusCode?: number;
  disconnectReason?: string;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Amazon's `requestTime`: `09/Feb/2019:10:00:00 +0000`. */
function requestTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** `requestContext.authorizer` as a WebSocket Lambda sees it: the principal and the authorizer's context (or JWT claims). */
function authorizerContext(identity: Identity): Record<string, unknown> {
  if (identity.type === "jwt") return { principalId: identity.principalId, claims: identity.claims ?? {}, scopes: identity.scopes.length ? identity.scopes : null };
  return { principalId: identity.principalId, ...identity.context };
}

function headerMaps(headers: Headers): { headers: Record<string, string>; multiValueHeaders: Record<string, string[]> } {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of headers) {
    single[name] = value;
    multi[name] = value.split(",").map((v) => v.trim());
  }
  return { headers: single, multiValueHeaders: multi };
}

export function buildWsEvent(f: WsEventFacts): Record<string, unknown> {
  const requestContext: Record<string, unknown> = {
    routeKey: f.routeKey,
    eventType: f.eventType,
    extendedRequestId: f.requestId,
    requestTime: requestTime(f.requestTimeEpochMs),
    messageDirection: "IN",
    stage: f.stage,
    connectedAt: f.connectedAt,
    requestTimeEpoch: f.requestTimeEpochMs,
    identity: { sourceIp: f.sourceIp, userAgent: f.userAgent },
    requestId: f.requestId,
    domainName: f.domainName,
    connectionId: f.connectionId,
    apiId: f.apiId,
  };
  if (f.messageId) requestContext.messageId = f.messageId;
  if (f.identity) requestContext.authorizer = authorizerContext(f.identity);
  if (f.eventType === "DISCONNECT") {
    requestContext.disconnectStatusCode = f.disconnectStatusCode ?? 1005;
    requestContext.disconnectReason = f.disconnectReason ?? "";
  }
  const event: Record<string, unknown> = { requestContext, isBase64Encoded: false };
  if (f.headers) Object.assign(event, headerMaps(f.headers));
  if (f.query) {
    const single: Record<string, string> = {};
    const multi: Record<string, string[]> = {};
    for (const [name, value] of f.query) {
      single[name] = value;
      (multi[name] ??= []).push(value);
    }
    event.queryStringParameters = Object.keys(single).length ? single : null;
    event.multiValueQueryStringParameters = Object.keys(multi).length ? multi : null;
  }
  if (f.eventType === "MESSAGE") event.body = f.body ?? "";
  return event;
}
