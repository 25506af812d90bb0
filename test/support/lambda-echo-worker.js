/**
 * A test-only Worker standing in for a Lambda function (and for a plain Worker backend) behind `service`
 * integrations, on the Lambda adapter's contract (src/wire/lambda/adapter.ts; vitest.config.ts bundles
 * this file with it):
 *
 *   - an RPC call `invokeLambda(event)` on the binding is a Lambda invocation, run by the adapter's `runLambda`
 *     (a Python-style error's whole document replaces the adapter's error outcome: `select-pattern` below);
 *   - every HTTP request is plain HTTP (payloadFormat raw), whatever its headers or body: `/echo/...` and
 *     everything else echo the request as JSON, `/status/{n}` answers n, `/hang` never answers in time.
 *   - `GET /__hits?path=/x` says how often `/x` was called: the raw request path, or the event's path for a
 *     Lambda invocation (the path after the stage). It is not itself counted.
 *
 * The handler depends on the `MODE` binding, so one script serves two recorded setups:
 *   - `echo`: returns `{statusCode: 200, body: JSON.stringify(event)}` (a path containing `/status/{n}` answers n,
 *     one containing `/hang` never answers in time);
 *   - `choose`: returns `JSON.parse(event.body)`, so the client chooses the Lambda result; with no body it returns
 *     the stage variable `lambdaResult` parsed when there is one, and otherwise throws (as json.loads(None) does);
 *   - `identity`: returns the event itself (a Lambda custom integration's echo);
 *   - `select-pattern`: the recorded Python function behind the selection-pattern cases — event.statusCode "200"
 *     returns "Pass", "400" and "500" raise Exception("Error: Raising four hundred|five hundred from within the
 *     Lambda function"); its errors come back as the Python runtime reports them (errorMessage, errorType,
 *     requestId, stackTrace);
 *   - `override`: the recorded function behind the responseOverride case — {statusCode: 200, body: "customerror"}
 *     when event.body.httpStatus >= 400, else {statusCode: 200, body: "noerror"}.
 *
 * Streamed invocations (`invokeLambdaStream`, routes with responseTransferMode STREAM) run a handler written as
 * Lambda's are (`awslambda.streamifyResponse`, `HttpResponseStream.from`), chosen by the event's path:
 * `/sse/{n}` n server-sent events 30 ms apart; `/gate/{tag}` "first\n", then "second\n" once `GET
 * /__gate-open?tag=` is called; `/forever/{tag}` a line every 20 ms until a write fails (the client went away);
 * `/status/{n}` status n; `/event` the event itself as JSON; `/cookies` cookies and multi-value headers; `/slow-prelude` no prelude for 10 s;
 * `/no-prelude`, `/bad-prelude`, `/body-in-prelude` and `/throw` break the format. `GET /__stream-state?tag=` says
 * how a tagged stream ended: {state: "open" | "done" | "cancelled", written}.
 */

import { WorkerEntrypoint } from "cloudflare:workers";
import { awslambda, runLambda, runLambdaStream } from "../../src/wire/lambda/adapter.ts";

/** Long enough to outlast any gateway timeout a test sets, short enough never to hold a run up for long. */
const HANG_MS = 10_000;
const hits = new Map();

function count(path) {
  hits.set(path, (hits.get(path) ?? 0) + 1);
}

function hang() {
  // A pending timer keeps workerd from deciding that the request can never finish.
  return new Promise((resolve) => setTimeout(resolve, HANG_MS));
}

function statusIn(path) {
  const m = /\/status\/(\d{3})(?:\/|$)/.exec(path);
  return m ? Number(m[1]) : null;
}

async function handler(event, mode) {
  const path = event.rawPath ?? event.path ?? "";
  if (path.includes("/hang")) {
    await hang();
    return { statusCode: 200, body: "too late" };
  }
  if (mode === "identity") return event;
  if (mode === "override") return { statusCode: 200, body: Number(event.body?.httpStatus) >= 400 ? "customerror" : "noerror" };
  if (mode === "select-pattern") {
    if (event.statusCode === "200") return "Pass";
    const word = event.statusCode === "400" ? "four" : "five";
    throw pythonError(`Error: Raising ${word} hundred from within the Lambda function`);
  }
  if (mode === "choose") {
    // A fixed result can be configured as a stage variable, for requests that carry no body (GET).
    if (event.body == null && event.stageVariables?.lambdaResult) return JSON.parse(event.stageVariables.lambdaResult);
    // Python's json.loads(None), as in the recorded handler, raises a TypeError; JSON.parse(null) would not.
    if (typeof event.body !== "string") throw new TypeError("the JSON object must be str, bytes or bytearray, not NoneType");
    return JSON.parse(event.body);
  }
  const status = statusIn(path);
  if (status !== null) {
    return { statusCode: status, headers: { "content-type": "application/json", "x-lambda": "yes" }, body: JSON.stringify({ status }) };
  }
  return { statusCode: 200, headers: { "content-type": "application/json", "x-lambda": "yes" }, body: JSON.stringify(event) };
}

