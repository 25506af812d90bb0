/**
 * A local AWS-compatible server for the test suite (a Node server on loopback, started by the global setup), so
 * `aws` integrations are tested against real HTTP with real SigV4 and no account: every call's signature is
 * verified (aws/sigv4.ts, AWS's algorithm written independently of the gateway's signer) with the one test secret
 * (aws/credentials.ts), and the service is the one the signature's credential scope names — checked against the
 * request (an `X-Amz-Target` of another service is refused). Answers are the services' (aws/services.ts):
 *
 *   s3       path style: PUT, GET (`response-content-type`), HEAD, DELETE of `/{bucket}/{key}`
 *   sqs      JSON protocol (`X-Amz-Target: AmazonSQS.*`, application/x-amz-json-1.0): CreateQueue, SendMessage,
 *            ReceiveMessage, DeleteMessage; query protocol (`Action=…` in the query or a form body): SendMessage,
 *            ReceiveMessage
 *   states   AWSStepFunctions.StartExecution        events   AWSEvents.PutEvents
 *   kinesis  Kinesis_20131202.PutRecord
 *
 * A refused signature answers 403 in the service's own error format (S3's XML, the JSON protocols' `__type`).
 * Unsigned test-only reads, for assertions: GET /__inspect/calls (every call: service, action, verified or the
 * refusal's code), /__inspect/sqs?queue=NAME (waiting messages), /__inspect/executions, /__inspect/events,
 * /__inspect/kinesis, /__inspect/s3?id=BUCKET/KEY.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { AWS_TEST_ACCESS_KEY_ID, AWS_TEST_SECRET_ACCESS_KEY } from "./aws/credentials.ts";
import { AwsState, events, kinesis, s3, sqsJson, sqsQuery, states, type Reply } from "./aws/services.ts";
import { verifySigV4 } from "./aws/sigv4.ts";

export interface AwsServer {
  url: string;
  close(): Promise<void>;
}

interface Call {
  at: number;
  service: string | null;
  action: string;
  method: string;
  path: string;
  /** null when the signature verified; else the refusal's code. */
  refused: string | null;
  /** The trace headers the call carried, and the headers its signature covers (empty when it did not verify). */
  traceparent: string | null;
  xAmznTraceId: string | null;
  signedHeaders: string[];
}

/** The JSON-protocol services by their X-Amz-Target prefix, and the JSON version they speak. */
const TARGETS: Record<string, { service: string; version: "1.0" | "1.1" }> = {
  AmazonSQS: { service: "sqs", version: "1.0" },
  AWSStepFunctions: { service: "states", version: "1.0" },
  AWSEvents: { service: "events", version: "1.1" },
  Kinesis_20131202: { service: "kinesis", version: "1.1" },
};

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export async function startAwsServer(port = 0): Promise<AwsServer> {
  const state = new AwsState();
  const calls: Call[] = [];
  const server: Server = createServer(async (req, res) => {
    const rawUrl = req.url ?? "/";
    const url = new URL(rawUrl, "http://aws.local");
    const send = (reply: Reply) => res.writeHead(reply.status, reply.headers).end(reply.body);
    if (url.pathname.startsWith("/__inspect/")) return send(inspect(url, state, calls));
    const origin = `http://${req.headers.host}`;
    const body = await readBody(req);
    const target = typeof req.headers["x-amz-target"] === "string" ? req.headers["x-amz-target"] : "";
    const [prefix, action = ""] = target.split(".");
    const json = prefix ? TARGETS[prefix] : undefined;
    const verified = verifySigV4({ method: req.method ?? "GET", rawUrl, headers: req.headers, body }, (id) => (id === AWS_TEST_ACCESS_KEY_ID ? AWS_TEST_SECRET_ACCESS_KEY : undefined));
    const service = verified.ok ? verified.service : /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization))?.[1] ?? null;
    const one = (name: string) => (typeof req.headers[name] === "string" ? (req.headers[name] as string) : null);
    const call: Call = {
      at: Date.now(),
      service,
      action: action || url.searchParams.get("Action") || req.method || "",
      method: req.method ?? "",
      path: url.pathname,
      refused: verified.ok ? null : verified.code,
      traceparent: one("traceparent"),
      xAmznTraceId: one("x-amzn-trace-id"),
      signedHeaders: verified.ok ? verified.signedHeaders : [],
    };
    calls.push(call);
    if (!verified.ok) return send(refusal(service, json?.version, verified.code, verified.message));
    if (json && json.service !== verified.service) {
      call.refused = "SignatureDoesNotMatch";
      return send(refusal(service, json.version, "SignatureDoesNotMatch", `Credential should be scoped to correct service: '${json.service}'.`));
    }
    let input: Record<string, unknown> = {};
    if (json) {
      try {
        input = JSON.parse(body.toString("utf8") || "{}") as Record<string, unknown>;
      } catch {
        return send({ status: 400, headers: { "content-type": `application/x-amz-json-${json.version}` }, body: JSON.stringify({ __type: "SerializationException", message: "Start of structure or map found where not expected." }) });
      }
    }
    switch (verified.service) {
      case "s3":
        return send(s3(state, req.method ?? "GET", url.pathname, url.searchParams, req.headers, body));
      case "sqs":
        if (json) return send(sqsJson(state, action, input, origin));
        return send(sqsQuery(state, new URLSearchParams([...url.searchParams, ...new URLSearchParams(body.toString("utf8"))]), url.pathname, origin));
      case "states":
        return send(states(state, action, input));
      case "events":
        return send(events(state, action, input));
      case "kinesis":
        return send(kinesis(state, action, input));
      default:
        return send({ status: 400, headers: { "content-type": "application/json" }, body: JSON.stringify({ __type: "UnknownService", message: `${verified.service} is not served by this test server` }) });
    }
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A refused signature, in the service's own error format. */
function refusal(service: string | null, version: "1.0" | "1.1" | undefined, code: string, message: string): Reply {
  if (service === "s3")
    return { status: 403, headers: { "content-type": "application/xml" }, body: `<?xml version="1.0"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>${randomUUID()}</RequestId></Error>` };
  const status = code === "MissingAuthenticationToken" || code === "IncompleteSignature" || code === "InvalidClientTokenId" ? 403 : code === "XAmzContentSHA256Mismatch" ? 400 : 403;
  return { status, headers: { "content-type": `application/x-amz-json-${version ?? "1.0"}`, "x-amzn-requestid": randomUUID() }, body: JSON.stringify({ __type: `com.amazon.coral.service#${code}Exception`, message }) };
}

function inspect(url: URL, state: AwsState, calls: Call[]): Reply {
  const reply = (value: unknown): Reply => ({ status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(value) });
  switch (url.pathname) {
    case "/__inspect/calls":
      return reply(calls);
    case "/__inspect/sqs":
      return reply(state.queues.get(url.searchParams.get("queue") ?? "")?.waiting ?? null);
    case "/__inspect/executions":
      return reply(state.executions);
    case "/__inspect/events":
      return reply(state.events);
    case "/__inspect/kinesis":
      return reply(state.records);
    case "/__inspect/s3": {
      const object = state.objects.get(url.searchParams.get("id") ?? "");
      return reply(object ? { contentType: object.contentType, etag: object.etag, bodyBase64: object.body.toString("base64") } : null);
    }
    default:
      return { status: 404, headers: {}, body: "" };
  }
}
