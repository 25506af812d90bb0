/**
 * Bad input through the whole pipeline: what the gateway refuses (and that the backend is then never called),
 * what it normalises (and that the path matched is the path forwarded), and misbehaving backends.
 */
import { describe, expect, it } from "vitest";
import type { ApiDefinition, Flavor } from "../../../src/config/types.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";
import { nodeHits, uniqueSegment } from "../integrations/backends.ts";
import { dataViaSelf, definition, publish, short, uniqueApi, until, versionOf } from "../deploy/support.ts";

const LIMIT = 1024;

/**
 * `ANY /<u>/{proxy+}` goes to one fixed backend path, `/echo/<u>`, whatever the client's spelling: a zero hit
 * count there proves the backend was never called. `ANY /{proxy+}` echoes the path it forwards.
 */
function api(u: string, flavor: Flavor = "rest", variables: Record<string, string> = {}): ApiDefinition {
  return {
    name: "bad",
    flavor,
    settings: { maxBodyBytes: LIMIT },
    stages: { prod: { variables: { backend: backendUrl(), ...variables } } },
    routes: {
      [`ANY /${u}/{proxy+}`]: { integration: { type: "http_proxy", uri: `\${stageVariables.backend}/echo/${u}` } },
      [`POST /${u}/validated`]: { integration: { type: "http_proxy", uri: `\${stageVariables.backend}/echo/${u}` }, validate: { body: { type: "array" } } },
      [`GET /${u}/crlf`]: { integration: { type: "http_proxy", uri: `\${stageVariables.backend}/echo/${u}`, headers: { "x-note": "${stageVariables.note}" } } },
      "ANY /{proxy+}": { integration: { type: "http_proxy", uri: "${stageVariables.backend}/echo/{proxy}" } },
    },
  };
}

const INVALID_PATH = '{"message":"Invalid request path"}';

