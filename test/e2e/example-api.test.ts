/**
 * The example API end to end: the Worker built for deploy, with its demo backend, driven over real HTTP — Node's
 * fetch for the README's calls, hand-written requests on a raw socket for spellings a client would clean up.
 * How the Worker is started, and why that way: support/built-worker.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBuiltWorker, type BackendRequest, type BuiltWorker } from "./support/built-worker.ts";
import { isolatedCheckout, type Checkout } from "./support/checkout.ts";
import { rawRequest, type RawResponse } from "./support/raw-http.ts";

const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PETS = [
  { id: 1, name: "Rex", type: "dog", price: 250 },
  { id: 2, name: "Tom", type: "cat", price: 120 },
  { id: 3, name: "Nemo", type: "fish", price: 5 },
];

let checkout: Checkout;
let worker: BuiltWorker;

beforeAll(async () => {
  checkout = isolatedCheckout();
  worker = await startBuiltWorker(checkout);
}, 90_000);

afterAll(async () => {
  await worker?.dispose();
  checkout?.dispose();
});

const get = (path: string, init?: RequestInit) => fetch(new URL(path, worker.url), init);
const raw = (requestLine: string, headers: string[] = []) => rawRequest(worker.port, requestLine, headers);

/** Runs `send` and returns what it got and what the backend received while it ran. */
async function observe<T>(send: () => Promise<T>): Promise<{ res: T; reached: BackendRequest[] }> {
  await worker.backendRequests(); // drain anything earlier
  const res = await send();
  return { res, reached: await worker.backendRequests() };
}

