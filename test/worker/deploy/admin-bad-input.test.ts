/**
 * The admin API refusing bad input: tokens, invalid definitions, out-of-range numbers, unknown names, oversized
 * and non-JSON bodies, the reserved prefix; every refusal has a status and field paths, and changes nothing.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { adminApp } from "../../../src/admin/index.ts";
import { MAX_ADMIN_BODY_BYTES } from "../../../src/admin/http.ts";
import { ADMIN_PREFIX } from "../../../src/app.ts";
import { admin, appOn, definition, ENV, publish, uniqueApi } from "./support.ts";

type ErrorBody = { message: string; errors?: { path: string; message: string }[] };

async function refused(res: Response, status: number): Promise<ErrorBody> {
  const body = (await res.json()) as ErrorBody;
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(typeof body.message).toBe("string");
  return body;
}
const paths = (body: ErrorBody) => (body.errors ?? []).map((e) => e.path);

/** A published API and a way to read its prod stage (pointer, canary) and deployment count. */
async function published() {
  const api = uniqueApi("bad");
  const id = await publish(definition(api, "v1"));
  const snapshot = async () => {
    const stage = await (await admin(`/apis/${api}/stages/prod`)).json();
    const deployments = ((await (await admin(`/apis/${api}/deployments`)).json()) as { deployments: unknown[] }).deployments.length;
    const history = ((await (await admin(`/apis/${api}/history`)).json()) as { history: unknown[] }).history.length;
    return { stage, deployments, history };
  };
  return { api, id, snapshot };
}

describe("the bearer token", () => {
  it("answers 401 to a wrong or missing token, and changes nothing", async () => {
    const { api, snapshot } = await published();
    const before = await snapshot();
    const attempts: [string, RequestInit][] = [
      ["/deployments", { method: "POST", body: JSON.stringify({ definition: definition(api, "v2"), stage: "prod" }) }],
      [`/apis/${api}/stages/prod/rollback`, { method: "POST", body: "{}" }],
      [`/apis/${api}/stages/prod/canary`, { method: "DELETE" }],
    ];
    for (const [path, init] of attempts)
      for (const authorization of ["Bearer wrong-token", "Bearer ", "test-admin-token", "Basic dGVzdDp0ZXN0", undefined]) {
        const headers: Record<string, string> = { "content-type": "application/json", ...(authorization ? { authorization } : {}) };
        const res = await SELF.fetch(`http://localhost/_portico${path}`, { ...init, headers });
        await refused(res, 401);
        expect(res.headers.get("www-authenticate")).toContain("Bearer");
      }
    expect(await snapshot()).toEqual(before);
  });

  it("answers 503 naming ADMIN_TOKEN and .dev.vars when no token is configured", async () => {
    const fetch = appOn({ ...ENV, ADMIN_TOKEN: undefined });
    for (const path of ["/apis", "/deployments"]) {
      const body = await refused(await fetch(`http://localhost/_portico${path}`, { headers: { authorization: "Bearer test-admin-token" } }), 503);
      expect(body.message).toContain("ADMIN_TOKEN");
      expect(body.message).toContain(".dev.vars");
    }
    expect((await fetch("http://localhost/_portico/apis", { headers: { authorization: "Bearer " } })).status).toBe(503);
  });
});

describe("invalid definitions", () => {
  it("answer 400 listing every error path, and change nothing", async () => {
    const { api, snapshot } = await published();
    const before = await snapshot();
    const bad = {
      name: api,
      stages: { prod: { variables: { "bad name": 1 } } },
      routes: {
        "GET /x": { integration: { type: "http", uri: "ftp://backend.example/x" } },
        "GET /y": { integraton: { type: "mock" } },
        "FETCH /z": { integration: { type: "mock" } },
      },
    };
    const body = await refused(await admin("/deployments", { json: { definition: bad, stage: "prod" } }), 400);
    expect(paths(body)).toEqual(
      expect.arrayContaining([
        'definition.routes["GET /x"].integration.uri',
        'definition.routes["GET /y"].integration',
        'definition.routes["GET /y"].integraton',
        'definition.routes["FETCH /z"]',
      ]),
    );
    expect(paths(body).some((p) => p.startsWith("definition.stages.prod.variables"))).toBe(true);
    for (const e of body.errors!) expect(e.message.length).toBeGreaterThan(0);
    expect(await snapshot()).toEqual(before);

    // The same definition sent as text (JSON is YAML) reports the same paths.
    const yaml = await refused(await admin("/deployments", { json: { definition: JSON.stringify(bad), stage: "prod" } }), 400);
    expect(paths(yaml).sort()).toEqual(paths(body).sort());
  });

  it("refuses a stage named after the reserved /_portico prefix", async () => {
    const api = uniqueApi("bad");
    const def = { ...definition(api, "v1"), stages: { _portico: {} }, domains: [] };
    const body = await refused(await admin("/deployments", { json: { definition: def, stage: "_portico" } }), 400);
    // The request's stage fails its name check; the definition's stage name fails the schema's propertyNames.
    expect(paths(body)).toContain("stage");
    const validated = (await (await admin("/validate", { json: { definition: def } })).json()) as { valid: boolean; errors: { path: string; message: string }[] };
    expect(validated.valid).toBe(false);
    // Stage names must start with a letter or digit, so no stage can shadow the prefix.
    expect(validated.errors).toContainEqual({ path: "definition.stages._portico", message: expect.stringMatching(/invalid name: "_portico" does not match \^\[A-Za-z0-9\]/) });
    expect((await admin(`/apis/${api}/stages`)).status).toBe(404);
    // And the prefix is never a stage of the data plane: anything under it is the admin API's.
    const anonymous = await SELF.fetch("http://localhost/_portico/pets");
    expect([anonymous.status, anonymous.headers.get("x-portico-version")]).toEqual([401, null]);
    const unknown = await refused(await admin("/pets"), 404);
    expect(unknown.message).toContain("no admin route");
  });
});

