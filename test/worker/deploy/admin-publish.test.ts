/** Publishing through the admin API and serving through the data plane: the Worker's own entry, real Registry and KV. */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

const TOKEN = "test-admin-token";
const admin = (path: string, init: RequestInit & { json?: unknown } = {}) =>
  SELF.fetch(`http://localhost/_portico${path}`, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...(init.headers ?? {}) },
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
  });

function definition(api: string, message: string, extra: Record<string, unknown> = {}) {
  return {
    name: api,
    stages: { prod: { variables: { who: "prod" } }, beta: {} },
    routes: { "GET /hello": { integration: { type: "mock", body: { message } } } },
    ...extra,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("admin API: publish and serve", () => {
  it("publishes a definition and serves it on the stage within the memo bound", async () => {
    const res = await admin("/deployments", { method: "POST", json: { definition: definition("petstore", "v2"), stage: "prod", description: "second" } });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { changed: boolean; stage: { deploymentId: string } };
    expect(body.changed).toBe(true);
    expect(body.stage.deploymentId).toMatch(/^[0-9a-f]{64}$/);
    await sleep(250);
    const served = await SELF.fetch("http://localhost/prod/hello");
    expect(await served.json()).toEqual({ message: "v2" });
    expect(served.headers.get("x-portico-version")).toBe(body.stage.deploymentId.slice(0, 12));
    // The bundle is in KV under its content id.
    expect(await env.BUNDLES.get(`bundle:${body.stage.deploymentId}`)).not.toBeNull();
  });

  it("refuses an invalid definition with every error path, and changes nothing", async () => {
    const res = await admin("/deployments", {
      method: "POST",
      json: { definition: { name: "Bad Name", stages: {}, routes: { "GET /x": { integraton: {} } } }, stage: "prod" },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { path: string; message: string }[] };
    expect(body.errors.map((e) => e.path)).toEqual(
      expect.arrayContaining(["definition.name", "definition.stages", 'definition.routes["GET /x"].integration', 'definition.routes["GET /x"].integraton']),
    );
  });

  it("needs the bearer token", async () => {
    const res = await SELF.fetch("http://localhost/_portico/apis", { headers: { authorization: "Bearer wrong" } });
    expect(res.status).toBe(401);
    expect((await SELF.fetch("http://localhost/_portico/apis")).status).toBe(401);
    expect((await SELF.fetch("http://localhost/_portico/openapi.json")).status).toBe(200);
  });
});