describe("the README's calls, over HTTP", () => {
  it("GET /prod/pets lists the three pets from the backend Worker", async () => {
    const res = await get("/prod/pets");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual(PETS);
  });

  it("GET /prod/pets/2 substitutes the path parameter", async () => {
    const { res, reached } = await observe(() => get("/prod/pets/2"));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(PETS[1]);
    expect(reached.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /pets/2"]);
  });

  it("POST /prod/pets with an invalid body is refused with 400 before the backend is called", async () => {
    const { res, reached } = await observe(() =>
      get("/prod/pets", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "Bo", type: "horse" }) }),
    );
    expect(res.status).toBe(400);
    expect(res.headers.get("x-amzn-ErrorType")).toBe("BadRequestException");
    expect(await res.text()).toBe('{"message":"Invalid request body"}');
    expect(reached).toEqual([]);

    const valid = await get("/prod/pets", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "Bo", type: "dog" }) });
    expect(valid.status).toBe(201);
    expect(await valid.json()).toMatchObject({ name: "Bo", type: "dog" });
  });

  it("GET /prod/hello?name=Kim is answered by the Lambda-style handler", async () => {
    const res = await get("/prod/hello?name=Kim");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: "Hello, Kim!", stage: "prod", from: "a Lambda-style handler" });
  });

  it("GET /prod/nope is 403 Missing Authentication Token", async () => {
    const { res, reached } = await observe(() => get("/prod/nope"));
    expect(res.status).toBe(403);
    expect(res.headers.get("x-amzn-ErrorType")).toBe("MissingAuthenticationTokenException");
    expect(await res.text()).toBe('{"message":"Missing Authentication Token"}');
    expect(reached).toEqual([]);
  });

  it("an unknown stage is 403 Forbidden", async () => {
    const res = await get("/staging/pets");
    expect(res.status).toBe(403);
    expect(await res.text()).toBe('{"message":"Forbidden"}');
  });

  it("the mock route is answered by the gateway itself", async () => {
    const { res, reached } = await observe(() => get("/prod/health"));
    expect(await res.json()).toEqual({ status: "ok" });
    expect(reached).toEqual([]);
  });

  it("every response carries its own request id: successes, gateway errors and refused paths", async () => {
    const responses = await Promise.all(
      ["/prod/pets", "/prod/pets/9", "/prod/health", "/prod/hello", "/prod/nope", "/staging/pets", "/prod/search", "/prod/pets%2Fx"].map((p) => get(p)),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses).toEqual([200, 404, 200, 200, 403, 403, 400, 400]);
    const ids = responses.map((r) => r.headers.get("x-amzn-RequestId"));
    for (const id of ids) expect(id).toMatch(REQUEST_ID);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("paths written by hand on a raw socket", () => {
  const canonical = (path: string) => raw(`GET ${path} HTTP/1.1`);
  const sameResponse = (a: RawResponse, b: RawResponse) => {
    expect(a.status).toBe(b.status);
    expect(a.body).toBe(b.body);
    expect(a.headers["content-type"]).toBe(b.headers["content-type"]);
    expect(a.headers["x-amzn-requestid"]).toMatch(REQUEST_ID);
  };

  it.each([
    ["/prod//pets", "/prod/pets", "GET /pets"],
    ["/prod/./pets", "/prod/pets", "GET /pets"],
    // The URL parser resolves %2e%2e as `..`, so this is `/pets`: a stage named "pets", which does not exist.
    ["/prod/%2e%2e/pets", "/pets", undefined],
  ])("%s is served as %s", async (spelling, path, forwarded) => {
    const expected = await canonical(path);
    const { res, reached } = await observe(() => raw(`GET ${spelling} HTTP/1.1`));
    sameResponse(res, expected);
    expect(reached.map((r) => `${r.method} ${r.path}`)).toEqual(forwarded ? [forwarded] : []);
  });

  it("the normalised spellings get the canonical answers (guards the table above)", async () => {
    expect((await canonical("/prod/pets")).status).toBe(200);
    expect(JSON.parse((await canonical("/prod/pets")).body)).toEqual(PETS);
    const unknownStage = await canonical("/pets");
    expect(unknownStage.status).toBe(403);
    expect(unknownStage.body).toBe('{"message":"Forbidden"}');
  });

  it.each(["/prod/pets/%2F..%2Fadmin", "/prod/pets;x", "/prod/pets%00", "/prod/pets/%5c..%5cadmin", "/prod/pets/%0d%0aX-Injected:%20yes"])(
    "%s is refused: 400 Invalid request path, and the backend never sees it",
    async (spelling) => {
      const { res, reached } = await observe(() => raw(`GET ${spelling} HTTP/1.1`));
      expect(res.status, res.raw).toBe(400);
      expect(res.body).toBe('{"message":"Invalid request path"}');
      expect(res.headers["x-amzn-requestid"]).toMatch(REQUEST_ID);
      expect(reached).toEqual([]);
    },
  );

  it("an unknown method (PROPFIND) is 403 Missing Authentication Token", async () => {
    const { res, reached } = await observe(() => raw("PROPFIND /prod/pets HTTP/1.1"));
    expect(res.status).toBe(403);
    expect(res.body).toBe('{"message":"Missing Authentication Token"}');
    expect(reached).toEqual([]);
  });
});

describe("header injection attempts", () => {
  /** What a header line carrying an injection attempt may lead to: refused at the HTTP layer, or one header. */
  async function expectNoSplit(headerLine: string): Promise<{ res: RawResponse; reached: BackendRequest[] }> {
    const seen = await observe(() => raw("GET /prod/pets HTTP/1.1", [headerLine]));
    if (seen.res.status === 400) expect(seen.reached).toEqual([]);
    else {
      expect(seen.res.status, seen.res.raw).toBe(200);
      expect(seen.reached).toHaveLength(1);
      expect(Object.keys(seen.reached[0]!.headers)).not.toContain("injected");
    }
    return seen;
  }

  it("a NUL in a header value is refused by the HTTP layer", async () => {
    const { res, reached } = await observe(() => raw("GET /prod/pets HTTP/1.1", ["X-Probe: a\u0000Injected: yes"]));
    expect(res.status).toBe(400);
    expect(reached).toEqual([]);
  });

  it("CRLF + space (obsolete line folding) never becomes a header of its own", async () => {
    const { res, reached } = await expectNoSplit("X-Probe: a\r\n Injected: yes");
    // workerd unfolds it into one value, which is what RFC 9112 §5.2 allows.
    if (res.status !== 400) expect(reached[0]!.headers["x-probe"]).toMatch(/^a\s+Injected: yes$/);
  });

  it("a percent-encoded CRLF in a header value stays text", async () => {
    const { reached } = await expectNoSplit("X-Probe: a%0d%0aInjected: yes");
    expect(reached[0]?.headers["x-probe"]).toBe("a%0d%0aInjected: yes");
  });

  // KNOWN DEVIATION of local workerd, not of Portico. RFC 9112 §2.2: a recipient must reject a bare CR or replace it
  // with a space. workerd's HTTP parser ends the header line there instead, so the Worker already receives two
  // valid headers and cannot tell (Portico forwards `injected: yes` like any other header). In production,
  // Cloudflare's edge parses the request, not this parser. This pins the behaviour so a runtime change shows
  // up: when it fails because the header no longer arrives split, replace the last line with
  // `await expectNoSplit("X-Probe: a\rInjected: yes")`.
  it("a bare CR in a header value: local workerd splits the line (known deviation, pinned)", async () => {
    const { res, reached } = await observe(() => raw("GET /prod/pets HTTP/1.1", ["X-Probe: a\rInjected: yes"]));
    expect(res.status, res.raw).toBe(200);
    expect(reached).toHaveLength(1);
    expect(reached[0]!.headers).toMatchObject({ "x-probe": "a", injected: "yes" });
  });
});

describe("integrations beyond HTTP, in the Worker as built, with Miniflare's Queues, R2 and Workflows", () => {
  const json = { "content-type": "application/json" };
  const poll = async <T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> => {
    for (let i = 0; i < 200; i++) {
      const v = await read();
      if (done(v)) return v;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error("never happened");
  };

  it("streams server-sent events over HTTP as the backend writes them: the first event long before the last", async () => {
    const started = Date.now();
    const res = await get("/prod/ticks?count=4&ms=150");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const arrivals: { at: number; event: string }[] = [];
    let buffer = "";
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { done, value: chunk } = await reader.read();
      if (done) break;
      buffer += chunk;
      const parts = buffer.split("\n\n");
      buffer = parts.pop()!;
      for (const event of parts) arrivals.push({ at: Date.now() - started, event });
    }
    expect(arrivals.map((a) => a.event)).toEqual([0, 1, 2, 3].map((n) => `id: ${n}\nevent: tick\ndata: {"tick": ${n}, "of": 4}`));
    expect(arrivals[3]!.at - arrivals[0]!.at).toBeGreaterThanOrEqual(300);
  });

  it("queues a message the backend consumes, keeps an object in R2, runs a Workflow", async () => {
    const adopter = `e2e-${Date.now()}`;
    const queued = await get("/prod/adoption-requests", { method: "POST", headers: json, body: JSON.stringify({ petId: 1, adopter }) });
    expect(queued.status).toBe(200);
    const consumed = await poll(
      async () => (await (await get("/prod/adoption-requests")).json()) as { body: { adopter?: string } }[],
      (list) => list.some((m) => m.body.adopter === adopter),
    );
    expect(consumed.find((m) => m.body.adopter === adopter)!.body).toEqual({ petId: 1, adopter });

    const put = await get(`/prod/photos/${adopter}.txt`, { method: "PUT", headers: { "content-type": "text/plain" }, body: "a photo" });
    expect(put.status).toBe(200);
    expect(await (await get(`/prod/photos/${adopter}.txt`)).text()).toBe("a photo");

    const run = await get("/prod/adoptions/2/process", { method: "POST", headers: json, body: JSON.stringify({ adopter }) });
    const { id } = (await run.json()) as { id: string };
    const done = await poll(
      async () => (await (await get(`/prod/adoption-runs/${id}`)).json()) as { status: string; output?: unknown },
      (s) => s.status === "complete" || s.status === "errored",
    );
    expect(done).toEqual({ id, status: "complete", output: { petId: 2, pet: "Tom", adopter, approved: true } });
  });
});
