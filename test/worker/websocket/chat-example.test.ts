/**
 * The example chat (examples/chat/api.yaml, embedded beside the pet store as `npm run dev` serves it) through the
 * Worker's own entry: the name checked once by the demo backend's authorizer, rooms as groups, broadcasts.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { client, type Client } from "./support.ts";

const isEqual = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

async function join(name: string): Promise<Client> {
  const res = await SELF.fetch(`http://chat.localhost/?name=${encodeURIComponent(name)}`, { headers: { upgrade: "websocket" } });
  expect(res.status).toBe(101);
  return client(res);
}

describe("the example chat", () => {
  it("refuses a connection without a name (401) or with a bad one (403)", async () => {
    expect((await SELF.fetch("http://chat.localhost/", { headers: { upgrade: "websocket" } })).status).toBe(401);
    expect((await SELF.fetch("http://chat.localhost/?name=%3Cscript%3E", { headers: { upgrade: "websocket" } })).status).toBe(403);
  });

  it("joins a room, sends to it, and everyone in the room hears it with the sender's name", async () => {
    const room = `room-${crypto.randomUUID().slice(0, 8)}`;
    const [ada, bob, eve] = [await join("ada"), await join("bob"), await join("eve")];
    ada.send(JSON.stringify({ action: "join", room }));
    expect(await ada.nextJson()).toEqual({ room, event: "joined", name: "ada" });
    bob.send(JSON.stringify({ action: "join", room }));
    // Ada's own "joined" broadcast may still be reaching bob's hub as he joins (docs/websockets.md: no order across
    // hubs), so bob may hear it first; nothing else may arrive before his own.
    const adaJoined = { room, event: "joined", name: "ada" };
    const bobFirst = await bob.nextJson();
    expect(bobFirst).toEqual(isEqual(bobFirst, adaJoined) ? adaJoined : { room, event: "joined", name: "bob" });
    if (isEqual(bobFirst, adaJoined)) expect(await bob.nextJson()).toEqual({ room, event: "joined", name: "bob" });
    expect(await ada.nextJson()).toEqual({ room, event: "joined", name: "bob" });

    bob.send(JSON.stringify({ action: "send", room, text: "hello" }));
    expect(await ada.nextJson()).toEqual({ room, from: "bob", text: "hello" });
    expect(await bob.nextJson()).toEqual({ room, from: "bob", text: "hello" });
    eve.send(JSON.stringify({ action: "ping" }));
    expect(await eve.nextJson()).toEqual({ pong: true }); // eve is not in the room: nothing else arrived before
  });

  it("answers a message that fails the send model with Amazon's Bad request body frame", async () => {
    const ada = await join("ada");
    ada.send(JSON.stringify({ action: "send", room: "lobby" }));
    expect(await ada.nextJson()).toMatchObject({ message: "Bad request body" });
  });
});
