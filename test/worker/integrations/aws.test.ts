/**
 * `aws` integrations through the whole pipeline against the local AWS-compatible server (test/support/aws-server.ts),
 * which verifies the SigV4 signature of every call with the test secret: REST ARN URIs (path and action forms,
 * SQS's JSON and query protocols, S3 objects) with templates and integration responses, HTTP API subtypes, and
 * what must never reach AWS — a missing secret, an oversize message, a refused endpoint.
 */
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import type { IntegrationDefinition } from "../../../src/config/integration-types.ts";
import { type AwsCall, awsCallsSince, awsUrl, createQueue, inspectAws, putObject, queueMessages, TEST_CREDENTIALS } from "../support/aws.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";
import { uniqueSegment } from "./backends.ts";

const json = { "content-type": "application/json" };
const rest = (routes: Record<string, IntegrationDefinition>, variables: Record<string, string> = {}): ApiDefinition => ({
  name: "aws-rest",
  stages: { prod: { variables: { aws: awsUrl(), ...variables } } },
  routes: Object.fromEntries(Object.entries(routes).map(([k, integration]) => [k, { integration }])),
});
const http = (routes: Record<string, IntegrationDefinition>): ApiDefinition => ({ ...rest(routes), name: "aws-http", flavor: "http" });
const aws = (more: Partial<IntegrationDefinition> & Record<string, unknown>): IntegrationDefinition =>
  ({ type: "aws", credentials: TEST_CREDENTIALS, endpoint: "${stageVariables.aws}", ...more }) as IntegrationDefinition;

/** The calls the server had (from a little before `since`) that `match` picks out: unique names keep tests apart. */
async function calls(since: number, match: (c: AwsCall) => boolean) {
  return (await awsCallsSince(since - 60_000)).filter(match);
}

