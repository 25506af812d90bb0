/**
 * What the local AWS-compatible server answers, service by service, in the shapes the services document and
 * return (AWS's API references: SQS's JSON and query protocols, S3's REST API, Step Functions', EventBridge's and
 * Kinesis' JSON protocols): success bodies, error `__type`s and codes, status codes, content types, the
 * `x-amzn-RequestId` header, and the services' own refusals (an SQS message over 256 KiB, a queue or key that does
 * not exist, a Kinesis blob that is not base64). State is in memory, for the test run.
 */
import { createHash, randomUUID } from "node:crypto";
import { AWS_TEST_ACCOUNT } from "./credentials.ts";

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

const md5 = (data: string | Buffer) => createHash("md5").update(data).digest("hex");
const SQS_MAX_BYTES = 262_144;

export class AwsState {
  /** Queues by name: messages waiting, and those received but not deleted (by receipt handle). */
  readonly queues = new Map<string, { waiting: { id: string; body: string; md5: string; attributes: unknown }[]; inflight: Map<string, { id: string; body: string }> }>();
  readonly objects = new Map<string, { body: Buffer; contentType: string; etag: string; modified: Date }>();
  readonly executions: { executionArn: string; stateMachineArn: string; name: string; input: string }[] = [];
  readonly events: { id: string; entry: Record<string, unknown> }[] = [];
  readonly records: { streamName: string; partitionKey: string; data: string; sequenceNumber: string }[] = [];
}

const json = (version: "1.0" | "1.1", status: number, value: unknown): Reply => ({
  status,
  headers: { "content-type": `application/x-amz-json-${version}`, "x-amzn-requestid": randomUUID() },
  body: JSON.stringify(value),
});
const jsonError = (version: "1.0" | "1.1", status: number, type: string, message: string) => json(version, status, { __type: type, message });
const xml = (status: number, body: string, contentType = "text/xml"): Reply => ({ status, headers: { "content-type": contentType, "x-amzn-requestid": randomUUID() }, body: `<?xml version="1.0"?>${body}` });
const escapeXml = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

// ---- SQS ------------------------------------------------------------------------------------------------------

const QUEUE_MISSING = ["com.amazonaws.sqs#QueueDoesNotExist", "The specified queue does not exist."] as const;

/** The queue a QueueUrl (or a request path `/{account}/{name}`) names. */
function queueName(urlOrPath: unknown): string | null {
  if (typeof urlOrPath !== "string") return null;
  const m = /\/(\d{12})\/([A-Za-z0-9_-]{1,80}(\.fifo)?)$/.exec(urlOrPath);
  return m && m[1] === AWS_TEST_ACCOUNT ? m[2]! : null;
}

export function sqsJson(state: AwsState, action: string, input: Record<string, unknown>, origin: string): Reply {
  if (action === "CreateQueue") {
    const name = String(input.QueueName ?? "");
    if (!/^[A-Za-z0-9_-]{1,80}(\.fifo)?$/.test(name)) return jsonError("1.0", 400, "com.amazonaws.sqs#InvalidParameterValue", "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length");
    if (!state.queues.has(name)) state.queues.set(name, { waiting: [], inflight: new Map() });
    return json("1.0", 200, { QueueUrl: `${origin}/${AWS_TEST_ACCOUNT}/${name}` });
  }
  const name = queueName(input.QueueUrl);
  const queue = name ? state.queues.get(name) : undefined;
  if (!queue) return jsonError("1.0", 400, ...QUEUE_MISSING);
  switch (action) {
    case "SendMessage": {
      if (typeof input.MessageBody !== "string" || input.MessageBody === "")
        return jsonError("1.0", 400, "com.amazonaws.sqs#MissingParameter", "The request must contain the parameter MessageBody.");
      if (Buffer.byteLength(input.MessageBody) > SQS_MAX_BYTES)
        return jsonError("1.0", 400, "com.amazonaws.sqs#InvalidParameterValue", `One or more parameters are invalid. Reason: Message must be shorter than ${SQS_MAX_BYTES} bytes.`);
      const message = { id: randomUUID(), body: input.MessageBody, md5: md5(input.MessageBody), attributes: input.MessageAttributes ?? null };
      queue.waiting.push(message);
      return json("1.0", 200, { MD5OfMessageBody: message.md5, MessageId: message.id });
    }
    case "ReceiveMessage": {
      const max = Number(input.MaxNumberOfMessages ?? 1);
      if (!Number.isInteger(max) || max < 1 || max > 10)
        return jsonError("1.0", 400, "com.amazonaws.sqs#InvalidParameterValue", `Value ${String(input.MaxNumberOfMessages)} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`);
      const taken = queue.waiting.splice(0, max);
      if (!taken.length) return json("1.0", 200, {});
      return json("1.0", 200, {
        Messages: taken.map((m) => {
          const handle = Buffer.from(randomUUID() + m.id).toString("base64");
          queue.inflight.set(handle, m);
          return { MessageId: m.id, ReceiptHandle: handle, MD5OfBody: m.md5, Body: m.body };
        }),
      });
    }
    case "DeleteMessage": {
      if (typeof input.ReceiptHandle !== "string" || !queue.inflight.delete(input.ReceiptHandle))
        return jsonError("1.0", 400, "com.amazonaws.sqs#ReceiptHandleIsInvalid", `The input receipt handle "${String(input.ReceiptHandle)}" is not a valid receipt handle.`);
      return json("1.0", 200, {});
    }
    default:
      return jsonError("1.0", 400, "com.amazonaws.sqs#UnsupportedOperation", `${action} is not supported by this test server`);
  }
}

