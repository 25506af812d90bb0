/**
 * Wraps a Lambda-style handler as a Worker, so a Worker reached via a service binding can stand in for a
 * Lambda function behind a Lambda proxy integration or a Lambda authorizer: users port `handler(event, context)`
 * unchanged. Self-contained (it imports only the runtime's `cloudflare:workers`): copy it next to your handler.
 *
 * Wire contract with the gateway: the event arrives only as an RPC call, `invokeLambda(event)`, over a service
 * binding — never as an HTTP request. Nothing a client sends can reach that method: HTTP requests, whatever
 * their headers or body, go to `fetch`, which is the Worker's ordinary HTTP handler (`options.fetch`) or a 404.
 * That is what makes the contract unforgeable without a secret to configure, rotate or leak: a client can
 * address a URL (a raw route, or the Worker's own public route), never an RPC method of a binding.
 *
 * The reply is `{payload}` (the handler's result as JSON text) or, for a handler that threw, Lambda's
 * `{errorType, errorMessage}` (as Lambda reports `X-Amz-Function-Error: Unhandled`).
 *
 * Response streaming (a route with `responseTransferMode: STREAM`): a handler wrapped as Lambda wraps one,
 * `awslambda.streamifyResponse(async (event, responseStream, context) => …)`, writing
 * `awslambda.HttpResponseStream.from(responseStream, {statusCode, headers})` and then its body, is called over the
 * RPC method `invokeLambdaStream(event)`, which returns the stream in Lambda's wire format (a JSON prelude, eight NUL
 * bytes, the body) while the handler goes on writing. When the client goes away the stream is cancelled: the
 * handler's next write throws, as a write to a destroyed Node stream does.
 */
import { WorkerEntrypoint } from "cloudflare:workers";

/** The subset of Lambda's context object that makes sense outside AWS. */
export interface LambdaContext {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  /** Milliseconds left before `timeoutMs` (given to lambdaWorker) elapses. */
  getRemainingTimeInMillis(): number;
}

/** A Lambda handler, sync or async. Callback-style (three-argument) handlers are not supported. */
export type LambdaHandler<E = unknown, R = unknown> = (event: E, context: LambdaContext) => R | Promise<R>;

/** The Worker's ordinary HTTP handler, as in a module Worker's `export default { fetch }`. */
export type FetchHandler = (request: Request, env: unknown, ctx: ExecutionContext) => Response | Promise<Response>;

/** Options for {@link lambdaWorker}. */
export interface LambdaWorkerOptions {
  /** Reported as context.functionName; defaults to "portico-lambda". */
  functionName?: string;
  /** The budget context.getRemainingTimeInMillis counts down from; defaults to 30 000 (API Gateway's). */
  timeoutMs?: number;
  /**
   * Plain HTTP requests to this Worker (a raw route, or its own public URL). Never given events; without it,
   * HTTP requests get a 404.
   */
  fetch?: FetchHandler;
}

/** What an invocation returns over RPC: the handler's result as JSON text, or the error it threw. */
export type LambdaOutcome = { payload: string } | { errorType: string; errorMessage: string };

/** The RPC surface the gateway calls through a service binding (Portico's side of the contract). */
export interface LambdaTarget {
  invokeLambda(event: unknown): Promise<LambdaOutcome>;
  /** Lambda's InvokeWithResponseStream: the response in Lambda's streaming format, still being written. */
  invokeLambdaStream(event: unknown): Promise<ReadableStream<Uint8Array>>;
}

/** What a streaming handler writes to (the subset of Lambda's Node Writable that handlers use). */
export interface ResponseStream {
  /** Writes a chunk; throws once the client has gone away (the stream was cancelled). */
  write(chunk: string | Uint8Array): boolean;
  /** Writes a last chunk, if given, and ends the response. */
  end(chunk?: string | Uint8Array): void;
  /** Lambda's; behind API Gateway the prelude's headers say the type, so it changes nothing here. */
  setContentType(type: string): void;
  /** True once the stream was cancelled (the client went away) or ended. */
  readonly destroyed: boolean;
}

