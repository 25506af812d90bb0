/** A guarded route cannot be reached under an encoded spelling of its path (the matched path is the forwarded one). */
import { describe, expect, it } from "vitest";
import { backendUrl, gatewayFor } from "../support/gateway.ts";

describe("percent-encoded spellings of a guarded path", () => {
  it("route to the guarded route, not to a greedy one behind it, and are forwarded decoded", async () => {
    const gw = await gatewayFor({
      name: `enc-${crypto.randomUUID().slice(0, 8)}`,
      stages: { prod: {} },
      routes: {
        "GET /admin": { apiKeyRequired: true, integration: { type: "mock", body: { guarded: true } } },
        "ANY /{proxy+}": { integration: { type: "http_proxy", uri: `${backendUrl()}/echo/{proxy}` } },
      },
    });
    for (const spelling of ["/prod/admin", "/prod/%61dmin", "/prod/%61%64%6D%69%6E", "/prod/ADMIN".toLowerCase()]) {
      const res = await gw.fetch(spelling);
      expect(res.status, spelling).toBe(403);
      expect(await res.text()).toBe('{"message":"Forbidden"}');
    }
    const other = await gw.fetch("/prod/%61dmins");
    expect(((await other.json()) as { path: string }).path).toBe("/echo/admins");
  });
});