/**
 * An error reported as Lambda's Python runtime reports a raised Exception: the document invokeLambda returns in
 * place of the adapter's {errorType, errorMessage} (the gateway passes an error outcome's fields on whole).
 */
function pythonError(message) {
  const error = new Error(message);
  error.python = {
    errorMessage: message,
    errorType: "Exception",
    requestId: crypto.randomUUID(),
    stackTrace: [`  File "/var/task/handler.py", line 9, in handler\n    raise Exception("${message}")\n`],
  };
  return error;
}

const streams = new Map();
const gates = new Map();
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const streamHandler = awslambda.streamifyResponse(async (event, responseStream) => {
  const path = event.rawPath ?? event.path ?? "";
  const [, kind, arg] = /^\/([a-z-]+)(?:\/([^/]+))?/.exec(path) ?? [];
  const ok = (headers = { "content-type": "text/plain" }, statusCode = 200) => awslambda.HttpResponseStream.from(responseStream, { statusCode, headers });
  if (kind === "throw") throw new Error("the handler failed before its prelude");
  if (kind === "no-prelude") return responseStream.end(JSON.stringify({ statusCode: 200, body: "no delimiter" }));
  if (kind === "bad-prelude") return responseStream.end(new Uint8Array([...new TextEncoder().encode("{not json"), 0, 0, 0, 0, 0, 0, 0, 0, 65]));
  if (kind === "body-in-prelude") return awslambda.HttpResponseStream.from(responseStream, { statusCode: 200, body: "x" }).end("y");
  if (kind === "slow-prelude") await pause(10_000);
  if (kind === "status") return ok({ "content-type": "application/json" }, Number(arg)).end(JSON.stringify({ status: Number(arg) }));
  if (kind === "event") return ok({ "content-type": "application/json" }).end(JSON.stringify(event));
  if (kind === "cookies") {
    const out = awslambda.HttpResponseStream.from(responseStream, { statusCode: 201, headers: { "x-one": "1" }, multiValueHeaders: { "x-many": ["a", "b"] }, cookies: ["a=1", "b=2"] });
    return out.end("with cookies");
  }
  if (kind === "sse") {
    const out = ok({ "content-type": "text/event-stream", "cache-control": "no-cache" });
    for (let i = 0; i < Number(arg); i++) {
      out.write(`id: ${i}\ndata: {"n": ${i}}\n\n`);
      await pause(30);
    }
    return out.end();
  }
  const state = { state: "open", written: 0 };
  streams.set(arg, state);
  const out = ok();
  if (kind === "gate") {
    out.write("first\n");
    state.written++;
    // Polled rather than awaited: a promise resolved by another request (the gate's) would leave this one
    // waiting on something its own I/O can never settle, which workerd cancels as hung.
    gates.set(arg, false);
    while (!gates.get(arg)) await pause(10);
    out.end("second\n");
    state.written++;
    state.state = "done";
    return;
  }
  // forever: until a write fails because the client went away.
  try {
    for (;;) {
      out.write(`line ${state.written}\n`);
      state.written++;
      await pause(20);
    }
  } catch {
    state.state = "cancelled";
  }
});

async function plain(request) {
  const url = new URL(request.url);
  count(url.pathname);
  if (url.pathname === "/hang") {
    await hang();
    return new Response("too late");
  }
  const status = statusIn(url.pathname);
  if (status !== null) return Response.json({ status }, { status, headers: { "x-backend": "worker" } });
  const body = request.body ? await request.text() : "";
  return Response.json(
    { method: request.method, path: url.pathname, query: url.search, headers: Object.fromEntries(request.headers), body },
    { headers: { "x-backend": "worker" } },
  );
}

export default class LambdaEcho extends WorkerEntrypoint {
  async fetch(request) {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/__hits") return Response.json({ count: hits.get(url.searchParams.get("path") ?? "") ?? 0 });
    if (request.method === "GET" && url.pathname === "/__stream-state") return Response.json(streams.get(url.searchParams.get("tag")) ?? null);
    if (request.method === "GET" && url.pathname === "/__gate-open") {
      gates.set(url.searchParams.get("tag"), true);
      return new Response(null, { status: 204 });
    }
    return plain(request);
  }

  async invokeLambda(event) {
    count(event?.rawPath ?? event?.path ?? "");
    const mode = this.env.MODE ?? "echo";
    let python = null;
    const outcome = await runLambda(
      async (e) => {
        try {
          return await handler(e, mode);
        } catch (error) {
          python = error?.python ?? null;
          throw error;
        }
      },
      event,
      { functionName: `lambda-${mode}` },
    );
    return python && "errorMessage" in outcome ? python : outcome;
  }

  invokeLambdaStream(event) {
    count(event?.rawPath ?? event?.path ?? "");
    return runLambdaStream(streamHandler, event, { functionName: "lambda-stream" }, (p) => this.ctx.waitUntil(p));
  }
}