describe("REST: AWS integrations by ARN", () => {
  it("sends an SQS message with the JSON protocol (X-Amz-Target mapped), its body rendered by a template", async () => {
    const queue = `q-${uniqueSegment()}`;
    const queueUrl = await createQueue(queue);
    const gw = await gatewayFor(
      rest(
        {
          "POST /orders": aws({
            uri: `arn:aws:apigateway:us-east-1:sqs:path/111111111111/${queue}`,
            httpMethod: "POST",
            requestParameters: { "integration.request.header.X-Amz-Target": "'AmazonSQS.SendMessage'", "integration.request.header.Content-Type": "'application/x-amz-json-1.0'" },
            requestTemplates: { "application/json": `{"QueueUrl": "$stageVariables.queueUrl", "MessageBody": "$util.escapeJavaScript($input.json('$'))"}` },
            responses: { default: { statusCode: 200, responseTemplates: { "application/json": `{"queued": "$input.path('$.MessageId')"}` } } },
          }),
        },
        { queueUrl },
      ),
    );
    const started = Date.now();
    const res = await gw.fetch("/prod/orders", { method: "POST", headers: json, body: '{"item":"book","qty":2}' });
    expect(res.status).toBe(200);
    const { queued } = (await res.json()) as { queued: string };
    const waiting = await queueMessages(queue);
    expect(waiting).toHaveLength(1);
    expect(waiting![0]!.id).toBe(queued);
    expect(JSON.parse(waiting![0]!.body)).toEqual({ item: "book", qty: 2 });
    const seen = await calls(started, (c) => c.path.endsWith(`/${queue}`));
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((c) => c.refused === null)).toBe(true);
  });

  it("sends an SQS message with the query protocol (action form, parameters from the request)", async () => {
    const queue = `q-${uniqueSegment()}`;
    const queueUrl = await createQueue(queue);
    const gw = await gatewayFor(
      rest(
        {
          "POST /notes": aws({
            uri: "arn:aws:apigateway:us-east-1:sqs:action/SendMessage",
            requestParameters: { "integration.request.querystring.QueueUrl": "stageVariables.queueUrl", "integration.request.querystring.MessageBody": "method.request.body" },
          }),
        },
        { queueUrl },
      ),
    );
    const res = await gw.fetch("/prod/notes", { method: "POST", headers: { "content-type": "text/plain" }, body: "remember the milk" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/xml");
    const text = await res.text();
    const id = /<MessageId>([^<]+)<\/MessageId>/.exec(text)?.[1];
    expect((await queueMessages(queue))!.map((m) => [m.id, m.body])).toEqual([[id, "remember the milk"]]);
  });

  it("reads and writes S3 objects by path (ETag mapped), and maps NoSuchKey through an integration response", async () => {
    const key = `docs/${uniqueSegment()}.txt`;
    const route = (method: "GET" | "PUT") =>
      aws({
        uri: "arn:aws:apigateway:us-east-1:s3:path/portico-test/{key}",
        httpMethod: method,
        requestParameters: { "integration.request.path.key": "method.request.path.key" },
        responses: {
          default: { statusCode: 200, responseParameters: { "method.response.header.ETag": "integration.response.header.ETag" } },
          "404": { statusCode: 404, responseTemplates: { "application/json": '{"message": "No such document"}' } },
        },
      });
    const gw = await gatewayFor(rest({ "PUT /files/{key+}": route("PUT"), "GET /files/{key+}": route("GET") }));
    const put = await gw.fetch(`/prod/files/${key}`, { method: "PUT", headers: { "content-type": "text/plain" }, body: "hello, S3" });
    expect(put.status).toBe(200);
    const etag = put.headers.get("etag");
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const stored = await inspectAws<{ bodyBase64: string; contentType: string }>(`s3?id=${encodeURIComponent(`portico-test/${key}`)}`);
    expect(atob(stored.bodyBase64)).toBe("hello, S3");
    expect(stored.contentType).toBe("text/plain");

    const got = await gw.fetch(`/prod/files/${key}`);
    expect(got.status).toBe(200);
    expect(got.headers.get("etag")).toBe(etag);
    expect(await got.text()).toBe("hello, S3");

    const missing = await gw.fetch(`/prod/files/docs/${uniqueSegment()}`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: "No such document" });
  });

  it("signs with the named secrets only: a wrong secret is refused by AWS (passed through, or mapped)", async () => {
    const queue = `q-${uniqueSegment()}`;
    const queueUrl = await createQueue(queue);
    const wrong = { accessKeyId: "AWS_TEST_ACCESS_KEY_ID", secretAccessKey: "AWS_TEST_WRONG_SECRET" };
    const send = (more: Record<string, unknown>) =>
      aws({ uri: "arn:aws:apigateway:us-east-1:sqs:action/SendMessage", credentials: wrong, requestParameters: { "integration.request.querystring.QueueUrl": "stageVariables.queueUrl", "integration.request.querystring.MessageBody": "'x'" }, ...more });
    const gw = await gatewayFor(rest({ "POST /raw": send({}), "POST /mapped": send({ responses: { default: { statusCode: 200 }, "403": { statusCode: 502, responseTemplates: { "application/json": '{"message": "The queue refused us"}' } } } }) }, { queueUrl }));
    const started = Date.now();
    const raw = await gw.fetch("/prod/raw", { method: "POST" });
    expect(raw.status).toBe(403);
    const mapped = await gw.fetch("/prod/mapped", { method: "POST" });
    expect(mapped.status).toBe(502);
    expect(await mapped.json()).toEqual({ message: "The queue refused us" });
    expect(await queueMessages(queue)).toEqual([]);
    // The action form posts to the service's root: its calls are told apart by their time and outcome.
    const refused = await calls(started, (c) => c.action === "SendMessage" && c.refused !== null);
    expect(refused.map((c) => c.refused)).toContain("SignatureDoesNotMatch");
  });

  it("answers 500 without calling AWS when a credentials secret is missing", async () => {
    const queue = `q-${uniqueSegment()}`;
    const queueUrl = await createQueue(queue);
    const gw = await gatewayFor(
      rest(
        { "POST /x": aws({ uri: "arn:aws:apigateway:us-east-1:sqs:action/SendMessage", credentials: { accessKeyId: "AWS_TEST_ACCESS_KEY_ID", secretAccessKey: "NO_SUCH_SECRET" }, requestParameters: { "integration.request.querystring.QueueUrl": "stageVariables.queueUrl", "integration.request.querystring.MessageBody": "'x'" } }) },
        { queueUrl },
      ),
    );
    const res = await gw.fetch("/prod/x", { method: "POST" });
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('{"message": "Internal server error"}');
    expect(await res.text().catch(() => "")).not.toContain("NO_SUCH_SECRET");
    expect(await queueMessages(queue)).toEqual([]);
  });

  it("refuses an SQS message over 256 KiB with 413 before any call", async () => {
    const queue = `q-${uniqueSegment()}`;
    const queueUrl = await createQueue(queue);
    const gw = await gatewayFor(
      rest(
        {
          "POST /big": aws({
            uri: `arn:aws:apigateway:us-east-1:sqs:path/111111111111/${queue}`,
            requestParameters: { "integration.request.header.X-Amz-Target": "'AmazonSQS.SendMessage'", "integration.request.header.Content-Type": "'application/x-amz-json-1.0'" },
            requestTemplates: { "text/plain": `{"QueueUrl": "$stageVariables.queueUrl", "MessageBody": "$input.body"}` },
          }),
        },
        { queueUrl },
      ),
    );
    const started = Date.now();
    const res = await gw.fetch("/prod/big", { method: "POST", headers: { "content-type": "text/plain" }, body: "x".repeat(262_145) });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ message: "an SQS message is at most 262144 bytes" });
    expect(await calls(started, (c) => c.path.endsWith(queue))).toEqual([]);
    // The control: at the limit it is sent.
    const ok = await gw.fetch("/prod/big", { method: "POST", headers: { "content-type": "text/plain" }, body: "x".repeat(262_144) });
    expect(ok.status).toBe(200);
    expect((await queueMessages(queue))!.map((m) => m.body.length)).toEqual([262_144]);
  });

  it("refuses an endpoint that renders to loopback unless the Worker runs locally (500, nothing sent)", async () => {
    const def = rest({ "GET /o/{key}": aws({ uri: "arn:aws:apigateway:us-east-1:s3:path/portico-test/{key}", httpMethod: "GET" }) });
    const gw = await gatewayFor(def, { PORTICO_LOCAL_DEV: "false" });
    const key = uniqueSegment();
    const res = await gw.fetch(`/prod/o/${key}`);
    expect(res.status).toBe(500);
    expect(await calls(Date.now(), (c) => c.path === `/portico-test/${key}`)).toEqual([]);
    // The control: the same definition in a local Worker does call it.
    expect((await (await gatewayFor(def)).fetch(`/prod/o/${key}`)).status).toBe(404);
    expect(await calls(Date.now(), (c) => c.path === `/portico-test/${key}`)).toHaveLength(1);
  });

  it("answers 504 when the service does not answer within timeoutMs", async () => {
    const def = rest({ "GET /slow": aws({ uri: "arn:aws:apigateway:us-east-1:s3:path/bucket/key", httpMethod: "GET", endpoint: "${stageVariables.slow}", timeoutMs: 200 }) }, { slow: `${backendUrl()}/hang/aws-${uniqueSegment()}` });
    const res = await (await gatewayFor(def)).fetch("/prod/slow");
    expect(res.status).toBe(504);
    expect(await res.text()).toBe('{"message": "Endpoint request timed out"}');
  });
});

