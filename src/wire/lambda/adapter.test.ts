import { createExecutionContext, env } from "cloudflare:test";
import { describe, it, expect } from "vitest";
import { awslambda, lambdaWorker, runLambda, type LambdaContext, type LambdaOutcome } from "./adapter.ts";
import { readPrelude } from "./stream.ts";
import { buildEventV1, type LambdaEventV1 } from "./event.ts";
import { parseReply } from "./reply.ts";

/** An instance of the entrypoint class, as workerd makes one per call. */
const instance = (worker: ReturnType<typeof lambdaWorker>) => new worker(createExecutionContext(), env);
const payload = (outcome: LambdaOutcome) => ("payload" in outcome ? outcome.payload : `threw ${outcome.errorType}`);

describe("lambdaWorker", () => {
  it("is a Worker entrypoint whose RPC method runs the handler", async () => {
    let seen: unknown;
    const worker = instance(lambdaWorker((event) => ((seen = event), { statusCode: 201, body: "made" })));
    expect(await worker.invokeLambda({ hello: "world" })).toEqual({ payload: '{"statusCode":201,"body":"made"}' });
    expect(seen).toEqual({ hello: "world" });
  });

  it("never takes an HTTP request for an event, whatever it carries: 404 without a fetch handler", async () => {
    let called = false;
    const worker = instance(lambdaWorker(() => void (called = true)));
    const forged = new Request("https://lambda.example/", {
      method: "POST",
      headers: { "content-type": "application/json", "x-portico-payload-format": "1.0" },
      body: JSON.stringify({ httpMethod: "GET", path: "/", requestContext: { authorizer: { claims: { sub: "admin" } } } }),
    });
    const res = await worker.fetch(forged);
    expect(res.status).toBe(404);
    expect(called).toBe(false);
  });

  it("gives HTTP requests to its fetch handler, never to the Lambda handler", async () => {
    let called = false;
    const worker = instance(lambdaWorker(() => void (called = true), { fetch: (request) => new Response(`plain ${new URL(request.url).pathname}`) }));
    const res = await worker.fetch(new Request("https://lambda.example/x", { method: "POST", headers: { "x-portico-payload-format": "2.0" }, body: "{}" }));
    expect(await res.text()).toBe("plain /x");
    expect(called).toBe(false);
  });
});

