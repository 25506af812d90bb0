/** The admin API's connection routes (what `portico connections` calls): live counts, send, broadcast, close. */
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { gatewayFor, type TestGateway } from "../support/gateway.ts";
import { uid } from "../identity/support.ts";
import { open, type Client } from "./support.ts";

const TOKEN = "test-admin-token";

const definition = (name: string): ApiDefinition => ({
  name,
  flavor: "websocket",
  stages: { prod: {} },
  websocket: { hubs: 3 },
  routes: {
    $connect: { integration: { type: "mock", headers: { "x-portico-join": "fans" } } },
    whoami: { routeResponse: true, integration: { type: "service", service: "LAMBDA_ECHO", payloadFormat: "1.0" } },
  },
});

const admin = (gw: TestGateway, path: string, init: { method?: string; json?: unknown } = {}) =>
  gw.fetch(`/_portico${path}`, {
    method: init.method ?? (init.json ? "POST" : "GET"),
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    ...(init.json ? { body: JSON.stringify(init.json) } : {}),
  });

async function connected(gw: TestGateway): Promise<{ c: Client; id: string }> {
  const c = await open(gw, "/prod");
  c.send(JSON.stringify({ action: "whoami" }));
  return { c, id: (await c.nextJson<{ requestContext: { connectionId: string } }>()).requestContext.connectionId };
}

describe("admin connection routes", () => {
  it("lists live connections with counts per version and group, over every hub", async () => {
    const api = `ws-admin-${uid()}`;
    const gw = await gatewayFor(definition(api));
    const [a, b] = [await connected(gw), await connected(gw)];
    const res = await admin(gw, `/apis/${api}/stages/prod/connections`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { stats: { connections: number; hubs: number; byVersion: Record<string, number>; groups: Record<string, number> }; connections: { connectionId: string }[] };
    expect(body.stats).toEqual({ connections: 2, hubs: 3, byVersion: { [gw.id]: 2 }, groups: { fans: 2 } });
    expect(body.connections.map((c) => c.connectionId).sort()).toEqual([a.id, b.id].sort());
  });

  it("sends to one connection, broadcasts to a group, closes one (then 410)", async () => {
    const api = `ws-admin-${uid()}`;
    const gw = await gatewayFor(definition(api));
    const [a, b] = [await connected(gw), await connected(gw)];
    expect((await admin(gw, `/apis/${api}/stages/prod/connections/${a.id}`, { json: { data: "just you" } })).status).toBe(200);
    expect(await a.c.next()).toBe("just you");
    const sent = await admin(gw, `/apis/${api}/stages/prod/broadcast`, { json: { data: "all fans", group: "fans" } });
    expect(await sent.json()).toEqual({ delivered: 2 });
    expect([await a.c.next(), await b.c.next()]).toEqual(["all fans", "all fans"]);
    expect((await admin(gw, `/apis/${api}/stages/prod/connections/${b.id}`, { method: "DELETE" })).status).toBe(200);
    expect((await b.c.closed()).code).toBe(1000);
    const gone = await admin(gw, `/apis/${api}/stages/prod/connections/${b.id}`);
    expect(gone.status).toBe(410);
  });

  it("refuses bad input with a clear error", async () => {
    const api = `ws-admin-${uid()}`;
    const gw = await gatewayFor(definition(api));
    expect((await admin(gw, `/apis/${api}/stages/nope/connections`)).status).toBe(404);
    expect((await admin(gw, `/apis/${api}/stages/prod/connections?limit=5000`)).status).toBe(400);
    const noData = await admin(gw, `/apis/${api}/stages/prod/broadcast`, { json: { group: "fans" } });
    expect(noData.status).toBe(400);
    expect(await noData.json()).toMatchObject({ errors: [{ path: "data", message: "required" }] });
    const restApi = `rest-${uid()}`;
    const rest = await gatewayFor({ name: restApi, stages: { prod: {} }, routes: { "GET /x": { integration: { type: "mock" } } } });
    const notWs = await admin(rest, `/apis/${restApi}/stages/prod/connections`);
    expect(notWs.status).toBe(409);
    expect(await notWs.json()).toEqual({ message: `${restApi} is not a WebSocket API (flavor rest)` });
  });
});
