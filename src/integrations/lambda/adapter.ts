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
}

/**
 * Returns a Worker entrypoint class (`export default lambdaWorker(handler)`) that runs `handler` on each event
 * the gateway sends over RPC; HTTP requests go to `options.fetch`, never to the handler.
 */
export function lambdaWorker<E = unknown, R = unknown>(handler: LambdaHandler<E, R>, options: LambdaWorkerOptions = {}) {
  const fetchHandler = options.fetch;
  return class LambdaWorker extends WorkerEntrypoint<unknown> implements LambdaTarget {
    override fetch(request: Request): Response | Promise<Response> {
      if (fetchHandler) return fetchHandler(request, this.env, this.ctx);
      return new Response("Not found: Lambda-style events arrive over a service binding (RPC), never over HTTP", { status: 404 });
    }

    invokeLambda(event: unknown): Promise<LambdaOutcome> {
      return runLambda(handler, event, options);
    }
  };
}

/**
 * Runs `handler` on one event as Lambda would: a context counting down from `timeoutMs`, the result serialised
 * to JSON text (an undefined result as `null`), a thrown error reported by name and message.
 */
export async function runLambda<E, R>(handler: LambdaHandler<E, R>, event: unknown, options: Pick<LambdaWorkerOptions, "functionName" | "timeoutMs"> = {}): Promise<LambdaOutcome> {
  const functionName = options.functionName ?? "portico-lambda";
  const timeoutMs = options.timeoutMs ?? 30_000;
  const started = Date.now();
  const context: LambdaContext = {
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
  try {
    const result = await handler(event as E, context);
    // Lambda sends an undefined (or unserialisable-to-text) result as null; a cycle or bigint throws, which
    // Lambda too reports as the function's error.
    return { payload: JSON.stringify(result) ?? "null" };
  } catch (error) {
    return describeError(error);
  }
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
