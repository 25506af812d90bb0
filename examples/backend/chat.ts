/**
 * The chat example's handlers (examples/chat/api.yaml), as they would run on AWS behind a WebSocket API: one
 * Lambda-style handler for every route, reading Amazon's WebSocket event, and a Lambda-style authorizer. Rooms
 * are Portico groups: a reply's `x-portico-join`, `x-portico-leave` and `x-portico-broadcast` headers tell the
 * gateway what to do, so these handlers never call back into the gateway.
 */

interface WsEvent {
  body?: string;
  requestContext: { routeKey: string; eventType: "CONNECT" | "MESSAGE" | "DISCONNECT"; connectionId: string; authorizer?: { name?: string } };
}

const ROOM = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const NAME = /^[A-Za-z0-9 _.-]{1,32}$/;

const json = (value: unknown) => JSON.stringify(value);

export async function chat(event: WsEvent) {
  const { routeKey, eventType, authorizer } = event.requestContext;
  const name = authorizer?.name ?? "someone";
  if (eventType === "CONNECT") return { statusCode: 200, headers: { "x-portico-join": "lobby" } };
  if (eventType === "DISCONNECT") return { statusCode: 200 };
  let body: { room?: unknown; text?: unknown } = {};
  try {
    body = JSON.parse(event.body ?? "{}");
  } catch {
    // route selection sent it here, so it parsed once already
  }
  const room = typeof body.room === "string" && ROOM.test(body.room) ? body.room : null;
  if (!room) return { statusCode: 400, body: json({ error: "room must be a name like kitchen" }) };
  switch (routeKey) {
    case "join":
      return { statusCode: 200, headers: { "x-portico-join": room, "x-portico-broadcast": room }, body: json({ room, event: "joined", name }) };
    case "send":
      return { statusCode: 200, headers: { "x-portico-broadcast": room }, body: json({ room, from: name, text: body.text }) };
    case "leave":
      return { statusCode: 200, headers: { "x-portico-leave": room }, body: json({ room, event: "left" }) };
    default:
      return { statusCode: 400, body: json({ error: `no handler for ${routeKey}` }) };
  }
}

/** The `guest` authorizer (simple format): any short name is welcome; it reaches every message as context. */
export async function guest(event: { queryStringParameters?: Record<string, string> | null }) {
  const name = event.queryStringParameters?.name ?? "";
  return NAME.test(name) ? { isAuthorized: true, context: { name } } : { isAuthorized: false };
}
