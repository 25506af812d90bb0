/**
 * Private integrations (`connectionType: VPC_LINK`) through the pipeline: the request goes through the Worker binding
 * `connectionId` names (here the test Worker LAMBDA_ECHO, which echoes the request it got), never over the network,
 * so a private host name is no refused target even outside local development. The path is Amazon's: REST APIs send
 * the URI's path; HTTP APIs send the request's own path with the stage first, unless `overwrite:path` maps it.
 */
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import type { IntegrationDefinition } from "../../../src/config/integration-types.ts";
import { gatewayFor } from "../support/gateway.ts";

const vpc = (uri: string, more: Record<string, unknown> = {}): IntegrationDefinition =>
  ({ type: "http_proxy", uri, connectionType: "VPC_LINK", connectionId: "LAMBDA_ECHO", ...more }) as IntegrationDefinition;

const echoed = async (res: Response) => (await res.json()) as { path: string; query: string; headers: Record<string, string> };

describe("VPC_LINK private integrations", () => {
  it("REST: the URI's path, through the binding, with a private host name allowed in production", async () => {
    const def: ApiDefinition = { name: "private", stages: { prod: {} }, routes: { "GET /orders/{proxy+}": { integration: vpc("http://orders.internal/v1/{proxy}") } } };
    const gw = await gatewayFor(def, { PORTICO_LOCAL_DEV: "false" });
    const res = await gw.fetch("/prod/orders/7/lines?x=1");
    expect(res.status).toBe(200);
    const seen = await echoed(res);
    expect([seen.path, seen.query]).toEqual(["/v1/7/lines", "?x=1"]);
  });

  it("HTTP APIs: the stage leads the path sent, as on Amazon; overwrite:path takes it away", async () => {
    const def: ApiDefinition = {
      name: "private-http",
      flavor: "http",
      stages: { prod: {}, beta: {} },
      routes: {
        "GET /orders/{id}": { integration: vpc("http://orders.internal") },
        "GET /items/{id}": { integration: vpc("http://orders.internal", { requestParameters: { "overwrite:path": "$request.path" } }) },
      },
    };
    const gw = await gatewayFor(def, { PORTICO_LOCAL_DEV: "false" });
    expect((await echoed(await gw.fetch("/prod/orders/7"))).path).toBe("/prod/orders/7");
    expect((await echoed(await gw.fetch("/beta/orders/7?q=a"))).path).toBe("/beta/orders/7");
    expect((await echoed(await gw.fetch("/prod/items/9"))).path).toBe("/items/9");
  });

  it("answers 500 when the Worker has no binding of that name", async () => {
    const def: ApiDefinition = { name: "private", stages: { prod: {} }, routes: { "GET /x": { integration: vpc("http://orders.internal/x", { connectionId: "NO_SUCH_LINK" }) } } };
    expect((await (await gatewayFor(def)).fetch("/prod/x")).status).toBe(500);
  });
});
