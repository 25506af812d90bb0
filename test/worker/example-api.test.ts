/** The example API (examples/petstore/api.yaml) through the Worker's entry, with the demo backend Worker. */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

const get = (path: string, init?: RequestInit) => SELF.fetch(`http://localhost${path}`, init);

describe("the example API", () => {
  it("proxies to the backend Worker, with a stage variable in the URI", async () => {
    const res = await get("/prod/pets");
    expect(res.status).toBe(200);
    expect(await res.json()).toHaveLength(3);
    expect(res.headers.get("x-amzn-RequestId")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("substitutes path parameters", async () => {
    const res = await get("/prod/pets/2");
    expect(await res.json()).toMatchObject({ id: 2, name: "Tom" });
    expect((await get("/prod/pets/9")).status).toBe(404);
  });

  it("validates bodies before the backend sees them", async () => {
    const bad = await get("/prod/pets", { method: "POST", body: JSON.stringify({ name: "" }), headers: { "content-type": "application/json" } });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toBe('{"message":"Invalid request body"}');
    const good = await get("/prod/pets", { method: "POST", body: JSON.stringify({ name: "Bo", type: "dog" }), headers: { "content-type": "application/json" } });
    expect(good.status).toBe(201);
    expect(await good.json()).toMatchObject({ id: 4, name: "Bo" });
  });

  it("requires declared query strings", async () => {
    const res = await get("/prod/search");
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ message: "Missing required request parameters: [q]" });
    expect(await (await get("/prod/search?q=cat")).json()).toEqual([{ id: 2, name: "Tom", type: "cat", price: 120 }]);
  });

  it("puts stage variables in header values, per stage", async () => {
    expect(await (await get("/prod/greeting?name=Ann")).json()).toEqual({ message: "Hello, Ann!" });
    expect(await (await get("/dev/greeting?name=Ann")).json()).toEqual({ message: "Hi from dev, Ann!" });
  });

  it("runs a Lambda-style handler with Amazon's proxy event", async () => {
    const res = await get("/prod/hello?name=Kim");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: "Hello, Kim!", stage: "prod", from: "a Lambda-style handler" });
  });

  it("forwards greedy paths", async () => {
    expect(await (await get("/prod/files/a/b/c.txt")).text()).toBe("You asked for /a/b/c.txt\n");
  });

  it("answers mocks itself", async () => {
    const res = await get("/prod/health");
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("answers unknown paths, methods and stages as Amazon does", async () => {
    const unknownPath = await get("/prod/nope");
    expect(unknownPath.status).toBe(403);
    expect(unknownPath.headers.get("x-amzn-ErrorType")).toBe("MissingAuthenticationTokenException");
    expect(await unknownPath.text()).toBe('{"message":"Missing Authentication Token"}');
    expect((await get("/prod/pets", { method: "DELETE" })).status).toBe(403);
    const unknownStage = await get("/staging/pets");
    expect(unknownStage.status).toBe(403);
    expect(await unknownStage.text()).toBe('{"message":"Forbidden"}');
  });

  it("shapes a backend answer with a response template, and picks the 404 response by its selection pattern", async () => {
    const card = await get("/prod/pets/1/card");
    expect(card.status).toBe(200);
    expect(await card.json()).toEqual({ title: "Rex the dog", price: "250", stage: "prod" });
    const missing = await get("/prod/pets/9/card");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: "No pet 9" });
  });

  it("builds the backend request with a request template, and refuses a body no template takes", async () => {
    const res = await get("/prod/adoptions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ petName: "Bo", kind: "dog" }) });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ adopted: "Bo", requestId: res.headers.get("x-amzn-RequestId") });
    const xml = await get("/prod/adoptions", { method: "POST", headers: { "content-type": "application/xml" }, body: "<pet/>" });
    expect(xml.status).toBe(415);
  });

  it("passes a binary image to a client that accepts it, and base64 text to one that does not", async () => {
    const binary = await get("/prod/pets/1/photo", { headers: { accept: "image/png" } });
    expect(binary.headers.get("content-type")).toBe("image/png");
    const bytes = new Uint8Array(await binary.arrayBuffer());
    expect([...bytes.slice(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    const text = await get("/prod/pets/1/photo", { headers: { accept: "text/plain" } });
    expect(await text.text()).toMatch(/^iVBORw0KGgo/);
  });

  it("queues an adoption request (SQS's answer) that the demo backend then consumes", async () => {
    const adopter = `Ada ${crypto.randomUUID().slice(0, 8)}`;
    const res = await get("/prod/adoption-requests", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ petId: 2, adopter }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ MessageId: expect.stringMatching(/^[0-9a-f-]{36}$/), MD5OfMessageBody: expect.stringMatching(/^[0-9a-f]{32}$/) });
    let consumed: { body: { adopter?: string } }[] = [];
    for (let i = 0; i < 100 && !consumed.some((c) => c.body.adopter === adopter); i++) {
      await new Promise((r) => setTimeout(r, 25));
      consumed = (await (await get("/prod/adoption-requests")).json()) as typeof consumed;
    }
    expect(consumed.find((c) => c.body.adopter === adopter)?.body).toEqual({ petId: 2, adopter });
    expect((await get("/prod/adoption-requests", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status).toBe(400);
  });

  it("stores a pet photo in R2 and serves it back, ranged and conditionally", async () => {
    const key = `rex-${crypto.randomUUID().slice(0, 8)}.txt`;
    const put = await get(`/prod/photos/${key}`, { method: "PUT", headers: { "content-type": "text/plain", "content-length": "10" }, body: "0123456789" });
    expect(put.status).toBe(200);
    const etag = put.headers.get("etag")!;
    expect(await (await get(`/prod/photos/${key}`)).text()).toBe("0123456789");
    const part = await get(`/prod/photos/${key}`, { headers: { range: "bytes=0-3" } });
    expect([part.status, await part.text()]).toEqual([206, "0123"]);
    expect((await get(`/prod/photos/${key}`, { headers: { "if-none-match": etag } })).status).toBe(304);
  });

  it("starts an adoption Workflow and reads its status until it completes", async () => {
    const started = await get("/prod/adoptions/3/process", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ adopter: "Kim" }) });
    expect(started.status).toBe(200);
    const { id } = (await started.json()) as { id: string };
    let status: { status: string; output?: unknown } = { status: "queued" };
    for (let i = 0; i < 100 && status.status !== "complete" && status.status !== "errored"; i++) {
      await new Promise((r) => setTimeout(r, 25));
      status = (await (await get(`/prod/adoption-runs/${id}`)).json()) as typeof status;
    }
    expect(status).toEqual({ id, status: "complete", output: { petId: 3, pet: "Nemo", adopter: "Kim", approved: true } });
  });

  it("streams server-sent events as the backend writes them", async () => {
    const res = await get("/prod/ticks?count=3&ms=50");
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const events = (await res.text()).split("\n\n").filter(Boolean);
    expect(events).toEqual([0, 1, 2].map((n) => `id: ${n}\nevent: tick\ndata: {"tick": ${n}, "of": 3}`));
  });
});
