/**
 * Response streaming (`responseTransferMode: STREAM`) through the pipeline, on `http_proxy` (the local Node
 * backend's streaming endpoints, test/support/streaming-backend.ts) and on Lambda-style `service` integrations
 * (the test Worker's streaming handler, over RPC, in Lambda's wire format): the first byte reaches the client while
 * the backend is still holding its response open (a gate the test opens), server-sent events arrive one by one, a
 * client that goes away cancels the backend, a stalled backend is cut off at the idle timeout, a broken prelude is
 * Amazon's 502, and nothing streamed is cached.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import type { IntegrationDefinition } from "../../../src/config/integration-types.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";
import { nodeHits, uniqueSegment } from "./backends.ts";

const proxy = (path: string, more: Record<string, unknown> = {}): IntegrationDefinition =>
  ({ type: "http_proxy", uri: `${backendUrl()}${path}`, responseTransferMode: "STREAM", ...more }) as IntegrationDefinition;
const lambda = (more: Record<string, unknown> = {}): IntegrationDefinition =>
  ({ type: "service", service: "LAMBDA_ECHO", payloadFormat: "1.0", responseTransferMode: "STREAM", ...more }) as IntegrationDefinition;

function api(routes: Record<string, IntegrationDefinition>, cache = false): ApiDefinition {
  return {
    name: "streaming",
    stages: { prod: cache ? { cache: { enabled: true, ttl: 60 } } : {} },
    routes: Object.fromEntries(Object.entries(routes).map(([k, integration]) => [k, { integration }])),
  };
}

const decoder = new TextDecoder();
const worker = () => env.LAMBDA_ECHO as Fetcher;
const nodeStream = async (tag: string) => (await (await fetch(`${backendUrl()}/__stream?tag=${tag}`)).json()) as { state: string; written: number } | null;
const workerStream = async (tag: string) => (await (await worker().fetch(`http://w/__stream-state?tag=${tag}`)).json()) as { state: string; written: number } | null;

/** Polls `read` until `done` holds (streams end on their own clock). */
async function until<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await read();
    if (done(v)) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("never happened");
}

/**
 * Reads a gated response: the first chunk, the backend's state at that moment (still open: it has not finished),
 * then opens the gate after `holdMs` and reads the rest. Times are from the request.
 */
async function throughGate(res: Response, state: () => Promise<{ state: string } | null>, open: () => Promise<unknown>, started: number, holdMs: number) {
  const reader = res.body!.getReader();
  const first = await reader.read();
  const firstByteMs = Date.now() - started;
  const whileFirst = await state();
  await new Promise((r) => setTimeout(r, holdMs));
  await open();
  let rest = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    rest += decoder.decode(value);
  }
  return { first: decoder.decode(first.value), whileFirst, rest, firstByteMs, totalMs: Date.now() - started };
}

describe("response streaming: the first byte before the backend has finished", () => {
  it("http_proxy: the first chunk arrives while the backend holds its response open; time to first byte against total", async () => {
    const gw = await gatewayFor(api({ "GET /hold/{tag}": proxy("/hold/{tag}") }));
    const tag = uniqueSegment();
    const started = Date.now();
    const res = await gw.fetch(`/prod/hold/${tag}`);
    expect(res.status).toBe(200);
    const seen = await throughGate(res, () => nodeStream(tag), () => fetch(`${backendUrl()}/hold-open/${tag}`, { method: "POST" }), started, 300);
    expect(seen.first).toBe("first\n");
    expect(seen.whileFirst).toEqual({ state: "open", written: 1 });
    expect(seen.rest).toBe("second\n");
    console.log(`http_proxy STREAM: first byte after ${seen.firstByteMs} ms, whole response after ${seen.totalMs} ms`);
    expect(seen.firstByteMs).toBeLessThan(seen.totalMs - 250);
  });

  it("Lambda-style handler: the prelude's status and headers, then the first chunk while the handler waits", async () => {
    const gw = await gatewayFor(api({ "GET /gate/{tag}": lambda() }));
    const tag = uniqueSegment();
    const started = Date.now();
    const res = await gw.fetch(`/prod/gate/${tag}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain");
    const seen = await throughGate(res, () => workerStream(tag), () => worker().fetch(`http://w/__gate-open?tag=${tag}`), started, 300);
    expect([seen.first, seen.whileFirst, seen.rest]).toEqual(["first\n", { state: "open", written: 1 }, "second\n"]);
    console.log(`Lambda STREAM: first byte after ${seen.firstByteMs} ms, whole response after ${seen.totalMs} ms`);
    expect(seen.firstByteMs).toBeLessThan(seen.totalMs - 250);
  });

  it("server-sent events arrive one by one, from a backend and from a Lambda-style handler", async () => {
    const gw = await gatewayFor(api({ "GET /events": proxy("/sse/4", { uri: `${backendUrl()}/sse/4?ms=60` }), "GET /sse/{n}": lambda() }));
    for (const path of ["/prod/events", "/prod/sse/4"]) {
      const res = await gw.fetch(path);
      expect(res.headers.get("content-type")).toBe("text/event-stream");
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      const arrivals: { at: number; text: string }[] = [];
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        arrivals.push({ at: Date.now(), text: value });
      }
      const events = arrivals.map((a) => a.text).join("").split("\n\n").filter(Boolean);
      expect(events).toEqual([0, 1, 2, 3].map((n) => `id: ${n}\ndata: {"n": ${n}}`));
      // Several reads, spread over time: the events were not gathered into one answer.
      expect(arrivals.length).toBeGreaterThanOrEqual(3);
      expect(arrivals.at(-1)!.at - arrivals[0]!.at).toBeGreaterThanOrEqual(60);
    }
  });
});

