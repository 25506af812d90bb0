import { describe, it, expect } from "vitest";
import { lambdaWorker, LAMBDA_ERROR_HEADER, type LambdaContext } from "./adapter.ts";
import { buildEventV1, type LambdaEventV1 } from "./event.ts";
import { parseReply } from "./reply.ts";

const invoke = (body: unknown, init: RequestInit = {}) =>
  new Request("https://lambda.internal/", { method: "POST", body: JSON.stringify(body), ...init });

describe("lambdaWorker", () => {
  it("is a Worker", () => {
    const worker: ExportedHandler = lambdaWorker(() => ({ statusCode: 204 }));
    expect(typeof worker.fetch).toBe("function");
  });

  it("passes the event and replies 200 with the sync handler's JSON result", async () => {
    let seen: unknown;
    const worker = lambdaWorker((event) => {
      seen = event;
      return { statusCode: 201, body: "made" };
    });
    const res = await worker.fetch(invoke({ hello: "world" }));
    expect(seen).toEqual({ hello: "world" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get(LAMBDA_ERROR_HEADER)).toBeNull();
    expect(await res.json()).toEqual({ statusCode: 201, body: "made" });
  });

  it("awaits async handlers", async () => {
    const worker = lambdaWorker(async () => {
      await new Promise((r) => setTimeout(r, 1));
      return "Hello from Lambda!";
    });
    const res = await worker.fetch(invoke({}));
    expect(await res.text()).toBe('"Hello from Lambda!"');
  });

  it("sends an undefined result as null", async () => {
    const res = await lambdaWorker(() => undefined).fetch(invoke({}));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("null");
  });

  it("gives the handler a Lambda context", async () => {
    let ctx: LambdaContext | undefined;
    const worker = lambdaWorker(
      (_event, context) => {
        ctx = context;
        return context.getRemainingTimeInMillis();
      },
      { functionName: "pets", timeoutMs: 5000 },
    );
    const res = await worker.fetch(invoke({ requestContext: { requestId: "req-42" } }));
    const remaining: unknown = await res.json();
    expect(typeof remaining).toBe("number");
    expect(remaining as number).toBeGreaterThan(0);
    expect(remaining as number).toBeLessThanOrEqual(5000);
    expect(ctx?.awsRequestId).toBe("req-42");
    expect(ctx?.functionName).toBe("pets");
    expect(ctx?.functionVersion).toBe("$LATEST");
  });

  it("makes up a request id when the event has none", async () => {
    let id = "";
    await lambdaWorker((_e, c) => void (id = c.awsRequestId)).fetch(invoke([1, 2]));
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("reports a thrown Error as Lambda does", async () => {
    const worker = lambdaWorker(async () => {
      throw new TypeError("boom");
    });
    const res = await worker.fetch(invoke({}));
    expect(res.status).toBe(500);
    expect(res.headers.get(LAMBDA_ERROR_HEADER)).toBe("Unhandled");
    expect(await res.json()).toEqual({ errorType: "TypeError", errorMessage: "boom" });
  });

  it("reports a thrown non-Error by its type", async () => {
    const res = await lambdaWorker(() => {
      throw "oops";
    }).fetch(invoke({}));
    expect(res.status).toBe(500);
    expect(res.headers.get(LAMBDA_ERROR_HEADER)).toBe("Unhandled");
    expect(await res.json()).toEqual({ errorType: "string", errorMessage: "oops" });
  });

  it("reports an unserialisable result as the function's error", async () => {
    const res = await lambdaWorker(() => ({ n: 1n })).fetch(invoke({}));
    expect(res.status).toBe(500);
    expect(res.headers.get(LAMBDA_ERROR_HEADER)).toBe("Unhandled");
    expect(((await res.json()) as { errorType: string }).errorType).toBe("TypeError");
  });

  it("refuses non-POST requests and non-JSON bodies without calling the handler", async () => {
    let called = false;
    const worker = lambdaWorker(() => void (called = true));
    const get = await worker.fetch(new Request("https://lambda.internal/"));
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    const bad = await worker.fetch(new Request("https://lambda.internal/", { method: "POST", body: "{nope" }));
    expect(bad.status).toBe(400);
    expect(called).toBe(false);
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
    const res = await lambdaWorker(handler).fetch(invoke(event));
    expect(parseReply(await res.json(), "1.0")).toEqual({
      status: 200,
      headers: [["content-type", "text/plain"]],
      body: "GET /hello Jürgen",
    });
  });
});