describe("the request's trace on a signed AWS call", () => {
  const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  const TP = `00-${TRACE}-00f067aa0ba902b7-01`;

  it("is set before signing: traceparent signed, X-Amzn-Trace-Id as X-Ray sends it (unsigned), and the signature verifies", async () => {
    const queue = `q-${uniqueSegment()}`;
    const queueUrl = await createQueue(queue);
    const bucket = `b-${uniqueSegment()}`;
    const gw = await gatewayFor(
      rest(
        {
          "POST /notes": aws({
            uri: "arn:aws:apigateway:us-east-1:sqs:action/SendMessage",
            requestParameters: { "integration.request.querystring.QueueUrl": "stageVariables.queueUrl", "integration.request.querystring.MessageBody": "method.request.body" },
          }),
          "PUT /files/{name}": aws({ uri: `arn:aws:apigateway:us-east-1:s3:path/${bucket}/{name}`, httpMethod: "PUT", requestParameters: { "integration.request.path.name": "method.request.path.name" } }),
        },
        { queueUrl },
      ),
    );
    const started = Date.now();
    expect((await gw.fetch("/prod/notes", { method: "POST", headers: { "content-type": "text/plain", traceparent: TP, tracestate: "rojo=1" }, body: "traced" })).status).toBe(200);
    expect((await gw.fetch("/prod/files/a.txt", { method: "PUT", headers: { "content-type": "text/plain", traceparent: TP }, body: "traced object" })).status).toBe(200);
    const seen = await calls(started, (c) => c.path.endsWith(`/${queue}`) || c.path === "/" || c.path.includes(`/${bucket}/`));
    const mine = seen.filter((c) => c.traceparent?.includes(TRACE));
    expect(mine.map((c) => c.service).sort()).toEqual(["s3", "sqs"]);
    for (const call of mine) {
      expect(call.refused, call.path).toBeNull();
      expect(call.traceparent).toMatch(new RegExp(`^00-${TRACE}-(?!00f067aa0ba902b7)[0-9a-f]{16}-01$`));
      expect(call.signedHeaders).toEqual(expect.arrayContaining(["traceparent", "host", "x-amz-date"]));
      expect(call.xAmznTraceId).toMatch(/^Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=[0-9a-f]{16};Sampled=1$/);
      expect(call.signedHeaders).not.toContain("x-amzn-trace-id");
    }
    expect(mine.find((c) => c.service === "sqs")!.signedHeaders).toContain("tracestate");
  });

  it("reaches an HTTP API subtype's call too, and none when the stage does not trace", async () => {
    const queue = `q-${uniqueSegment()}`;
    const queueUrl = await createQueue(queue);
    const route = { "POST /send": aws({ subtype: "SQS-SendMessage", region: "us-east-1", requestParameters: { QueueUrl: queueUrl, MessageBody: "$request.body.message" } }) };
    const traced = await gatewayFor(http(route));
    const quiet = await gatewayFor({ ...http(route), name: "aws-http-quiet", stages: { prod: { variables: { aws: awsUrl() }, tracing: { enabled: false } } } });
    const started = Date.now();
    expect((await traced.fetch("/prod/send", { method: "POST", headers: { ...json, traceparent: TP }, body: '{"message":"a"}' })).status).toBe(200);
    expect((await quiet.fetch("/prod/send", { method: "POST", headers: { ...json, traceparent: TP }, body: '{"message":"b"}' })).status).toBe(200);
    const seen = await calls(started, (c) => c.action === "SendMessage" && c.at >= started);
    const withTrace = seen.filter((c) => c.traceparent?.includes(TRACE));
    expect(withTrace).toHaveLength(1);
    expect(withTrace[0]).toMatchObject({ refused: null, signedHeaders: expect.arrayContaining(["traceparent"]) });
    // The quiet stage's call: the gateway took no part, and it never forwards a client's headers to AWS.
    expect(seen.filter((c) => c.refused === null && c.traceparent === null && c.xAmznTraceId === null).length).toBeGreaterThanOrEqual(1);
  });
});

