/**
 * The gateway's side of the Lambda-style contract (`adapter.ts`), the one place an event is sent to a Worker: as
 * the RPC call `invokeLambda(event)` (or, for a streamed response, `invokeLambdaStream(event)`) on its service binding, a channel no client can address, so no HTTP request —
 * whatever its headers or body — can ever be taken for an event. Used by the `service` integration for Lambda proxy
 * events (1.0/2.0) and Lambda custom (non-proxy) events, including asynchronous ('Event') invocations, and by
 * custom authorizers bound as a service. Every reply is bounded (`maxPayloadBytes`) and waited for at most
 * `timeoutMs`.
 */
import type { LambdaTarget } from "./adapter.ts";
import { readPrelude } from "./stream.ts";

/** Lambda's own limit on a synchronous response payload. */
export const MAX_LAMBDA_REPLY_BYTES = 6 * 1024 * 1024;

export type Invocation =
  | { ok: true; payload: string }
  /**
   * The handler threw: Lambda's `{errorType, errorMessage}`, and `payload`, the whole error document as JSON text
   * (what Lambda returns with `X-Amz-Function-Error`: a runtime may add fields such as `requestId` or `stackTrace`,
   * kept as the Worker sent them).
   */
  | { ok: false; why: "threw"; errorType: string; errorMessage: string; payload: string }
  | { ok: false; why: "no-binding" | "timeout" | "failed" | "too-large" | "malformed"; detail: string };

/** Why a race against the timeout was lost (compared by identity, never shown). */
const TIMED_OUT = new Error("lambda timeout");

/**
 * Calls `invokeLambda(event)` on the service binding `name`, waiting at most `timeoutMs`, and checks the reply's
 * shape and size (`maxPayloadBytes`, UTF-8). Never throws: every failure is an Invocation the caller maps to its
 * own gateway response.
 */
export async function invokeLambda(env: Record<string, unknown>, name: string, event: unknown, timeoutMs: number, maxPayloadBytes: number): Promise<Invocation> {
  const binding = env[name] as (Fetcher & LambdaTarget) | undefined;
  if (!binding || typeof binding.fetch !== "function") return { ok: false, why: "no-binding", detail: `no service binding named ${name}` };
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(TIMED_OUT), timeoutMs);
  });
  let outcome: unknown;
  try {
    // A Worker that is not a lambdaWorker (no such RPC method) rejects here: a failure, never an allow.
    outcome = await Promise.race([binding.invokeLambda(event), timeout]);
  } catch (err) {
    if (err === TIMED_OUT) return { ok: false, why: "timeout", detail: `service ${name}: no answer in ${timeoutMs} ms` };
    return { ok: false, why: "failed", detail: `service ${name}: ${(err as Error)?.message ?? String(err)}` };
  } finally {
    clearTimeout(timer);
  }
  return checkOutcome(outcome, name, maxPayloadBytes);
}

function checkOutcome(outcome: unknown, name: string, maxPayloadBytes: number): Invocation {
  if (typeof outcome !== "object" || outcome === null) return { ok: false, why: "malformed", detail: `service ${name} replied outside the Lambda contract` };
  const o = outcome as Partial<Record<"payload" | "errorType" | "errorMessage", unknown>>;
  const tooLarge = { ok: false, why: "too-large", detail: `service ${name} replied with more than ${maxPayloadBytes} bytes` } as const;
  if (typeof o.payload === "string") {
    if (overLimit(o.payload, maxPayloadBytes)) return tooLarge;
    return { ok: true, payload: o.payload };
  }
  if (typeof o.errorType === "string" && typeof o.errorMessage === "string") {
    let payload: string | undefined;
    try {
      payload = JSON.stringify(outcome);
    } catch {
      // A field JSON cannot hold (a bigint): the document as the adapter itself reports it.
      payload = JSON.stringify({ errorType: o.errorType, errorMessage: o.errorMessage });
    }
    if (overLimit(payload, maxPayloadBytes)) return tooLarge;
    return { ok: false, why: "threw", errorType: o.errorType, errorMessage: o.errorMessage, payload };
  }
  return { ok: false, why: "malformed", detail: `service ${name} replied outside the Lambda contract` };
}

/** Whether `text` takes more than `limit` bytes as UTF-8; encoded only when its length cannot settle it. */
function overLimit(text: string, limit: number): boolean {
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  return new TextEncoder().encode(text).byteLength > limit;
}

/** A streamed invocation once its prelude arrived: the metadata and the body still streaming; or why not. */
export type StreamedInvocation =
  | { ok: true; metadata: unknown; body: ReadableStream<Uint8Array> }
  | { ok: false; why: "no-binding" | "timeout" | "failed" | "malformed"; detail: string };

/**
 * Calls `invokeLambdaStream(event)` on the service binding `name` (Lambda's InvokeWithResponseStream) and reads the
 * stream's prelude (lambda/stream.ts), waiting at most `timeoutMs` for it; the body then streams for as long as the
 * handler writes. A Worker without the method, or a stream that is not in Lambda's format, fails. Never throws.
 */
export async function invokeLambdaStream(env: Record<string, unknown>, name: string, event: unknown, timeoutMs: number): Promise<StreamedInvocation> {
  const binding = env[name] as (Fetcher & LambdaTarget) | undefined;
  if (!binding || typeof binding.fetch !== "function") return { ok: false, why: "no-binding", detail: `no service binding named ${name}` };
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(TIMED_OUT), timeoutMs);
  });
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  try {
    const prelude = await Promise.race([
      (async () => {
        const stream: unknown = await binding.invokeLambdaStream(event);
        if (!(stream instanceof ReadableStream)) throw new Error("invokeLambdaStream did not return a stream");
        reader = (stream as ReadableStream<Uint8Array>).getReader();
        return readPrelude(reader);
      })(),
      timeout,
    ]);
    if ("malformed" in prelude) return { ok: false, why: "malformed", detail: `service ${name}: ${prelude.malformed}` };
    return { ok: true, metadata: prelude.metadata, body: prelude.body };
  } catch (err) {
    // Whatever was started is abandoned: the handler sees its writes fail.
    await reader?.cancel("abandoned").catch(() => {});
    if (err === TIMED_OUT) return { ok: false, why: "timeout", detail: `service ${name}: no prelude in ${timeoutMs} ms` };
    return { ok: false, why: "failed", detail: `service ${name}: ${(err as Error)?.message ?? String(err)}` };
  } finally {
    clearTimeout(timer);
  }
}
