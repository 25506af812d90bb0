/**
 * Wraps a Lambda-style handler as a Worker, so a Worker reached via a service binding can stand in for a
 * Lambda function behind a Lambda proxy integration: users port `handler(event, context)` unchanged.
 *
 * Wire contract with the gateway: the event arrives as the JSON body of a POST; the handler's result goes
 * back as a 200 JSON body (the caller then applies parseReply); a thrown error becomes a 500 with
 * Lambda's `{"errorType", "errorMessage"}` body and `x-portico-lambda-error: Unhandled`, mirroring
 * Lambda's X-Amz-Function-Error so the gateway can tell a crash from a reply.
 */

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

/** Options for {@link lambdaWorker}. */
export interface LambdaWorkerOptions {
  /** Reported as context.functionName; defaults to "portico-lambda". */
  functionName?: string;
  /** The budget context.getRemainingTimeInMillis counts down from; defaults to 30 000 (API Gateway's). */
  timeoutMs?: number;
}

/** The header marking a 500 as the handler's own failure rather than the adapter's. */
export const LAMBDA_ERROR_HEADER = "x-portico-lambda-error";

/** Returns a Worker (`{ fetch }`) that runs `handler` on each event POSTed to it. */
export function lambdaWorker<E = unknown, R = unknown>(
  handler: LambdaHandler<E, R>,
  options: LambdaWorkerOptions = {},
): { fetch(request: Request): Promise<Response> } {
  const functionName = options.functionName ?? "portico-lambda";
  const timeoutMs = options.timeoutMs ?? 30_000;
  return {
    async fetch(request: Request): Promise<Response> {
      if (request.method !== "POST") {
        return new Response("lambda adapter expects the event as a POST body", {
          status: 405,
          headers: { allow: "POST" },
        });
      }
      let event: unknown;
      try {
        event = JSON.parse(await request.text());
      } catch {
        return new Response("lambda adapter expects a JSON event", { status: 400 });
      }
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
      let json: string;
      try {
        const result = await handler(event as E, context);
        // Lambda sends an undefined (or unserialisable-to-text) result as null; a cycle or bigint throws,
        // which Lambda too reports as the function's error.
        json = JSON.stringify(result) ?? "null";
      } catch (error) {
        return Response.json(describeError(error), {
          status: 500,
          headers: { [LAMBDA_ERROR_HEADER]: "Unhandled" },
        });
      }
      return new Response(json, { status: 200, headers: { "content-type": "application/json" } });
    },
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
