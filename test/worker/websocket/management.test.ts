/**
 * `@connections` (Amazon's management API, SigV4-signed as AWS SDKs sign it), Portico's groups and broadcasts
 * across hubs: a message fanned out to a group or a whole stage reaches connections on every hub.
 */
import { AwsClient } from "aws4fetch";
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { gatewayFor, type TestGateway } from "../support/gateway.ts";
import { uid } from "../identity/support.ts";
import { eventually, open, sleep, type Client } from "./support.ts";

const ACCESS_KEY = "AKIAWSMANAGEMENT0001";
const SECRET = "management-secret-for-tests";
const signer = new AwsClient({ accessKeyId: ACCESS_KEY, secretAccessKey: SECRET, service: "execute-api", region: "us-east-1" });
const stranger = new AwsClient({ accessKeyId: ACCESS_KEY, secretAccessKey: "not-the-secret", service: "execute-api", region: "us-east-1" });

function definition(name: string, hubs = 4): ApiDefinition {
  return {
    name,
    flavor: "websocket",
    stages: { prod: {} },
    authorizers: { ops: { type: "sigv4", credentials: { [ACCESS_KEY]: "WS_MANAGEMENT_SECRET" } } },
    websocket: { hubs, management: { authorizer: "ops" } },
    routes: {
      $connect: { integration: { type: "mock", headers: { "x-portico-join": "everyone" } } },
      whoami: { routeResponse: true, integration: { type: "service", service: "LAMBDA_ECHO", payloadFormat: "1.0" } },
      join: { integration: { type: "mock", headers: { "x-portico-join": "room-a" } } },
      shout: { routeResponse: true, integration: { type: "mock", headers: { "x-portico-broadcast": "room-a" }, body: "to room-a" } },
    },
  };
}

async function gateway(name = `ws-mgmt-${uid()}`, hubs = 4) {
  return gatewayFor(definition(name, hubs), { WS_MANAGEMENT_SECRET: SECRET } as never);
}

async function connected(gw: TestGateway): Promise<{ c: Client; id: string }> {
  const c = await open(gw, "/prod", { "user-agent": "mgmt-test", "cf-connecting-ip": "198.51.100.7" });
  c.send(JSON.stringify({ action: "whoami" }));
  const event = await c.nextJson<{ requestContext: { connectionId: string } }>();
  return { c, id: event.requestContext.connectionId };
}

const signed = async (gw: TestGateway, method: string, path: string, body?: string, client = signer) =>
  gw.request(await client.sign(`http://gateway.test${path}`, { method, ...(body !== undefined ? { body } : {}) }));