describe("response streaming: limits and failures", () => {
  it("a client that goes away cancels the backend read (http_proxy and Lambda-style)", async () => {
    const gw = await gatewayFor(api({ "GET /drip/{tag}": proxy("/drip/{tag}"), "GET /forever/{tag}": lambda() }));
    for (const [path, state] of [
      ["drip", nodeStream],
      ["forever", workerStream],
    ] as const) {
      const tag = uniqueSegment();
      const res = await gw.fetch(`/prod/${path}/${tag}`);
      const reader = res.body!.getReader();
      await reader.read();
      await reader.read();
      await reader.cancel("the client went away");
      const ended = await until(() => state(tag), (s) => s?.state !== "open");
      expect(ended!.state).toBe(path === "drip" ? "closed" : "cancelled");
      const written = ended!.written;
      await new Promise((r) => setTimeout(r, 100));
      expect((await state(tag))!.written, `${path}: nothing more is produced`).toBe(written);
    }
  });

  it("a backend silent for longer than streamIdleTimeoutMs is cut off, and its read cancelled", async () => {
    const gw = await gatewayFor(api({ "GET /stall/{tag}": proxy("/stall/{tag}", { uri: `${backendUrl()}/stall/{tag}?ms=5000`, streamIdleTimeoutMs: 200 }) }));
    const tag = uniqueSegment();
    const res = await gw.fetch(`/prod/stall/${tag}`);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    expect(decoder.decode((await reader.read()).value)).toBe("first\n");
    const started = Date.now();
    await expect(reader.read()).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await until(() => nodeStream(tag), (s) => s?.state !== "open"))!.state).toBe("closed");
  });

  it("a prelude that is missing, not JSON or not Amazon's shape is a 502; no prelude within timeoutMs is a 504", async () => {
    const gw = await gatewayFor(api({ "GET /{kind}": lambda(), "GET /slow-prelude": lambda({ timeoutMs: 200 }) }));
    for (const kind of ["no-prelude", "bad-prelude", "body-in-prelude", "throw"]) {
      const res = await gw.fetch(`/prod/${kind}`);
      expect(res.status, kind).toBe(502);
      expect(await res.text()).toBe('{"message": "Internal server error"}');
    }
    const slow = await gw.fetch("/prod/slow-prelude");
    expect(slow.status).toBe(504);
    expect(await slow.text()).toBe('{"message": "Endpoint request timed out"}');
  });

  it("the prelude's status, headers, multi-value headers and cookies reach the client", async () => {
    const gw = await gatewayFor(api({ "GET /status/{n}": lambda(), "GET /cookies": lambda() }));
    const missing = await gw.fetch("/prod/status/404");
    expect([missing.status, await missing.json()]).toEqual([404, { status: 404 }]);
    const res = await gw.fetch("/prod/cookies");
    expect(res.status).toBe(201);
    expect(res.headers.get("x-one")).toBe("1");
    expect(res.headers.get("x-many")).toBe("a, b");
    expect(res.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(await res.text()).toBe("with cookies");
  });

  it("is never cached, even on a stage that caches", async () => {
    const gw = await gatewayFor(api({ "GET /sse/{n}": proxy("/sse/{n}") }, true));
    const n = 2 + Math.floor(Math.random() * 1000);
    for (let i = 0; i < 2; i++) {
      const res = await gw.fetch(`/prod/sse/${n}?ms=1`);
      expect(res.headers.get("x-cache")).toBeNull();
      await res.text();
    }
    expect(await nodeHits(`/sse/${n}`)).toBe(2);
  });
});