describe("non-canonical paths", () => {
  // Refused outright: spellings a backend could read as another path.
  it.each([
    ["an encoded slash", "a%2Fb"],
    ["an encoded lower-case slash", "a%2fb"],
    ["an encoded backslash", "a%5Cb"],
    ["a ;path parameter", "a;x"],
    ["an encoded ;path parameter", "admin%3Bx"],
    ["an encoded NUL", "a%00"],
    ["an encoded control character", "a%0Ab"],
  ])("refuses %s with 400 Invalid request path, never calling the backend", async (_what, spelling) => {
    const u = uniqueSegment();
    const gw = await gatewayFor(api(u));
    const res = await gw.fetch(`/prod/${u}/${spelling}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(INVALID_PATH);
    expect(res.headers.get("x-amzn-ErrorType")).toBe("BadRequestException");
    expect(await nodeHits(`/echo/${u}`)).toBe(0);
  });

  // Normalised: doubled slashes collapse (Amazon routes /stage//x as /x) and the URL parser resolves dot
  // segments, %2e spellings included; the forwarded path is exactly the matched one.
  it.each([
    ["doubled slashes", "/prod//a//b", "a/b"],
    ["a doubled slash before the stage", "//prod/a", "a"],
    // {proxy} never carries the trailing slash (recorded: rest-lambda-proxy-event-with-trailing-slash-and-query-params).
    ["a trailing doubled slash", "/prod/a//", "a"],
    ["a dot segment", "/prod/./a/./b", "a/b"],
    ["a dot-dot segment", "/prod/x/../a", "a"],
    ["an encoded dot-dot segment", "/prod/x/%2e%2e/a", "a"],
    ["an upper-case encoded dot-dot segment", "/prod/x/%2E%2E/a", "a"],
    ["an encoded dot segment", "/prod/%2e/a", "a"],
  ])("normalises %s so that the path matched is the path forwarded", async (_what, spelling, matched) => {
    const gw = await gatewayFor(api(uniqueSegment()));
    const res = await gw.fetch(spelling);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { rawUrl: string }).rawUrl).toBe(`/echo/${matched}`);
  });

  it("cannot climb out of the stage with dot segments into a route another stage guards", async () => {
    const u = uniqueSegment();
    const gw = await gatewayFor(api(u));
    const res = await gw.fetch(`/prod/%2e%2e/other/${u}/x`);
    expect(res.status).toBe(403);
    expect(await res.text()).toBe('{"message":"Forbidden"}');
    expect(await nodeHits(`/echo/${u}`)).toBe(0);
  });
});

describe("oversize bodies", () => {
  it("answers 413 to a declared Content-Length over maxBodyBytes without calling the backend", async () => {
    const u = uniqueSegment();
    const gw = await gatewayFor(api(u));
    const res = await gw.request(
      new Request(`http://gateway.test/prod/${u}/up`, { method: "POST", body: "x".repeat(LIMIT + 1), headers: { "content-length": String(LIMIT + 1) } }),
    );
    expect(res.status).toBe(413);
    expect(await res.text()).toBe('{"message":"Request Too Long"}');
    expect(res.headers.get("x-amzn-ErrorType")).toBe("RequestTooLargeException");
    expect(await nodeHits(`/echo/${u}`)).toBe(0);
  });

  it("lets a body of exactly maxBodyBytes through", async () => {
    const u = uniqueSegment();
    const gw = await gatewayFor(api(u));
    const res = await gw.request(
      new Request(`http://gateway.test/prod/${u}/up`, { method: "POST", body: "x".repeat(LIMIT), headers: { "content-length": String(LIMIT) } }),
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { bodyBytes: number }).bodyBytes).toBe(LIMIT);
  });

  const streamOf = (chunks: number, size: number) =>
    new ReadableStream<Uint8Array>({
      async pull(controller) {
        await new Promise((r) => setTimeout(r, 2));
        if (chunks-- <= 0) controller.close();
        else controller.enqueue(new Uint8Array(size).fill(0x61));
      },
    });

  // A streamed body goes to the backend as it arrives, so the backend is contacted; past the limit the upload
  // is abandoned (the backend sees a broken request, never a complete one) and the client gets 413.
  it("answers 413 to a streamed body with no length that passes maxBodyBytes", async () => {
    const u = uniqueSegment();
    const gw = await gatewayFor(api(u));
    const res = await gw.request(new Request(`http://gateway.test/prod/${u}/up`, { method: "POST", body: streamOf(4, 400), duplex: "half" } as RequestInit));
    expect(res.status).toBe(413);
    expect(await res.text()).toBe('{"message":"Request Too Long"}');
  });

  it("answers 413 to an over-limit body with no declared length, even one the runtime knows the size of", async () => {
    const u = uniqueSegment();
    const gw = await gatewayFor(api(u));
    const res = await gw.request(new Request(`http://gateway.test/prod/${u}/up`, { method: "POST", body: "x".repeat(LIMIT * 2) }));
    expect(res.status).toBe(413);
  });

  it("answers 413 to a streamed body past the limit on a validating route, before the backend", async () => {
    const u = uniqueSegment();
    const gw = await gatewayFor(api(u));
    const res = await gw.request(
      new Request(`http://gateway.test/prod/${u}/validated`, {
        method: "POST",
        body: streamOf(4, 400),
        headers: { "content-type": "application/json" },
        duplex: "half",
      } as RequestInit),
    );
    expect(res.status).toBe(413);
    expect(await nodeHits(`/echo/${u}`)).toBe(0);
  });
});

describe("malformed bodies on a validating route", () => {
  const post = async (body: string) => {
    const u = uniqueSegment();
    const gw = await gatewayFor(api(u));
    const res = await gw.fetch(`/prod/${u}/validated`, { method: "POST", body, headers: { "content-type": "application/json" } });
    return { res, hits: () => nodeHits(`/echo/${u}`) };
  };

  it.each([["truncated JSON", "[1, 2"], ["not JSON at all", "hello"], ["trailing garbage", "[] []"], ["an empty body", ""]])(
    "answers 400 Invalid request body to %s without calling the backend",
    async (_what, body) => {
      const { res, hits } = await post(body);
      expect(res.status).toBe(400);
      expect(await res.text()).toBe('{"message":"Invalid request body"}');
      expect(await hits()).toBe(0);
    },
  );

  it("answers 400 to JSON nested deeper than 128 levels, without calling the backend", async () => {
    const { res, hits } = await post("[".repeat(129) + "]".repeat(129));
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('{"message":"Invalid request body"}');
    expect(await hits()).toBe(0);
  });

  it("accepts JSON nested exactly 128 levels deep", async () => {
    const { res, hits } = await post("[".repeat(128) + "]".repeat(128));
    expect(res.status).toBe(200);
    expect(await hits()).toBe(1);
  });
});

