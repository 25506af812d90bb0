/**
 * The example chat through `npm run dev`'s command (`portico dev` with both example definitions, i.e. wrangler
 * dev), with a real WebSocket client: what a user does on a fresh clone. Started detached and stopped by its
 * process group, so no workerd outlives the test.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolatedCheckout, processGroup, type Checkout } from "./support/checkout.ts";
import { chatClient } from "./support/ws-client.ts";

let checkout: Checkout;
let child: ChildProcess | undefined;
let port = 0;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port: p } = server.address() as { port: number };
      server.close(() => resolve(p));
    });
  });
}

beforeAll(async () => {
  checkout = isolatedCheckout();
  port = await freePort();
  const inspector = await freePort();
  const examples = ["petstore", "chat"].map((n) => join(checkout.dir, "examples", n, "api.yaml"));
  child = spawn(process.execPath, [join(checkout.dir, "cli", "portico.mjs"), "dev", ...examples, "--port", String(port), "--", "--ip", "127.0.0.1", "--inspector-port", String(inspector)], {
    cwd: checkout.dir,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wrangler dev not ready in 60 s:\n${output}`)), 60_000);
    const check = (chunk: Buffer) => {
      output += chunk.toString();
      if (/Ready on http/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child!.stdout!.on("data", check);
    child!.stderr!.on("data", check);
    child!.once("exit", (code) => reject(new Error(`portico dev exited (${code}):\n${output}`)));
  });
}, 90_000);

afterAll(async () => {
  if (child?.pid && processGroup(child.pid).length) {
    const exited = new Promise((resolve) => child!.once("exit", resolve));
    process.kill(-child.pid, "SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (processGroup(child.pid).length) process.kill(-child.pid, "SIGKILL");
  }
  checkout?.dispose();
});

describe("npm run dev serves the example chat", () => {
  it("two clients in a room hear each other; the pet store still answers", async () => {
    const url = (name: string) => `ws://chat.localhost:${port}/?name=${name}`;
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
    const pets = await fetch(`http://127.0.0.1:${port}/prod/pets/2`);
    expect(pets.status).toBe(200);
  });
});
