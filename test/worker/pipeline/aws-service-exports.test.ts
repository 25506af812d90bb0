/**
 * Exports with Amazon's AWS service integrations, private integrations and response streaming, imported as
 * `portico import` imports them (issue 15's `aws`, `connectionType: VPC_LINK`, `responseTransferMode: STREAM`) and
 * served through the whole pipeline: S3 objects and SQS messages by Amazon's ARNs, HTTP API SQS subtypes — against
 * the local AWS-compatible server (test/support/aws-server.ts), which verifies every call's SigV4 signature — a
 * Lambda-style streaming handler and a streamed HTTP backend, and a VPC link stood in for by a service binding.
 * The fixtures (test/fixtures/aws) follow Amazon's documented export format.
 */
import { describe, expect, it } from "vitest";
import { checkImport, importApi, type ImportOptions } from "../../../src/config/import/index.ts";
import type { ApiDefinition } from "../../../src/config/types.ts";
import s3Sqs from "../../fixtures/aws/s3-sqs-service-proxy.swagger2.json";
import sqsSubtypes from "../../fixtures/aws/sqs-subtypes-http-api.oas30.json";
import streamingPrivate from "../../fixtures/aws/rest-streaming-private.oas30.json";
import { AWS_TEST_ACCOUNT } from "../../support/aws/credentials.ts";
import { uid } from "../identity/support.ts";
import { awsCallsSince, awsUrl, createQueue, queueMessages, TEST_CREDENTIALS } from "../support/aws.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";

/** Imports as the CLI would, requiring that nothing in it would serve wrongly. */
function imported(value: unknown, options: ImportOptions): ApiDefinition {
  const result = importApi(structuredClone(value), options);
  expect(checkImport(result, { localDev: true }).errors).toEqual([]);
  return result.definition!;
}

/** The test server in place of AWS, signed with the test secrets: the import's `aws` options. */
const toTestServer = (): ImportOptions => ({ aws: { credentials: TEST_CREDENTIALS, endpoint: "${stageVariables.aws}" } });

describe("a REST API proxying S3 and SQS by Amazon's ARNs", async () => {
  const queue = `orders-${uid()}`;
  await createQueue(queue);
  const doc = structuredClone(s3Sqs);
  // Each run its own queue, in the test server's account (the export's ARN names both).
  doc.paths["/orders"].post["x-amazon-apigateway-integration"].uri = `arn:aws:apigateway:us-west-2:sqs:path/${AWS_TEST_ACCOUNT}/${queue}`;
  const gw = await gatewayFor(imported(doc, { ...toTestServer(), name: `storage-${uid()}`, stageVariables: { aws: awsUrl() } }));
  const bucket = `bucket-${uid()}`;

  it("PUT, GET and DELETE an object: path parameters mapped onto the bucket and key, headers through the integration responses", async () => {
    const started = Date.now();
    const put = await gw.fetch(`/prod/${bucket}/notes.txt`, { method: "PUT", headers: { "content-type": "text/plain" }, body: "hello from the gateway" });
    expect(put.status).toBe(200);
    const got = await gw.fetch(`/prod/${bucket}/notes.txt`);
    expect([got.status, got.headers.get("content-type"), await got.text()]).toEqual([200, "text/plain", "hello from the gateway"]);
    expect((await gw.fetch(`/prod/${bucket}/notes.txt`, { method: "DELETE" })).status).toBe(200);
    // S3's 404 NoSuchKey: the export's 4\d{2} integration response answers 400.
    expect((await gw.fetch(`/prod/${bucket}/notes.txt`)).status).toBe(400);
    const calls = (await awsCallsSince(started - 60_000)).filter((c) => c.path.startsWith(`/${bucket}/`));
    expect(calls.map((c) => [c.service, c.method, c.refused])).toEqual([
      ["s3", "PUT", null],
      ["s3", "GET", null],
      ["s3", "DELETE", null],
      ["s3", "GET", null],
    ]);
  });

  it("POST /orders sends the body as an SQS message (the query protocol, by the export's form template)", async () => {
    const res = await gw.fetch("/prod/orders", { method: "POST", headers: { "content-type": "application/json" }, body: '{"item":"book","qty":2}' });
    expect(res.status).toBe(200);
    const answer = await res.text();
    const waiting = await queueMessages(queue);
    expect(waiting).toHaveLength(1);
    expect(JSON.parse(waiting![0]!.body)).toEqual({ item: "book", qty: 2 });
    expect(answer).toContain(`<MessageId>${waiting![0]!.id}</MessageId>`);
  });
});

describe("an HTTP API with SQS integration subtypes", async () => {
  const queue = `subtype-${uid()}`;
  const queueUrl = await createQueue(queue);
  const gw = await gatewayFor(imported(sqsSubtypes, { ...toTestServer(), name: `orders-${uid()}`, stageVariables: { aws: awsUrl(), queueUrl } }));

  it("SendMessage with the request body, then ReceiveMessage gives it back", async () => {
    const sent = await gw.fetch("/prod/orders", { method: "POST", headers: { "content-type": "application/json" }, body: '{"order":7}' });
    expect(sent.status).toBe(200);
    const { MessageId } = (await sent.json()) as { MessageId: string };
    expect((await queueMessages(queue))!.map((m) => [m.id, m.body])).toEqual([[MessageId, '{"order":7}']]);
    const next = await gw.fetch("/prod/orders/next");
    expect(next.status).toBe(200);
    const { Messages } = (await next.json()) as { Messages: { MessageId: string; Body: string }[] };
    expect(Messages.map((m) => [m.MessageId, m.Body])).toEqual([[MessageId, '{"order":7}']]);
  });
});

describe("a REST API with response streaming and a private integration", async () => {
  const gw = await gatewayFor(
    imported(streamingPrivate, {
      name: `streaming-${uid()}`,
      backends: { "https://events.example.com": backendUrl() },
      lambda: { "chat-stream": "LAMBDA_ECHO" },
      vpcLinks: { abc123: "DEMO_BACKEND" },
    }),
  );

  /** The chunks of a response as they arrive. */
  async function arrivals(res: Response) {
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    const seen: { at: number; text: string }[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return seen;
      seen.push({ at: Date.now(), text: value });
    }
  }

  for (const [what, path] of [
    ["an HTTP backend's server-sent events", "/prod/ticks?ms=60"],
    ["a Lambda-style handler's events, by its streaming invocation", "/prod/sse/4"],
  ] as const)
    it(`streams ${what} one by one`, async () => {
      const res = await gw.fetch(path);
      expect([res.status, res.headers.get("content-type")]).toEqual([200, "text/event-stream"]);
      const seen = await arrivals(res);
      expect(seen.map((a) => a.text).join("").split("\n\n").filter(Boolean)).toEqual([0, 1, 2, 3].map((n) => `id: ${n}\ndata: {"n": ${n}}`));
      // Several reads, spread over time: the events were not gathered into one answer.
      expect(seen.length).toBeGreaterThanOrEqual(3);
      expect(seen.at(-1)!.at - seen[0]!.at).toBeGreaterThanOrEqual(60);
    });

  it("reaches the private backend through the binding standing in for the VPC link", async () => {
    const res = await gw.fetch("/prod/greeting?name=Ada");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: "Hello, Ada!" });
  });
});
