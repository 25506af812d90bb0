/** WebSocket routing through a hub: route selection, $default, route responses, bad input — the hub unharmed. */
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { gatewayFor } from "../support/gateway.ts";
import { open } from "./support.ts";

const chat: ApiDefinition = {
  name: "ws-routing",
  flavor: "websocket",
  stages: { prod: {} },
  routes: {
    ping: { routeResponse: true, integration: { type: "mock", body: { pong: true } } },
    quiet: { integration: { type: "mock", body: { never: "sent" } } },
    $default: { routeResponse: true, integration: { type: "mock", body: { route: "$default" } } },
  },
};

const noDefault: ApiDefinition = {
  name: "ws-nodefault",
  flavor: "websocket",
  stages: { prod: {} },
  routeSelectionExpression: "${request.body.type}.${request.body.action}",
  routes: { "chat.ping": { routeResponse: true, integration: { type: "mock", body: "pong" } } },
};

describe("route selection", () => {
  it("answers a two-way route with its integration's body", async () => {
    const c = await open(await gatewayFor(chat));
    c.send(JSON.stringify({ action: "ping" }));
    expect(await c.next()).toBe('{"pong":true}');
  });

  it("sends nothing back for a route without routeResponse", async () => {
    const c = await open(await gatewayFor(chat));
    c.send(JSON.stringify({ action: "quiet" }));
    c.send(JSON.stringify({ action: "ping" }));
    expect(await c.next()).toBe('{"pong":true}');
    expect(c.pending()).toEqual([]);
  });

  it("sends a message that is not JSON, or names no route, to $default", async () => {
    const c = await open(await gatewayFor(chat));
    for (const frame of ["plain text", "{not json", JSON.stringify({ action: "nope" }), JSON.stringify({ other: 1 }), "[1,2]", JSON.stringify({ action: { nested: true } })]) {
      c.send(frame);
      expect(await c.nextJson(), frame).toEqual({ route: "$default" });
    }
  });

  it("never lets a message select $connect or $disconnect", async () => {
    const c = await open(await gatewayFor(chat));
    c.send(JSON.stringify({ action: "$connect" }));
    expect(await c.nextJson()).toEqual({ route: "$default" });
  });

  it("answers Amazon's Forbidden frame when nothing matches and there is no $default, and keeps serving", async () => {
    const c = await open(await gatewayFor(noDefault));
    c.send(JSON.stringify({ type: "chat", action: "nope" }));
    const frame = await c.nextJson<{ message: string; connectionId: string; requestId: string }>();
    expect(frame.message).toBe("Forbidden");
    expect(frame.connectionId).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(frame.requestId).toMatch(/^[0-9a-f-]{36}$/);
    c.send(JSON.stringify({ type: "chat", action: "ping" }));
    expect(await c.next()).toBe("pong");
  });

  it("refuses a plain GET of the stage URL with 426 and unknown paths with 403", async () => {
    const gw = await gatewayFor(chat);
    const plain = await gw.fetch("/prod");
    expect(plain.status).toBe(426);
    expect(plain.headers.get("upgrade")).toBe("websocket");
    const other = await gw.fetch("/prod/somewhere", { headers: { upgrade: "websocket" } });
    expect(other.status).toBe(403);
    expect(await other.json()).toEqual({ message: "Missing Authentication Token" });
  });
});
