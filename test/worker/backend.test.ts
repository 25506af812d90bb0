import { describe, expect, it } from "vitest";
import { backendUrl, gatewayFor } from "./support/gateway.ts";

describe("test support", () => {
  it("reaches the local backend through an http_proxy route", async () => {
    const gw = await gatewayFor({
      name: "t",
      stages: { prod: { variables: { backend: backendUrl() } } },
      routes: { "ANY /{proxy+}": { integration: { type: "http_proxy", uri: "${stageVariables.backend}/echo/{proxy}" } } },
    });
    const res = await gw.fetch("/prod/a/b?x=1", { headers: { "x-test": "1" } });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as { path: string; query: string; headers: Record<string, string> };
    expect(echo.path).toBe("/echo/a/b");
    expect(echo.query).toBe("?x=1");
    expect(echo.headers["x-test"]).toBe("1");
  });
});