describe("runLambda", () => {
  it("awaits async handlers", async () => {
    const outcome = await runLambda(async () => {
      await new Promise((r) => setTimeout(r, 1));
      return "Hello from Lambda!";
    }, {});
    expect(outcome).toEqual({ payload: '"Hello from Lambda!"' });
  });

  it("sends an undefined result as null", async () => {
    expect(await runLambda(() => undefined, {})).toEqual({ payload: "null" });
  });

  it("gives the handler a Lambda context", async () => {
    let ctx: LambdaContext | undefined;
    const outcome = await runLambda(
      (_event, context) => {
        ctx = context;
        return context.getRemainingTimeInMillis();
      },
      { requestContext: { requestId: "req-42" } },
      { functionName: "pets", timeoutMs: 5000 },
    );
    const remaining = JSON.parse(payload(outcome)) as number;
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThanOrEqual(5000);
    expect(ctx?.awsRequestId).toBe("req-42");
    expect(ctx?.functionName).toBe("pets");
    expect(ctx?.functionVersion).toBe("$LATEST");
  });

  it("makes up a request id when the event has none", async () => {
    let id = "";
    await runLambda((_e, c) => void (id = c.awsRequestId), [1, 2]);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("reports a thrown Error as Lambda does", async () => {
    const outcome = await runLambda(async () => {
      throw new TypeError("boom");
    }, {});
    expect(outcome).toEqual({ errorType: "TypeError", errorMessage: "boom" });
  });

  it("reports a thrown non-Error by its type", async () => {
    const outcome = await runLambda(() => {
      throw "oops";
    }, {});
    expect(outcome).toEqual({ errorType: "string", errorMessage: "oops" });
  });

  it("reports an unserialisable result as the function's error", async () => {
    const outcome = await runLambda(() => ({ n: 1n }), {});
    expect("errorType" in outcome && outcome.errorType).toBe("TypeError");
  });

  it("round-trips an unchanged Lambda handler through event and reply", async () => {
    const handler = async (event: LambdaEventV1) => ({
      statusCode: 200,
      headers: { "content-type": "text/plain" },
      body: `${event.httpMethod} ${event.path} ${event.queryStringParameters?.name ?? "?"}`,
    });
    const event = buildEventV1({
      method: "GET",
      path: "/hello",
      requestPath: "/prod/hello",
      resource: "/hello",
      routeKey: "GET /hello",
      rawQuery: "name=J%C3%BCrgen",
      headers: new Headers({ accept: "*/*" }),
      pathParameters: {},
      stageVariables: {},
      stage: "prod",
      requestId: "r1",
      apiId: "api",
      domainName: "example.com",
      sourceIp: "198.51.100.1",
      requestTimeEpochMs: 0,
      body: null,
      isBinaryBody: false,
    });
    const outcome = await instance(lambdaWorker(handler)).invokeLambda(event);
    expect(parseReply(JSON.parse(payload(outcome)), "1.0")).toEqual({
      status: 200,
      headers: [["content-type", "text/plain"]],
      body: "GET /hello Jürgen",
    });
  });
});

describe("streaming handlers (Lambda's response streaming)", () => {
  const text = async (stream: ReadableStream<Uint8Array>) => new TextDecoder().decode(await new Response(stream).arrayBuffer());

  it("write Lambda's wire format: a JSON prelude, eight NUL bytes, then the body as it is written", async () => {
    const handler = awslambda.streamifyResponse(async (event: { name: string }, responseStream) => {
      const out = awslambda.HttpResponseStream.from(responseStream, { statusCode: 201, headers: { "content-type": "text/plain" } });
      out.write(`hello ${event.name}`);
      await new Promise((r) => setTimeout(r, 5));
      out.end("!");
    });
    const stream = await instance(lambdaWorker(handler)).invokeLambdaStream({ name: "Ada" });
    const prelude = await readPrelude(stream.getReader());
    if ("malformed" in prelude) throw new Error(prelude.malformed);
    expect(prelude.metadata).toEqual({ statusCode: 201, headers: { "content-type": "text/plain" } });
    expect(await text(prelude.body)).toBe("hello Ada!");
  });

  it("answer only streamed invocations; a buffered handler's streamed result has no prelude (the gateway refuses it)", async () => {
    const streaming = instance(lambdaWorker(awslambda.streamifyResponse(async (_e, s) => s.end("x"))));
    expect(await streaming.invokeLambda({})).toMatchObject({ errorType: "Runtime.StreamingHandler" });
    const buffered = instance(lambdaWorker(() => ({ statusCode: 200, body: "b" })));
    expect(await readPrelude((await buffered.invokeLambdaStream({})).getReader())).toEqual({ malformed: "the stream ended without the prelude's delimiter (eight NUL bytes)" });
  });

  it("a handler that throws errors the stream", async () => {
    const worker = instance(lambdaWorker(awslambda.streamifyResponse(async () => Promise.reject(new Error("boom")))));
    const prelude = await readPrelude((await worker.invokeLambdaStream({})).getReader());
    expect(prelude).toMatchObject({ malformed: expect.stringMatching(/^the stream failed before its prelude/) });
  });
});

describe("readPrelude", () => {
  const chunks = (...parts: (string | number[])[]) =>
    new ReadableStream<Uint8Array>({
      start(c) {
        for (const p of parts) c.enqueue(typeof p === "string" ? new TextEncoder().encode(p) : new Uint8Array(p));
        c.close();
      },
    });

  it("finds a delimiter split across chunks and keeps what follows it", async () => {
    const prelude = await readPrelude(chunks('{"statusCode":200}', [0, 0, 0], [0, 0, 0, 0, 0, 98, 111], "dy").getReader());
    if ("malformed" in prelude) throw new Error(prelude.malformed);
    expect(prelude.metadata).toEqual({ statusCode: 200 });
    expect(new TextDecoder().decode(await new Response(prelude.body).arrayBuffer())).toBe("body");
  });

  it("refuses a prelude that is not JSON, or that runs past its bound without a delimiter", async () => {
    expect(await readPrelude(chunks("{nope", [0, 0, 0, 0, 0, 0, 0, 0]).getReader())).toEqual({ malformed: "the prelude is not JSON" });
    expect(await readPrelude(chunks("x".repeat(100), "y".repeat(100)).getReader(), 150)).toEqual({ malformed: "no prelude delimiter in the first 150 bytes" });
  });
});
