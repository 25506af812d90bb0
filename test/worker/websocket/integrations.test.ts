/**
 * WebSocket routes and the integration fields of issue 15: a private integration (`connectionType: VPC_LINK`) carries
 * a message through the Worker binding `connectionId` names (the test Worker LAMBDA_ECHO, which echoes the request it
 * got), with the URI's path as on REST APIs — Amazon's WebSocket APIs use REST-style VPC links — and a private host
 * name allowed outside local development. The kinds WebSocket routes refuse (aws, queue, r2, workflow, streaming)
 * are compile-time refusals: src/config/compile-websocket.test.ts.
 */
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { gatewayFor } from "../support/gateway.ts";
import { open } from "./support.ts";

const privateChat: ApiDefinition = {
  name: "ws-private",
  flavor: "websocket",
  stages: { prod: {} },
  routes: {
    send: {
      routeResponse: true,
      integration: { type: "http_proxy", uri: "http://chat.internal/v1/messages", connectionType: "VPC_LINK", connectionId: "LAMBDA_ECHO" },
    },
    $default: { routeResponse: true, integration: { type: "mock", body: { route: "$default" } } },
  },
};

interface Echo {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

describe("WebSocket routes through a VPC link", () => {
  it("sends the message through the binding to the URI's path, with the connection's facts, and answers with the reply", async () => {
    // PORTICO_LOCAL_DEV off: the private host name compiles because the request never goes over the network.
    const gw = await gatewayFor(privateChat, { PORTICO_LOCAL_DEV: "false" });
    const c = await open(gw);
    const message = JSON.stringify({ action: "send", text: "hello" });
    c.send(message);
    const echo = await c.nextJson<Echo>();
    expect([echo.method, echo.path, echo.body]).toEqual(["POST", "/v1/messages", message]);
    expect(echo.headers["x-portico-route-key"]).toBe("send");
    expect(echo.headers["x-portico-event-type"]).toBe("MESSAGE");
    expect(echo.headers["x-portico-connection-id"]).toMatch(/^[A-Za-z0-9_-]{16}$/);
    // The connection keeps serving its other routes.
    c.send("plain text");
    expect(await c.nextJson()).toEqual({ route: "$default" });
  });
});
