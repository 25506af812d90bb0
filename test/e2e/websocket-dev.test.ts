/**
 * The example chat through `npm run dev` (`portico dev` with the pet store and `--with` the chat, i.e. wrangler dev),
 * with a real WebSocket client: what a user does on a fresh clone. Started detached and stopped by its process
 * group (support/dev-server.ts), which checks that nothing it started outlives it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolatedCheckout, type Checkout } from "./support/checkout.ts";
import { startDev, type DevServer } from "./support/dev-server.ts";
import { chatClient } from "./support/ws-client.ts";

let checkout: Checkout;
let server: DevServer | undefined;

beforeAll(async () => {
  checkout = isolatedCheckout();
  server = await startDev(checkout.dir, ["npm", "run", "dev", "--"]);
}, 120_000);

afterAll(async () => {
  await server?.dispose();
  checkout?.dispose();
});

describe("npm run dev serves the example chat", () => {
  it("names the chat in its banner; two clients in a room hear each other; the pet store still answers", async () => {
    expect(server!.output.text()).toMatch(/also serving examples\/chat\/api\.yaml: API chat, \d+ routes, on its domains only/);
    const url = (name: string) => `ws://chat.localhost:${server!.port}/?name=${name}`;
    const [ada, bob] = [await chatClient(url("ada"), "127.0.0.1"), await chatClient(url("bob"), "127.0.0.1")];
    ada.send({ action: "join", room: "kitchen" });
    expect(await ada.next()).toEqual({ room: "kitchen", event: "joined", name: "ada" });
    bob.send({ action: "join", room: "kitchen" });
    expect(await bob.next()).toEqual({ room: "kitchen", event: "joined", name: "bob" });
    bob.send({ action: "send", room: "kitchen", text: "dinner?" });
    expect(await ada.next()).toEqual({ room: "kitchen", event: "joined", name: "bob" });
    expect(await ada.next()).toEqual({ room: "kitchen", from: "bob", text: "dinner?" });
    ada.close();
    bob.close();
    const pets = await fetch(`${server!.url}/prod/pets/2`);
    expect(pets.status).toBe(200);
  });

  it("stops with nothing left running", async () => {
    await server!.stop();
    server = undefined;
  });
});