describe("HTTP APIs: AWS service integration subtypes", () => {
  const subtype = (name: string, requestParameters: Record<string, string>) => aws({ subtype: name, region: "us-east-1", requestParameters });

  it("SQS-SendMessage, SQS-ReceiveMessage and SQS-DeleteMessage, by Amazon's parameter names", async () => {
    const queue = `q-${uniqueSegment()}`;
    const queueUrl = await createQueue(queue);
    const gw = await gatewayFor(
      http({
        "POST /send": subtype("SQS-SendMessage", { QueueUrl: queueUrl, MessageBody: "$request.body.message", DelaySeconds: "$request.querystring.delay" }),
        "POST /receive": subtype("SQS-ReceiveMessage", { QueueUrl: queueUrl, MaxNumberOfMessages: "5" }),
        "POST /delete": subtype("SQS-DeleteMessage", { QueueUrl: queueUrl, ReceiptHandle: "$request.body.handle" }),
      }),
    );
    const sent = await gw.fetch("/prod/send?delay=0", { method: "POST", headers: json, body: '{"message":"line one\\nline two"}' });
    expect(sent.status).toBe(200);
    expect(sent.headers.get("content-type")).toBe("application/x-amz-json-1.0");
    const { MessageId } = (await sent.json()) as { MessageId: string };
    const received = (await (await gw.fetch("/prod/receive", { method: "POST" })).json()) as { Messages: { MessageId: string; Body: string; ReceiptHandle: string }[] };
    expect(received.Messages.map((m) => [m.MessageId, m.Body])).toEqual([[MessageId, "line one\nline two"]]);
    const deleted = await gw.fetch("/prod/delete", { method: "POST", headers: json, body: JSON.stringify({ handle: received.Messages[0]!.ReceiptHandle }) });
    expect(deleted.status).toBe(200);
    // Deleting again: the service's own refusal passes through (AWS_PROXY).
    const again = await gw.fetch("/prod/delete", { method: "POST", headers: json, body: JSON.stringify({ handle: received.Messages[0]!.ReceiptHandle }) });
    expect(again.status).toBe(400);
    expect(((await again.json()) as { __type: string }).__type).toBe("com.amazonaws.sqs#ReceiptHandleIsInvalid");
  });

  it("StepFunctions-StartExecution, EventBridge-PutEvents and Kinesis-PutRecord", async () => {
    const name = `run-${uniqueSegment()}`;
    const gw = await gatewayFor(
      http({
        "POST /start": subtype("StepFunctions-StartExecution", { StateMachineArn: "arn:aws:states:us-east-1:111111111111:stateMachine:orders", Name: name, Input: "$request.body" }),
        "POST /events": subtype("EventBridge-PutEvents", { Source: "portico.test", DetailType: "$request.header.x-kind", Detail: "$request.body" }),
        "POST /records": subtype("Kinesis-PutRecord", { StreamName: "clicks", PartitionKey: "$request.querystring.user", Data: "$request.body" }),
      }),
    );
    const start = await gw.fetch("/prod/start", { method: "POST", headers: json, body: '{"order":7}' });
    expect(start.status).toBe(200);
    const { executionArn } = (await start.json()) as { executionArn: string };
    expect(executionArn).toBe(`arn:aws:states:us-east-1:111111111111:execution:orders:${name}`);
    const executions = await inspectAws<{ executionArn: string; input: string }[]>("executions");
    expect(executions.find((e) => e.executionArn === executionArn)?.input).toBe('{"order":7}');

    const kind = `kind-${uniqueSegment()}`;
    const event = await gw.fetch("/prod/events", { method: "POST", headers: { ...json, "x-kind": kind }, body: '{"a":1}' });
    expect(event.status).toBe(200);
    expect(await event.json()).toMatchObject({ FailedEntryCount: 0 });
    const stored = await inspectAws<{ entry: Record<string, unknown> }[]>("events");
    expect(stored.find((e) => e.entry.DetailType === kind)?.entry).toEqual({ Source: "portico.test", DetailType: kind, Detail: '{"a":1}' });

    const user = uniqueSegment();
    const record = await gw.fetch(`/prod/records?user=${user}`, { method: "POST", headers: { "content-type": "text/plain" }, body: "clicked ✓" });
    expect(record.status).toBe(200);
    expect(await record.json()).toMatchObject({ ShardId: "shardId-000000000000" });
    const records = await inspectAws<{ partitionKey: string; data: string; streamName: string }[]>("kinesis");
    expect(records.find((r) => r.partitionKey === user)).toMatchObject({ streamName: "clicks", data: "clicked ✓" });
  });

  it("refuses a missing required parameter (400) and an oversize message (413) before any call", async () => {
    const queue = `q-${uniqueSegment()}`;
    const queueUrl = await createQueue(queue);
    const gw = await gatewayFor(http({ "POST /send": subtype("SQS-SendMessage", { QueueUrl: queueUrl, MessageBody: "$request.body" }) }));
    const empty = await gw.fetch("/prod/send", { method: "POST" });
    expect(empty.status).toBe(400);
    expect(await empty.json()).toEqual({ message: "Missing required request parameters: [MessageBody]" });
    const big = await gw.fetch("/prod/send", { method: "POST", headers: { "content-type": "text/plain" }, body: "y".repeat(262_145) });
    expect(big.status).toBe(413);
    expect(await queueMessages(queue)).toEqual([]);
  });
});