/** SQS's query protocol: `Action=SendMessage&MessageBody=…` in the query string or a form body; XML answers. */
export function sqsQuery(state: AwsState, params: URLSearchParams, path: string, origin: string): Reply {
  const action = params.get("Action") ?? "";
  const queueUrl = params.get("QueueUrl") ?? (queueName(path) ? `${origin}${path}` : null);
  const name = queueName(queueUrl);
  const queue = name ? state.queues.get(name) : undefined;
  const requestId = `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>`;
  if (!queue)
    return xml(400, `<ErrorResponse><Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code><Message>${QUEUE_MISSING[1]}</Message><Detail/></Error>${requestId}</ErrorResponse>`);
  if (action === "SendMessage") {
    const body = params.get("MessageBody") ?? "";
    if (!body) return xml(400, `<ErrorResponse><Error><Type>Sender</Type><Code>MissingParameter</Code><Message>The request must contain the parameter MessageBody.</Message></Error>${requestId}</ErrorResponse>`);
    if (Buffer.byteLength(body) > SQS_MAX_BYTES)
      return xml(400, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameterValue</Code><Message>One or more parameters are invalid. Reason: Message must be shorter than ${SQS_MAX_BYTES} bytes.</Message></Error>${requestId}</ErrorResponse>`);
    const message = { id: randomUUID(), body, md5: md5(body), attributes: null };
    queue.waiting.push(message);
    return xml(200, `<SendMessageResponse><SendMessageResult><MessageId>${message.id}</MessageId><MD5OfMessageBody>${message.md5}</MD5OfMessageBody></SendMessageResult>${requestId}</SendMessageResponse>`);
  }
  if (action === "ReceiveMessage") {
    const taken = queue.waiting.splice(0, Number(params.get("MaxNumberOfMessages") ?? 1));
    const items = taken.map((m) => {
      const handle = Buffer.from(randomUUID() + m.id).toString("base64");
      queue.inflight.set(handle, m);
      return `<Message><MessageId>${m.id}</MessageId><ReceiptHandle>${handle}</ReceiptHandle><MD5OfBody>${m.md5}</MD5OfBody><Body>${escapeXml(m.body)}</Body></Message>`;
    });
    return xml(200, `<ReceiveMessageResponse><ReceiveMessageResult>${items.join("")}</ReceiveMessageResult>${requestId}</ReceiveMessageResponse>`);
  }
  return xml(400, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>The action ${escapeXml(action)} is not valid for this endpoint.</Message></Error>${requestId}</ErrorResponse>`);
}

// ---- S3 -------------------------------------------------------------------------------------------------------

const s3Error = (status: number, code: string, message: string, extra = "") =>
  xml(status, `<Error><Code>${code}</Code><Message>${message}</Message>${extra}<RequestId>${randomUUID().replace(/-/g, "").slice(0, 16).toUpperCase()}</RequestId></Error>`, "application/xml");

/** S3 path style: `/{bucket}/{key}` (the key decoded, as S3 stores it). */
export function s3(state: AwsState, method: string, rawPath: string, query: URLSearchParams, headers: Record<string, string | string[] | undefined>, body: Buffer): Reply {
  const [, bucket, ...rest] = rawPath.split("/");
  const key = rest.map((s) => decodeURIComponent(s)).join("/");
  if (!bucket || !key) return s3Error(501, "NotImplemented", "Only object operations are supported by this test server");
  const id = `${bucket}/${key}`;
  if (method === "PUT") {
    const etag = `"${md5(body)}"`;
    const contentType = typeof headers["content-type"] === "string" ? headers["content-type"] : "binary/octet-stream";
    state.objects.set(id, { body, contentType, etag, modified: new Date() });
    return { status: 200, headers: { etag, "x-amz-request-id": randomUUID() }, body: "" };
  }
  const object = state.objects.get(id);
  if (method === "DELETE") {
    state.objects.delete(id);
    return { status: 204, headers: {}, body: "" };
  }
  if (!object) return method === "HEAD" ? { status: 404, headers: {}, body: "" } : s3Error(404, "NoSuchKey", "The specified key does not exist.", `<Key>${escapeXml(key)}</Key>`);
  const out = {
    "content-type": query.get("response-content-type") ?? object.contentType,
    etag: object.etag,
    "last-modified": object.modified.toUTCString(),
    "accept-ranges": "bytes",
    "x-amz-request-id": randomUUID(),
  };
  if (method === "HEAD") return { status: 200, headers: { ...out, "content-length": String(object.body.byteLength) }, body: "" };
  return { status: 200, headers: out, body: object.body };
}

// ---- Step Functions, EventBridge, Kinesis -----------------------------------------------------------------------

export function states(state: AwsState, action: string, input: Record<string, unknown>): Reply {
  if (action !== "StartExecution") return jsonError("1.0", 400, "UnknownOperationException", `${action} is not supported by this test server`);
  const arn = String(input.stateMachineArn ?? "");
  const m = /^arn:aws:states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/.exec(arn);
  if (!m) return jsonError("1.0", 400, "InvalidArn", `Invalid Arn: 'Resource type not valid in this context: ${arn.split(":")[5] ?? ""}'`);
  const inputText = input.input === undefined ? "{}" : String(input.input);
  try {
    JSON.parse(inputText);
  } catch {
    return jsonError("1.0", 400, "InvalidExecutionInput", "Invalid State Machine Execution Input: 'Unexpected character'");
  }
  const name = input.name === undefined ? randomUUID() : String(input.name);
  const existing = state.executions.find((e) => e.stateMachineArn === arn && e.name === name);
  if (existing && existing.input !== inputText) return jsonError("1.0", 400, "ExecutionAlreadyExists", `Execution Already Exists: '${existing.executionArn}'`);
  const executionArn = `arn:aws:states:${m[1]}:${m[2]}:execution:${m[3]}:${name}`;
  if (!existing) state.executions.push({ executionArn, stateMachineArn: arn, name, input: inputText });
  return json("1.0", 200, { executionArn, startDate: Date.now() / 1000 });
}

export function events(state: AwsState, action: string, input: Record<string, unknown>): Reply {
  if (action !== "PutEvents") return jsonError("1.1", 400, "UnknownOperationException", `${action} is not supported by this test server`);
  const entries = input.Entries;
  if (!Array.isArray(entries) || entries.length < 1 || entries.length > 10)
    return jsonError("1.1", 400, "ValidationException", "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10");
  let failed = 0;
  const results = entries.map((entry: Record<string, unknown>) => {
    let detail: unknown;
    try {
      detail = JSON.parse(String(entry.Detail));
    } catch {
      detail = undefined;
    }
    if (!entry.Source || !entry.DetailType || typeof detail !== "object" || detail === null || Array.isArray(detail)) {
      failed++;
      return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
    }
    const id = randomUUID();
    state.events.push({ id, entry });
    return { EventId: id };
  });
  return json("1.1", 200, { Entries: results, FailedEntryCount: failed });
}

export function kinesis(state: AwsState, action: string, input: Record<string, unknown>): Reply {
  if (action !== "PutRecord") return jsonError("1.1", 400, "UnknownOperationException", `${action} is not supported by this test server`);
  const data = String(input.Data ?? "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0 || data === "")
    return jsonError("1.1", 400, "SerializationException", "Base64 encoded data is required for Data");
  if (!input.StreamName || !input.PartitionKey) return jsonError("1.1", 400, "ValidationException", "StreamName and PartitionKey are required");
  const sequenceNumber = `4959${String(Date.now()).padStart(20, "0")}${String(state.records.length).padStart(24, "0")}`;
  state.records.push({ streamName: String(input.StreamName), partitionKey: String(input.PartitionKey), data: Buffer.from(data, "base64").toString("utf8"), sequenceNumber });
  return json("1.1", 200, { SequenceNumber: sequenceNumber, ShardId: "shardId-000000000000", EncryptionType: "NONE" });
}
