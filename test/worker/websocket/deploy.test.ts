/**
 * Publishing a new version of a WebSocket API drops no connection: each connection keeps the version it connected
 * with (its attachment names it), new connections get the stage's new version. Through the real Registry and the
 * Worker's app (deployments as published through the admin API).
 */
import { describe, expect, it } from "vitest";
import { gateway, publish, sleep, uniqueApi } from "../deploy/support.ts";
import { client } from "./support.ts";

const definition = (api: string, tag: string) => ({
  name: api,
  flavor: "websocket",
  domains: [{ host: `${api}.test`, stage: "prod" }],
  stages: { prod: {} },
  routes: { $default: { routeResponse: true, integration: { type: "mock", body: { tag } } } },
});

const connect = async (api: string) => {
  const res = await gateway(`http://${api}.test/`, { headers: { upgrade: "websocket" } });
  expect(res.status).toBe(101);
  return client(res);
};

describe("publishing a WebSocket API", () => {
  it("keeps open connections on their version and serves new ones the new version", async () => {
    const api = uniqueApi("ws-pub");
    await publish(definition(api, "v1"));
    const first = await connect(api);
    first.send("hi");
    expect(await first.nextJson()).toEqual({ tag: "v1" });

    await publish(definition(api, "v2"));
    await sleep(300); // REGISTRY_MEMO_MS is 200 in tests
    const second = await connect(api);
    second.send("hi");
    expect(await second.nextJson()).toEqual({ tag: "v2" });
    first.send("still there?");
    expect(await first.nextJson()).toEqual({ tag: "v1" });
  });
});
