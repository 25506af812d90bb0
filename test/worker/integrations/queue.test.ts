/**
 * `queue` integrations through the pipeline against Miniflare's real Queues: the example's ADOPTION_REQUESTS
 * producer, consumed by the demo backend (examples/backend), which lists what it received at /adoption-requests.
 * What was refused is proven never sent by a marker message sent after it: once the marker is delivered, everything
 * sent before it has been too.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import type { IntegrationDefinition } from "../../../src/config/integration-types.ts";
import { gatewayFor } from "../support/gateway.ts";
import { uniqueSegment } from "./backends.ts";

const json = { "content-type": "application/json" };
type Consumed = { id: string; body: unknown; attempts: number };

const api = (routes: Record<string, Partial<IntegrationDefinition>>): ApiDefinition => ({
  name: "queues",
  stages: { prod: {} },
  routes: Object.fromEntries(Object.entries(routes).map(([k, more]) => [k, { integration: { type: "queue", queue: "ADOPTION_REQUESTS", ...more } as IntegrationDefinition }])),
});

async function consumed(): Promise<Consumed[]> {
  return (await (await (env.DEMO_BACKEND as Fetcher).fetch("http://backend/adoption-requests")).json()) as Consumed[];
}

/** Waits until the consumer has a message for which `has` holds; returns everything consumed by then. */
async function deliveredWhen(has: (c: Consumed) => boolean): Promise<Consumed[]> {
  for (let i = 0; i < 200; i++) {
    const all = await consumed();
    if (all.some(has)) return all;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("never delivered");
}

const md5 = async (text: string) => [...new Uint8Array(await crypto.subtle.digest("MD5", new TextEncoder().encode(text)))].map((b) => b.toString(16).padStart(2, "0")).join("");

describe("queue integration", () => {
  it("sends a JSON body as a json message and answers SQS's SendMessage shape", async () => {
    const gw = await gatewayFor(api({ "POST /requests": {} }));
    const tag = uniqueSegment();
    const res = await gw.fetch("/prod/requests", { method: "POST", headers: json, body: JSON.stringify({ tag, petId: 2 }) });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { MessageId: string; MD5OfMessageBody: string };
    expect(answer.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.MD5OfMessageBody).toBe(await md5(JSON.stringify({ tag, petId: 2 })));
    const all = await deliveredWhen((c) => (c.body as { tag?: string })?.tag === tag);
    expect(all.find((c) => (c.body as { tag?: string })?.tag === tag)!.body).toEqual({ tag, petId: 2 });
  });

  it("carries the MessageId and the trace to the consumer in an envelope, and text as text (no trace: the body alone)", async () => {
    const gw = await gatewayFor(api({ "POST /enveloped": { envelope: true }, "POST /text": {} }));
    const tag = uniqueSegment();
    const trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    const res = await gw.fetch("/prod/enveloped", { method: "POST", headers: { ...json, traceparent: `00-${trace}-00f067aa0ba902b7-01`, tracestate: "rojo=1" }, body: JSON.stringify({ tag }) });
    const { MessageId } = (await res.json()) as { MessageId: string };
    const requestId = res.headers.get("x-amzn-RequestId");
    const text = `note ${uniqueSegment()}`;
    expect((await gw.fetch("/prod/text", { method: "POST", headers: { "content-type": "text/plain", traceparent: `00-${trace}-00f067aa0ba902b7-01` }, body: text })).status).toBe(200);
    const all = await deliveredWhen((c) => c.body === text);
    // The caller's trace, continued with the gateway's span as the parent (as every backend gets it).
    expect(all.find((c) => (c.body as { messageId?: string })?.messageId === MessageId)!.body).toEqual({
      messageId: MessageId,
      requestId,
      traceparent: expect.stringMatching(new RegExp(`^00-${trace}-(?!00f067aa0ba902b7)[0-9a-f]{16}-01$`)),
      tracestate: "rojo=1",
      body: { tag },
    });
  });

  it("puts no trace in the envelope of a stage that does not trace", async () => {
    const gw = await gatewayFor({ ...api({ "POST /enveloped": { envelope: true } }), stages: { prod: { tracing: { enabled: false } } } });
    const tag = uniqueSegment();
    const res = await gw.fetch("/prod/enveloped", { method: "POST", headers: { ...json, traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }, body: JSON.stringify({ tag }) });
    const { MessageId } = (await res.json()) as { MessageId: string };
    const all = await deliveredWhen((c) => (c.body as { messageId?: string })?.messageId === MessageId);
    expect(all.find((c) => (c.body as { messageId?: string })?.messageId === MessageId)!.body).toEqual({ messageId: MessageId, requestId: res.headers.get("x-amzn-RequestId"), body: { tag } });
  });

  it("sends a JSON array as one batch, answering SendMessageBatch's shape", async () => {
    const gw = await gatewayFor(api({ "POST /batch": { batch: true } }));
    const tags = [uniqueSegment(), uniqueSegment(), uniqueSegment()];
    const res = await gw.fetch("/prod/batch", { method: "POST", headers: json, body: JSON.stringify(tags.map((tag) => ({ tag }))) });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { Successful: { Id: string; MessageId: string }[]; Failed: unknown[] };
    expect(answer.Successful.map((s) => s.Id)).toEqual(["0", "1", "2"]);
    expect(answer.Failed).toEqual([]);
    const all = await deliveredWhen((c) => (c.body as { tag?: string })?.tag === tags[2]);
    for (const tag of tags) expect(all.some((c) => (c.body as { tag?: string })?.tag === tag)).toBe(true);
  });

  it("builds the message with a request template, and shapes the answer with an integration response", async () => {
    const gw = await gatewayFor(
      api({
        "POST /pets/{id}/adopt": {
          requestTemplates: { "application/json": `{"petId": $input.params('id'), "adopter": "$util.escapeJavaScript($input.path('$.name'))"}` },
          responses: { default: { statusCode: 202, responseTemplates: { "application/json": `{"request": "$input.path('$.MessageId')"}` } } },
        },
      }),
    );
    const adopter = `Ada ${uniqueSegment()}`;
    const res = await gw.fetch("/prod/pets/3/adopt", { method: "POST", headers: json, body: JSON.stringify({ name: adopter }) });
    expect(res.status).toBe(202);
    expect(((await res.json()) as { request: string }).request).toMatch(/^[0-9a-f-]{36}$/);
    const all = await deliveredWhen((c) => (c.body as { adopter?: string })?.adopter === adopter);
    expect(all.find((c) => (c.body as { adopter?: string })?.adopter === adopter)!.body).toEqual({ petId: 3, adopter });
  });

  it("refuses oversize messages and batches with 413, and bodies that are not what the route takes with 400, sending nothing", async () => {
    const gw = await gatewayFor(api({ "POST /one": {}, "POST /batch": { batch: true }, "POST /text": { contentType: "text" } }));
    const refusedTag = uniqueSegment();
    const big = JSON.stringify({ tag: refusedTag, pad: "x".repeat(128_000) });
    const tooBig = await gw.fetch("/prod/one", { method: "POST", headers: json, body: big });
    expect(tooBig.status).toBe(413);
    expect(((await tooBig.json()) as { message: string }).message).toMatch(/^A message is at most 128000 bytes \(Queues' limit\); this one has 1280\d\d$/);
    const many = await gw.fetch("/prod/batch", { method: "POST", headers: json, body: JSON.stringify(Array.from({ length: 101 }, () => ({ tag: refusedTag }))) });
    expect(many.status).toBe(413);
    expect(await many.json()).toEqual({ message: "A batch holds at most 100 messages (Queues' limit)" });
    const heavy = await gw.fetch("/prod/batch", { method: "POST", headers: json, body: JSON.stringify(Array.from({ length: 3 }, () => ({ tag: refusedTag, pad: "y".repeat(90_000) }))) });
    expect(heavy.status).toBe(413);
    expect(((await heavy.json()) as { message: string }).message).toMatch(/^A batch is at most 256000 bytes/);
    const notJson = await gw.fetch("/prod/one", { method: "POST", headers: json, body: `{"tag": "${refusedTag}"` });
    expect(notJson.status).toBe(400);
    const notArray = await gw.fetch("/prod/batch", { method: "POST", headers: json, body: JSON.stringify({ tag: refusedTag }) });
    expect(notArray.status).toBe(400);
    expect(await notArray.json()).toEqual({ message: "The body must be a JSON array of messages" });

    // The marker, sent after them all: once it is delivered, none of the refused ones was ever sent.
    const marker = `marker ${uniqueSegment()}`;
    expect((await gw.fetch("/prod/text", { method: "POST", headers: { "content-type": "text/plain" }, body: marker })).status).toBe(200);
    const all = await deliveredWhen((c) => c.body === marker);
    expect(all.filter((c) => JSON.stringify(c.body).includes(refusedTag))).toEqual([]);
  });

  it("answers 500 when the Worker has no such queue binding", async () => {
    const gw = await gatewayFor({ name: "queues", stages: { prod: {} }, routes: { "POST /x": { integration: { type: "queue", queue: "NO_SUCH_QUEUE" } } } });
    const res = await gw.fetch("/prod/x", { method: "POST", headers: json, body: "{}" });
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('{"message": "Internal server error"}');
  });
});