describe("@connections", () => {
  it("POST sends the data to the connection; GET describes it; DELETE closes it; then 410 Gone", async () => {
    const gw = await gateway();
    const { c, id } = await connected(gw);
    const post = await signed(gw, "POST", `/prod/@connections/${id}`, "hello from the backend");
    expect(post.status).toBe(200);
    expect(await c.next()).toBe("hello from the backend");

    const got = await signed(gw, "GET", `/prod/@connections/${id}`);
    expect(got.status).toBe(200);
    const info = (await got.json()) as Record<string, unknown>;
    expect(info).toMatchObject({ identity: { sourceIp: "198.51.100.7", userAgent: "mgmt-test" } });
    expect(new Date(info.connectedAt as string).toISOString()).toBe(info.connectedAt);
    expect(new Date(info.lastActiveAt as string).toISOString()).toBe(info.lastActiveAt);

    const del = await signed(gw, "DELETE", `/prod/@connections/${id}`);
    expect(del.status).toBe(204);
    expect((await c.closed()).code).toBe(1000);
    const gone = await signed(gw, "POST", `/prod/@connections/${id}`, "too late");
    expect(gone.status).toBe(410);
    expect(gone.headers.get("x-amzn-ErrorType")).toBe("GoneException");
  });

  it("accepts the @ percent-encoded, as AWS SDKs send it", async () => {
    const gw = await gateway();
    const { c, id } = await connected(gw);
    expect((await signed(gw, "POST", `/prod/%40connections/${id}`, "encoded")).status).toBe(200);
    expect(await c.next()).toBe("encoded");
  });

  it("answers 410 for a made-up or malformed connection id without finding anything", async () => {
    const gw = await gateway();
    for (const id of ["AAAAAAAAAAAAAAAAAAAAAA", "AAEAAAAAAAAAAAAAAAAA", "x", "AAAAAAAAAAAAAAAA", "__proto__"]) {
      const res = await signed(gw, "POST", `/prod/@connections/${id}`, "x");
      expect(res.status, id).toBe(410);
    }
  });

  it("refuses unsigned and wrongly signed calls with 403, and sends nothing", async () => {
    const gw = await gateway();
    const { c, id } = await connected(gw);
    const unsigned = await gw.fetch(`/prod/@connections/${id}`, { method: "POST", body: "x" });
    expect(unsigned.status).toBe(403);
    const forged = await signed(gw, "POST", `/prod/@connections/${id}`, "x", stranger);
    expect(forged.status).toBe(403);
    expect(forged.headers.get("x-amzn-ErrorType")).toBe("InvalidSignatureException");
    await sleep(100);
    expect(c.pending()).toEqual([]);
  });

  it("answers 403 to every call when the definition names no management authorizer", async () => {
    const def = definition(`ws-nomgmt-${uid()}`);
    delete def.websocket!.management;
    const gw = await gatewayFor(def);
    const { id } = await connected(gw);
    const res = await signed(gw, "POST", `/prod/@connections/${id}`, "x");
    expect(res.status).toBe(403);
    expect(res.headers.get("x-amzn-ErrorType")).toBe("ForbiddenException");
  });

  it("answers 413 PayloadTooLargeException past the message limit", async () => {
    const gw = await gateway();
    const { c, id } = await connected(gw);
    const res = await signed(gw, "POST", `/prod/@connections/${id}`, "x".repeat(128 * 1024 + 1));
    expect(res.status).toBe(413);
    expect(res.headers.get("x-amzn-ErrorType")).toBe("PayloadTooLargeException");
    await sleep(50);
    expect(c.pending()).toEqual([]);
  });
});

describe("groups and broadcasts across hubs", () => {
  it("broadcasts to the whole stage: every connection on every hub gets it once", async () => {
    const gw = await gateway(`ws-bcast-${uid()}`, 4);
    const clients = await Promise.all(Array.from({ length: 10 }, () => connected(gw)));
    const res = await signed(gw, "POST", "/prod/@broadcast", "to everyone");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ delivered: 10 });
    for (const { c } of clients) expect(await c.next()).toBe("to everyone");
  });

  it("joins and leaves groups through the API, an integration reply's header, and the $connect reply", async () => {
    const gw = await gateway(`ws-groups-${uid()}`, 4);
    const [a, b, d] = await Promise.all([connected(gw), connected(gw), connected(gw)]);
    // everyone joined "everyone" through the $connect reply
    expect(await (await signed(gw, "POST", "/prod/@broadcast/everyone", "all")).json()).toEqual({ delivered: 3 });
    for (const x of [a, b, d]) expect(await x.c.next()).toBe("all");

    a.c.send(JSON.stringify({ action: "join" })); // the integration's x-portico-join header
    const put = await signed(gw, "PUT", `/prod/@connections/${b.id}/groups/room-a`);
    expect(await put.json()).toEqual({ groups: ["everyone", "room-a"] });
    // a's join runs through its integration: wait until the hub has it
    await eventually(async () => ((await (await signed(gw, "GET", `/prod/@connections/${a.id}`)).json()) as { groups: string[] }).groups.includes("room-a"));
    expect(await (await signed(gw, "POST", "/prod/@broadcast/room-a", "room news")).json()).toEqual({ delivered: 2 });
    expect(await a.c.next()).toBe("room news");
    expect(await b.c.next()).toBe("room news");

    await signed(gw, "DELETE", `/prod/@connections/${b.id}/groups/room-a`);
    d.c.send(JSON.stringify({ action: "shout" })); // d is not in room-a: gets its route response; room-a gets the broadcast
    expect(await d.c.next()).toBe("to room-a");
    expect(await a.c.next()).toBe("to room-a");
    await sleep(100);
    expect(b.c.pending()).toEqual([]);
  });

  it("refuses an invalid group name with 400", async () => {
    const gw = await gateway();
    const { id } = await connected(gw);
    expect((await signed(gw, "PUT", `/prod/@connections/${id}/groups/${"x".repeat(80)}`)).status).toBe(400);
  });
});