const STREAMING: unique symbol = Symbol.for("portico.lambda.streaming");

/** A handler that streams its response, marked by `streamifyResponse` (Lambda's `awslambda.streamifyResponse`). */
export type StreamingHandler<E = unknown> = ((event: E, responseStream: ResponseStream, context: LambdaContext) => void | Promise<void>) & { readonly [STREAMING]: true };

/** Marks a handler as streaming, as `awslambda.streamifyResponse` does on Lambda. */
export function streamifyResponse<E>(handler: (event: E, responseStream: ResponseStream, context: LambdaContext) => void | Promise<void>): StreamingHandler<E> {
  return Object.assign(handler, { [STREAMING]: true as const });
}

/** Lambda's `awslambda.HttpResponseStream`: the prelude (status, headers, cookies) first, then the body. */
export const HttpResponseStream = {
  from(stream: ResponseStream, metadata: { statusCode?: number; headers?: Record<string, string>; multiValueHeaders?: Record<string, string[]>; cookies?: string[] }): ResponseStream {
    stream.write(JSON.stringify(metadata));
    stream.write(new Uint8Array(8));
    return stream;
  },
};

/** The global Lambda gives streaming handlers, to import where Lambda code reads `awslambda.…`. */
export const awslambda = { streamifyResponse, HttpResponseStream };

/**
 * Returns a Worker entrypoint class (`export default lambdaWorker(handler)`) that runs `handler` on each event
 * the gateway sends over RPC; HTTP requests go to `options.fetch`, never to the handler.
 */
export function lambdaWorker<E = unknown>(handler: StreamingHandler<E>, options?: LambdaWorkerOptions): ReturnType<typeof makeLambdaWorker>;
export function lambdaWorker<E = unknown, R = unknown>(handler: LambdaHandler<E, R>, options?: LambdaWorkerOptions): ReturnType<typeof makeLambdaWorker>;
export function lambdaWorker<E = unknown, R = unknown>(handler: LambdaHandler<E, R> | StreamingHandler<E>, options: LambdaWorkerOptions = {}) {
  return makeLambdaWorker(handler as LambdaHandler<unknown, unknown> | StreamingHandler<unknown>, options);
}

function makeLambdaWorker(handler: LambdaHandler<unknown, unknown> | StreamingHandler<unknown>, options: LambdaWorkerOptions) {
  type E = unknown;
  type R = unknown;
  const fetchHandler = options.fetch;
  const streaming = (handler as Partial<StreamingHandler<E>>)[STREAMING] === true;
  return class LambdaWorker extends WorkerEntrypoint<unknown> implements LambdaTarget {
    override fetch(request: Request): Response | Promise<Response> {
      if (fetchHandler) return fetchHandler(request, this.env, this.ctx);
      return new Response("Not found: Lambda-style events arrive over a service binding (RPC), never over HTTP", { status: 404 });
    }

    invokeLambda(event: unknown): Promise<LambdaOutcome> {
      // A streaming handler answers only a streamed invocation (the route's responseTransferMode STREAM).
      if (streaming) return Promise.resolve({ errorType: "Runtime.StreamingHandler", errorMessage: "this handler streams its response: its route needs responseTransferMode STREAM" });
      return runLambda(handler as LambdaHandler<E, R>, event, options);
    }

    async invokeLambdaStream(event: unknown): Promise<ReadableStream<Uint8Array>> {
      if (streaming) return runLambdaStream(handler as StreamingHandler<E>, event, options, (p) => this.ctx.waitUntil(p));
      // A buffered handler's result as InvokeWithResponseStream returns it: one chunk, no prelude (the gateway refuses it).
      const outcome = await runLambda(handler as LambdaHandler<E, R>, event, options);
      return new Response("payload" in outcome ? outcome.payload : JSON.stringify(outcome)).body!;
    }
  };
}

