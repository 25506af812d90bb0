import { describe, expect, it } from "vitest";
import { backendUrl, gatewayFor } from "../support/gateway.ts";

describe("cache smoke", () => {
  it("hits on the second request and keeps path apart", async () => {
    const gw = await gatewayFor({
      name: `c${crypto.randomUUID().slice(0, 6)}`,
      stages: { prod: { variables: { b: backendUrl() }, cache: { ttl: 60 } } },
      routes: { "GET /items/{id}": { integration: { type: "http_proxy", uri: "${stageVariables.b}/echo/{id}" } } },
    });
    const a1 = await gw.fetch("/prod/items/1");
    expect(a1.headers.get("x-cache")).toBe("MISS");
    await a1.text();
    await new Promise((r) => setTimeout(r, 100));
    const a2 = await gw.fetch("/prod/items/1");
    expect(a2.headers.get("x-cache")).toBe("HIT");
    expect(((await a2.json()) as { path: string }).path).toBe("/echo/1");
    const b = await gw.fetch("/prod/items/2");
    expect(b.headers.get("x-cache")).toBe("MISS");
    expect(((await b.json()) as { path: string }).path).toBe("/echo/2");
  });
});