describe("out-of-range and unknown values", () => {
  it("refuses percents outside 0–100 or with more than two decimals, with the field path", async () => {
    const { api, snapshot } = await published();
    await publish(definition(api, "v2"), { canary: 5 });
    const before = await snapshot();
    for (const percent of [-1, 100.5, 12.345, "10"]) {
      const body = await refused(await admin(`/apis/${api}/stages/prod/canary`, { method: "PUT", json: { percent } }), 400);
      expect(paths(body)).toEqual(["percent"]);
    }
    for (const canary of [-1, 100.5, 12.345]) {
      const body = await refused(await admin("/deployments", { json: { definition: definition(api, "v3"), stage: "prod", canary } }), 400);
      expect(paths(body)).toEqual(["canary"]);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("accepts every two-decimal percent, binary floating point notwithstanding", async () => {
    const { api } = await published();
    await publish(definition(api, "v2"), { canary: 5 });
    for (const percent of [0, 0.01, 0.29, 1.1, 12.34, 57.01, 99.99, 100]) {
      const res = await admin(`/apis/${api}/stages/prod/canary`, { method: "PUT", json: { percent } });
      const body = (await res.json()) as { canary: { percent: number } } & ErrorBody;
      expect([res.status, body.canary?.percent ?? body.errors]).toEqual([200, percent]);
    }
  });

  it("answers unknown stages, deployments and APIs with 400/404 and the field", async () => {
    const { api } = await published();
    await refused(await admin(`/apis/${api}/stages/nope`), 404);
    expect(paths(await refused(await admin(`/apis/${api}/stages/nope/rollback`, { json: {} }), 404))).toEqual(["stage"]);
    expect(paths(await refused(await admin("/deployments", { json: { definition: definition(api, "v9"), stage: "staging" } }), 400))).toEqual(["stage"]);
    expect(paths(await refused(await admin(`/apis/${api}/stages/prod/rollback`, { json: { to: "abcdef0123" } }), 404))).toEqual(["to"]);
    expect(paths(await refused(await admin(`/apis/${api}/stages/prod/rollback`, { json: { to: "not-hex!" } }), 400))).toEqual(["to"]);
    expect(paths(await refused(await admin(`/apis/${api}/stages/prod/canary`, { method: "PUT", json: { deploymentId: "abcdef0123" } }), 404))).toEqual(["deploymentId"]);
    await refused(await admin(`/apis/${api}/deployments/abcdef0123`), 404);
    const unknown = uniqueApi("nobody");
    expect((await refused(await admin(`/apis/${unknown}/stages`), 404)).message).toContain(unknown);
    await refused(await admin(`/apis/${unknown}/stages/prod/metrics`), 404);
    expect(paths(await refused(await admin("/apis/Not_An_Api/stages"), 400))).toEqual(["api"]);
    expect(paths(await refused(await admin(`/apis/${api}/stages/prod/metrics?minutes=0`), 400))).toEqual(["minutes"]);
    const sticky = await refused(await admin(`/apis/${api}/stages/prod/canary`, { method: "PUT", json: { sticky: { kind: "header" } } }), 400);
    expect(paths(sticky)).toEqual(["sticky.name"]);
  });
});

describe("request bodies", () => {
  it("answers 413 to a body over 5 MB, declared or streamed", async () => {
    const big = "x".repeat(MAX_ADMIN_BODY_BYTES + 1);
    await refused(await admin("/deployments", { body: big, method: "POST" }), 413);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const chunk = new TextEncoder().encode("y".repeat(1024 * 1024));
        for (let i = 0; i < 6; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await appOn(ENV)("http://localhost/_portico/validate", {
      method: "POST",
      headers: { authorization: "Bearer test-admin-token" },
      body: stream,
    });
    await refused(res, 413);
  });

  it("answers 400 to a body that is not a JSON object", async () => {
    expect((await refused(await admin("/deployments", { body: "{not json", method: "POST" }), 400)).message).toContain("JSON");
    await refused(await admin("/deployments", { body: "[1, 2]", method: "POST" }), 400);
    expect(paths(await refused(await admin("/deployments", { json: {} }), 400)).sort()).toEqual(["definition", "stage"]);
  });
});

describe("the OpenAPI document", () => {
  it("is served without a token and lists every admin route", async () => {
    const res = await SELF.fetch("http://localhost/_portico/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; servers: { url: string }[]; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\.1/);
    expect(doc.servers[0]!.url).toBe(ADMIN_PREFIX);
    const routes = adminApp(ADMIN_PREFIX)
      .routes.filter((r) => r.method !== "ALL" && !["/health", "/openapi.json"].includes(r.path))
      .map((r) => [r.method.toLowerCase(), r.path.replace(/:(\w+)/g, "{$1}")] as const);
    expect(routes.length).toBeGreaterThanOrEqual(14);
    for (const [method, path] of routes) expect(doc.paths[path]?.[method], `${method.toUpperCase()} ${path}`).toBeDefined();
  });
});