/**
 * Runs a streaming handler on one event: returns the stream at once, while the handler writes to it (kept alive
 * by `waitUntil`). A handler that throws errors the stream; one that returns without ending it ends it.
 */
export function runLambdaStream<E>(handler: StreamingHandler<E>, event: unknown, options: Pick<LambdaWorkerOptions, "functionName" | "timeoutMs">, waitUntil: (p: Promise<unknown>) => void): ReadableStream<Uint8Array> {
  // workerd's native byte stream, not a JavaScript TransformStream: a cancel by the reader on the other side of the
  // RPC call reaches its writable side (the writes fail), where a JavaScript one would just stop being read.
  const { readable, writable } = new IdentityTransformStream();
  const writer = writable.getWriter();
  const encoder = new TextEncoder();
  let destroyed = false;
  // The client went away (the gateway cancelled the stream): writes fail from now on.
  writer.closed.catch(() => (destroyed = true));
  const send = (chunk: string | Uint8Array) => {
    if (destroyed) throw Object.assign(new Error("Cannot call write after a stream was destroyed"), { code: "ERR_STREAM_DESTROYED" });
    writer.write(typeof chunk === "string" ? encoder.encode(chunk) : chunk).catch(() => (destroyed = true));
    return true;
  };
  const stream: ResponseStream = {
    write: send,
    end(chunk) {
      if (chunk !== undefined) send(chunk);
      if (!destroyed) {
        destroyed = true;
        writer.close().catch(() => {});
      }
    },
    setContentType() {},
    get destroyed() {
      return destroyed;
    },
  };
  const run = (async () => {
    try {
      await handler(event as E, stream, lambdaContext(event, options));
      stream.end();
    } catch (error) {
      if (!destroyed) {
        destroyed = true;
        await writer.abort(error).catch(() => {});
      }
    }
  })();
  waitUntil(run);
  return readable;
}

/**
 * Runs `handler` on one event as Lambda would: a context counting down from `timeoutMs`, the result serialised
 * to JSON text (an undefined result as `null`), a thrown error reported by name and message.
 */
export async function runLambda<E, R>(handler: LambdaHandler<E, R>, event: unknown, options: Pick<LambdaWorkerOptions, "functionName" | "timeoutMs"> = {}): Promise<LambdaOutcome> {
  const context = lambdaContext(event, options);
  try {
    const result = await handler(event as E, context);
    // Lambda sends an undefined (or unserialisable-to-text) result as null; a cycle or bigint throws, which
    // Lambda too reports as the function's error.
    return { payload: JSON.stringify(result) ?? "null" };
  } catch (error) {
    return describeError(error);
  }
}

/** Lambda's context object for one invocation, counting down from `timeoutMs`. */
function lambdaContext(event: unknown, options: Pick<LambdaWorkerOptions, "functionName" | "timeoutMs">): LambdaContext {
  const functionName = options.functionName ?? "portico-lambda";
  const timeoutMs = options.timeoutMs ?? 30_000;
  const started = Date.now();
  return {
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:portico:lambda:local:portico:function:${functionName}`,
    memoryLimitInMB: "128",
    awsRequestId: requestIdOf(event) ?? crypto.randomUUID(),
    logGroupName: `/portico/lambda/${functionName}`,
    logStreamName: "worker",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - started)),
  };
}

/** Both payload formats carry the gateway's request id at requestContext.requestId. */
function requestIdOf(event: unknown): string | undefined {
  if (typeof event !== "object" || event === null) return undefined;
  const ctx: unknown = (event as { requestContext?: unknown }).requestContext;
  if (typeof ctx !== "object" || ctx === null) return undefined;
  const id: unknown = (ctx as { requestId?: unknown }).requestId;
  return typeof id === "string" && id !== "" ? id : undefined;
}

/** Lambda's Node runtime reports an Error by name and message, anything else thrown by its type. */
function describeError(error: unknown): { errorType: string; errorMessage: string } {
  if (error instanceof Error) return { errorType: error.name, errorMessage: error.message };
  return { errorType: typeof error, errorMessage: String(error) };
}
