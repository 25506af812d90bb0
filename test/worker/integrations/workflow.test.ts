/**
 * `workflow` integrations through the pipeline against Miniflare's real Workflows: the example's
 * ADOPTION_WORKFLOW, whose class (AdoptionWorkflow) the demo backend exports. Start an instance, read its status
 * until it ends, an id chosen by the route (idempotent starts), unknown instances and bad bodies.
 */
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { gatewayFor, type TestGateway } from "../support/gateway.ts";
import { uniqueSegment } from "./backends.ts";

const json = { "content-type": "application/json" };

const api: ApiDefinition = {
  name: "workflows",
  stages: { prod: {} },
  routes: {
    "POST /adoptions": { integration: { type: "workflow", workflow: "ADOPTION_WORKFLOW" } },
    "PUT /adoptions/{id}": {
      integration: {
        type: "workflow",
        workflow: "ADOPTION_WORKFLOW",
        instanceId: "adoption-{id}",
        requestTemplates: { "application/json": `{"petId": $input.path('$.pet'), "adopter": "$util.escapeJavaScript($input.path('$.name'))"}` },
        // As on Amazon, `default` takes every status no pattern matches: the 409 needs its own response.
        responses: { default: { statusCode: 202, responseTemplates: { "application/json": `{"started": "$input.path('$.id')"}` } }, "409": { statusCode: 409 } },
      },
    },
    "GET /adoptions/{id}": { integration: { type: "workflow", workflow: "ADOPTION_WORKFLOW", action: "status", instanceId: "{id}" } },
  },
};

/** Reads an instance's status until it is no longer running (Workflows run in the background). */
async function settled(gw: TestGateway, id: string): Promise<{ id: string; status: string; output?: unknown; error?: unknown }> {
  for (let i = 0; i < 200; i++) {
    const res = await gw.fetch(`/prod/adoptions/${id}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: string; status: string };
    if (!["queued", "running", "waiting", "unknown"].includes(body.status)) return body;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`instance ${id} never finished`);
}

describe("workflow integration", () => {
  it("starts an instance with the body as its params and reads its status until it completes", async () => {
    const gw = await gatewayFor(api);
    const adopter = `Grace ${uniqueSegment()}`;
    const res = await gw.fetch("/prod/adoptions", { method: "POST", headers: json, body: JSON.stringify({ petId: 1, adopter }) });
    expect(res.status).toBe(200);
    const started = (await res.json()) as { id: string; startDate: string };
    expect(started.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(started.startDate))).toBe(false);
    const done = await settled(gw, started.id);
    expect(done).toEqual({ id: started.id, status: "complete", output: { petId: 1, pet: "Rex", adopter, approved: true } });
  });

  it("reports a failed instance as errored, with its error", async () => {
    const gw = await gatewayFor(api);
    const res = await gw.fetch("/prod/adoptions", { method: "POST", headers: json, body: JSON.stringify({ petId: 404 }) });
    const { id } = (await res.json()) as { id: string };
    const done = await settled(gw, id);
    expect(done.status).toBe("errored");
    expect(JSON.stringify(done.error)).toContain("no pet 404");
  });

  it("maps the params with a request template and gives the instance the route's id: a second start is 409", async () => {
    const gw = await gatewayFor(api);
    const id = uniqueSegment();
    const first = await gw.fetch(`/prod/adoptions/${id}`, { method: "PUT", headers: json, body: JSON.stringify({ pet: 2, name: "Lin" }) });
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ started: `adoption-${id}` });
    const again = await gw.fetch(`/prod/adoptions/${id}`, { method: "PUT", headers: json, body: JSON.stringify({ pet: 2, name: "Lin" }) });
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ message: `Instance adoption-${id} already exists` });
    expect(await settled(gw, `adoption-${id}`)).toMatchObject({ status: "complete", output: { petId: 2, pet: "Tom", adopter: "Lin" } });
  });

  it("answers 404 for an unknown instance, 400 for a body that is not JSON or an id Workflows cannot hold", async () => {
    const gw = await gatewayFor(api);
    const unknown = await gw.fetch(`/prod/adoptions/${uniqueSegment()}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ message: "Not Found" });
    const bad = await gw.fetch("/prod/adoptions", { method: "POST", headers: json, body: "{not json" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ message: "The body must be JSON (the instance's params)" });
    const badId = await gw.fetch(`/prod/adoptions/${"x".repeat(120)}`);
    expect(badId.status).toBe(400);
    expect(await badId.json()).toEqual({ message: "Invalid instance id" });
  });
});