describe("unknown methods", () => {
  it.each(["PROPFIND", "TRACE", "MKCOL"])("answers %s with 403 Missing Authentication Token (rest), even under ANY", async (method) => {
    const u = uniqueSegment();
    const gw = await gatewayFor(api(u));
    const res = await gw.fetch(`/prod/${u}/x`, { method });
    expect(res.status).toBe(403);
    expect(await res.text()).toBe('{"message":"Missing Authentication Token"}');
    expect(res.headers.get("x-amzn-ErrorType")).toBe("MissingAuthenticationTokenException");
    expect(await nodeHits(`/echo/${u}`)).toBe(0);
  });

  it("answers PROPFIND with 404 Not Found in the http flavour", async () => {
    const u = uniqueSegment();
    const gw = await gatewayFor(api(u, "http"));
    const res = await gw.fetch(`/prod/${u}/x`, { method: "PROPFIND" });
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('{"message":"Not Found"}');
    expect(await nodeHits(`/echo/${u}`)).toBe(0);
  });

  // A method that is no known token never reaches a Worker: workerd refuses to represent it.
  it("cannot even express FOO as a request inside workerd", () => {
    expect(() => new Request("http://gateway.test/prod/x", { method: "FOO" })).toThrow(TypeError);
  });
});

describe("configuration that renders badly", () => {
  it("answers 500 to CRLF from a stage variable in a header value, never sending a split header", async () => {
    const u = uniqueSegment();
    const gw = await gatewayFor(api(u, "rest", { note: "a\r\nx-injected: 1" }));
    const res = await gw.fetch(`/prod/${u}/crlf`);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('{"message": "Internal server error"}');
    expect(res.headers.get("x-injected")).toBeNull();
    expect(await nodeHits(`/echo/${u}`)).toBe(0);
  });
});

describe("misbehaving backends", () => {
  const to = (path: string) =>
    gatewayFor({
      name: "bad",
      stages: { prod: {} },
      routes: { "GET /x": { integration: { type: "http_proxy", uri: backendUrl() + path, timeoutMs: 200 } } },
    });

  it("answers 504 Endpoint request timed out to a backend that hangs", async () => {
    const res = await (await to("/hang")).fetch("/prod/x");
    expect(res.status).toBe(504);
    expect(await res.text()).toBe('{"message": "Endpoint request timed out"}');
  });

  it("abandons the hung backend request once the 504 is sent (through the Worker's own entry)", { timeout: 10_000 }, async () => {
    // The timeout passes no AbortSignal to fetch: the subrequest ends with the request that made it. Only a
    // request of its own (SELF, not the test's context) ends, so the API is published and reached on its host.
    const api = uniqueApi("hang");
    const tag = crypto.randomUUID();
    const route = { integration: { type: "http_proxy", uri: `${backendUrl()}/hang/${tag}`, timeoutMs: 200 } };
    const id = await publish(definition(api, "v1", {}, { "GET /hang": route }));
    await until(async () => versionOf(await dataViaSelf(api, "/who")) === short(id), 2000);
    const res = await dataViaSelf(api, "/hang");
    expect([res.status, await res.text()]).toEqual([504, '{"message": "Endpoint request timed out"}']);
    const state = async () => ((await (await fetch(`${backendUrl()}/__hung?tag=${tag}`)).json()) as { state: string | null }).state;
    await until(async () => (await state()) === "abandoned", 3000);
  });

  // Recorded: rest-http-proxy-network-error-504 (Content-Length 56: the body's exact bytes).
  it.each(["/reset", "/garbage"])("answers Amazon's 504 network error, byte-exact, to a backend at %s", async (path) => {
    const res = await (await to(path)).fetch("/prod/x");
    expect(res.status).toBe(504);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("x-amzn-ErrorType")).toBe("InternalServerErrorException");
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(new TextDecoder().decode(bytes)).toBe('{"message": "Network error communicating with endpoint"}');
    expect(bytes.byteLength).toBe(56);
  });
});
