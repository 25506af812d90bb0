/**
 * WebSocket APIs end to end: the Worker built as it ships, in workerd, driven by a real WebSocket client (`ws`)
 * over a loopback socket — the example chat (examples/chat, on chat.localhost), the README's client command, the
 * `@connections`-style admin operations and `portico connections`. The chat through `npm run dev` (wrangler dev)
 * is in websocket-dev.test.ts.
 */
import { spawn } from "node:child_process";
import { lookup } from "node:dns";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startBuiltWorker, type BuiltWorker } from "./support/built-worker.ts";
import { isolatedCheckout, type Checkout } from "./support/checkout.ts";
import { chatClient, type ChatClient } from "./support/ws-client.ts";

const TOKEN = "e2e-admin-token";
let checkout: Checkout;
let worker: BuiltWorker;

beforeAll(async () => {
  checkout = isolatedCheckout();
  worker = await startBuiltWorker(checkout, { ADMIN_TOKEN: TOKEN });
}, 90_000);

afterAll(async () => {
  await worker?.dispose();
  checkout?.dispose();
});

const chatUrl = (query = "") => `ws://chat.localhost:${worker.port}/${query}`;
const join_ = (name: string): Promise<ChatClient> => chatClient(chatUrl(`?name=${name}`), "127.0.0.1");

describe("the example chat over real WebSockets", () => {
  it("refuses the upgrade with the authorizer's 401 when no name is given", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(chatUrl(), { lookup: (_h, o, cb) => lookup("127.0.0.1", o, cb) });
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => reject(new Error("connected without a name")));
      ws.on("error", () => {});
    });
    expect(status).toBe(401);
  });

  it("joins a room, sends, and the room hears it; ping answers pong; nonsense gets $default's answer", async () => {
    const room = `e2e-${Date.now()}`;
    const ada = await join_("ada");
    const bob = await join_("bob");
    ada.send({ action: "join", room });
    expect(await ada.next()).toEqual({ room, event: "joined", name: "ada" });
    bob.send({ action: "join", room });
    expect(await bob.next()).toEqual({ room, event: "joined", name: "bob" });
    expect(await ada.next()).toEqual({ room, event: "joined", name: "bob" });
    ada.send({ action: "send", room, text: "hi bob" });
    expect(await bob.next()).toEqual({ room, from: "ada", text: "hi bob" });
    expect(await ada.next()).toEqual({ room, from: "ada", text: "hi bob" });
    bob.send({ action: "ping" });
    expect(await bob.next()).toEqual({ pong: true });
    bob.sendRaw("not json at all");
    expect(await bob.next()).toMatchObject({ message: expect.stringContaining("Unknown action") });
    ada.close();
    bob.close();
  });

  it("runs one connection's messages in the order sent, back to back: each send sees the join before it", async () => {
    // `send` has no route response: the sender hears its text only through the room's broadcast, so a send run
    // before the join, or two sends delivered swapped, shows here. This checks the runtime's delivery order with
    // nothing in between; it does not prove the hub's own queue (these integrations take about equally long, so
    // they finish in order without it) — the gated tests in test/worker/websocket/hub.test.ts do. There, the test
    // pool's Durable Object wrapper can reorder back-to-back messages before the hub sees them.
    const room = `e2e-order-${Date.now()}`;
    const cleo = await join_("cleo");
    cleo.send({ action: "join", room });
    for (let i = 1; i <= 5; i++) cleo.send({ action: "send", room, text: `m${i}` });
    expect(await cleo.next()).toEqual({ room, event: "joined", name: "cleo" });
    for (let i = 1; i <= 5; i++) expect(await cleo.next()).toEqual({ room, from: "cleo", text: `m${i}` });
    cleo.close();
  });

  it("closes a client that sends a frame over 32 KB with 1009", async () => {
    const ada = await join_("ada");
    ada.sendRaw("x".repeat(33 * 1024));
    expect((await ada.closed()).code).toBe(1009);
  });

  it("the README's client command talks to it", async () => {
    const room = `readme-${Date.now()}`;
    const listener = await join_("lis");
    listener.send({ action: "join", room });
    expect(await listener.next()).toMatchObject({ event: "joined" });
    const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [join(checkout.dir, "examples", "chat", "client.mjs"), "cli", room, "--say", "from the client", "--url", chatUrl()], { cwd: checkout.dir });
      let out = "";
      child.stdout.on("data", (c: Buffer) => (out += c.toString()));
      child.stderr.on("data", (c: Buffer) => (out += c.toString()));
      child.on("close", (code) => resolve({ code, out }));
    });
    expect(result.code, result.out).toBe(0);
    expect(result.out).toContain(`[${room}] cli: from the client`);
    expect(await listener.next()).toMatchObject({ event: "joined", name: "cli" });
    expect(await listener.next()).toEqual({ room, from: "cli", text: "from the client" });
  });
});

describe("portico connections against the running Worker", () => {
  const portico = (...args: string[]) => checkout.cli([...args, "--api", "chat", "--stage", "prod", "--url", worker.url.origin, "--token", TOKEN]);

  it("lists live connections with counts, sends to one, broadcasts, and closes one", async () => {
    const room = `cli-${Date.now()}`;
    const ada = await join_("ada");
    ada.send({ action: "join", room });
    await ada.next();
    const listed = await portico("connections", "list", "--group", room, "--json");
    expect(listed.status, listed.stderr).toBe(0);
    const listing = JSON.parse(listed.stdout) as { stats: { connections: number; hubs: number; groups: Record<string, number> }; connections: { connectionId: string; principalId: string | null }[] };
    expect(listing.stats.hubs).toBe(4);
    expect(listing.stats.groups[room]).toBe(1);
    expect(listing.stats.connections).toBeGreaterThanOrEqual(1);
    const id = listing.connections[0]!.connectionId;

    const text = await portico("connections", "list");
    expect(text.stdout).toMatch(/chat\/prod: \d+ connections? on 4 hubs/);

    expect((await portico("connections", "send", id, "hello ada")).status).toBe(0);
    expect(await ada.nextText()).toBe("hello ada");
    const sent = await portico("connections", "send", "--group", room, "room news");
    expect(sent.stdout).toContain("delivered to 1 connection in");
    expect(await ada.nextText()).toBe("room news");
    expect((await portico("connections", "close", id)).status).toBe(0);
    expect((await ada.closed()).code).toBe(1000);
    const again = await portico("connections", "close", id);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("gone");
  });
});
