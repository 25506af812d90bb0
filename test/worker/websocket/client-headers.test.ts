/**
 * What a WebSocket client may not send: the upgrade request's headers follow the rules of every route
 * (security/client-headers.ts). Portico's namespace — the connection headers the gateway sets for http
 * integrations and the group instructions a backend's reply may carry — its aliases, and other gateways' internal
 * headers never reach the `$connect` integration or the CONNECT event, and a client's `x-portico-join` joins
 * nothing. Group instructions in a reply are the gateway's to consume: never forwarded to the client.
 */
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { backendUrl, gatewayFor, type TestGateway } from "../support/gateway.ts";
import { uid } from "../identity/support.ts";
import { open } from "./support.ts";

const TOKEN = "test-admin-token";

/** What a client sends on the upgrade, trying to pass for the gateway (or to steer it). */
const FORGED = {
  "x-portico-connection-id": "forged-id",
  X_Portico_Connection_Id: "forged-alias",
  "x.portico.route-key": "forged-route",
  "x-portico-join": "admins",
  "x-portico-broadcast": "admins",
  "X-Portico-Leave": "*",
  "x-envoy-internal": "true",
  "x-apigateway-event": "{}",
};

async function recorded(tag: string): Promise<Record<string, string>> {
  const res = await fetch(`${backendUrl()}/__record?tag=${tag}`);
  const body = (await res.json()) as { headers: Record<string, string> } | null;
  if (!body) throw new Error(`the backend recorded nothing for ${tag}`);
  return body.headers;
}

async function groupsOf(gw: TestGateway, api: string): Promise<Record<string, number>> {
  const res = await gw.fetch(`/_portico/apis/${api}/stages/prod/connections`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { stats: { groups: Record<string, number> } }).stats.groups;
}

describe("client headers on the upgrade", () => {
  it("never reach an http $connect integration: the connection id is the gateway's, forged and aliased copies and foreign internal headers are gone", async () => {
    const api = `ws-hdr-${uid()}`;
    const tag = `ws-hdr-${uid()}`;
    const gw = await gatewayFor({
      name: api,
      flavor: "websocket",
      stages: { prod: {} },
      routes: {
        $connect: { integration: { type: "http_proxy", uri: `${backendUrl()}/record/${tag}` } },
        whoami: { routeResponse: true, integration: { type: "service", service: "LAMBDA_ECHO", payloadFormat: "1.0" } },
      },
    } as ApiDefinition);
    const c = await open(gw, "/prod", FORGED);
    const headers = await recorded(tag);
    c.send(JSON.stringify({ action: "whoami" }));
    const { requestContext } = await c.nextJson<{ requestContext: { connectionId: string } }>();

    expect(headers["x-portico-connection-id"]).toBe(requestContext.connectionId);
    expect(headers["x-portico-route-key"]).toBe("$connect");
    expect(headers["x-portico-event-type"]).toBe("CONNECT");
    const names = Object.keys(headers);
    expect(names.filter((n) => /^x[-_.]portico[-_.](join|leave|broadcast)$/i.test(n))).toEqual([]);
    expect(names.filter((n) => n.includes("_") || n.includes("."))).toEqual([]);
    expect(names.filter((n) => n.startsWith("x-envoy-") || n.startsWith("x-apigateway-"))).toEqual([]);
    // A client's x-portico-join joined nothing.
    expect(await groupsOf(gw, api)).toEqual({});
  });

  it("never reach the CONNECT event of a Lambda-style $connect, and a client's group headers join nothing", async () => {
    const api = `ws-hdr-${uid()}`;
    // A stand-in for the Lambda behind the binding (outside the product): it records the events it is given over
    // RPC and lets the connection in (a handler returning nothing).
    const events: { headers: Record<string, string>; requestContext: { eventType: string; connectionId: string } }[] = [];
    const RECORDER = {
      fetch: () => Promise.resolve(new Response("events arrive over RPC", { status: 404 })),
      invokeLambda: (event: (typeof events)[number]) => {
        events.push(event);
        return Promise.resolve({ payload: "null" });
      },
    };
    const gw = await gatewayFor(
      {
        name: api,
        flavor: "websocket",
        stages: { prod: {} },
        routes: { $connect: { integration: { type: "service", service: "RECORDER", payloadFormat: "1.0" } } },
      } as ApiDefinition,
      { RECORDER } as never,
    );
    await open(gw, "/prod?room=lobby", { ...FORGED, "x-visible": "kept" });
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event!.requestContext.eventType).toBe("CONNECT");
    expect(event!.requestContext.connectionId).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(event!.headers["x-visible"]).toBe("kept");
    const names = Object.keys(event!.headers);
    expect(names.filter((n) => /portico/i.test(n))).toEqual([]);
    expect(names.filter((n) => n.startsWith("x-envoy-") || n.startsWith("x-apigateway-"))).toEqual([]);
    expect(await groupsOf(gw, api)).toEqual({});
  });

  it("a backend's group instructions are consumed, never forwarded: a $connect refusal carries only its body and type", async () => {
    const gw = await gatewayFor({
      name: `ws-hdr-${uid()}`,
      flavor: "websocket",
      stages: { prod: {} },
      routes: {
        $connect: {
          integration: { type: "mock", status: 403, headers: { "x-portico-join": "admins", "x-portico-broadcast": "admins", "x-other": "1" }, body: { message: "no" } },
        },
      },
    } as ApiDefinition);
    const res = await gw.fetch("/prod", { headers: { upgrade: "websocket" } });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ message: "no" });
    const names = [...res.headers.keys()];
    expect(names.filter((n) => n.startsWith("x-portico-") && n !== "x-portico-version")).toEqual([]);
  });
});
