/**
 * The one place a Lambda-style event is sent to a Worker and its answer read — for Lambda proxy events (payload
 * format 1.0 / 2.0) and for Lambda custom (non-proxy) events alike — so the wire contract with `lambdaWorker()`
 * (adapter.ts) is kept in one function: the event as a JSON POST, the result as a 200 JSON body, a thrown error as a
 * 500 marked with LAMBDA_ERROR_HEADER and Lambda's `{errorType, errorMessage}` body.
 */
import type { RequestContext } from "../../pipeline/context.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import { readAtMost } from "../../util/read-bounded.ts";
import { sendToBackend } from "../transport.ts";
import { LAMBDA_ERROR_HEADER } from "./adapter.ts";

/** Lambda's own limit on a synchronous response payload. */
export const MAX_LAMBDA_REPLY_BYTES = 6 * 1024 * 1024;

/** The handler's answer: its result's JSON text, or (it threw) Lambda's error payload. */
export type LambdaAnswer = { ok: true; payload: string } | { ok: false; payload: string };

/**
 * Invokes the Worker behind `service` with `event` (JSON text) and returns its answer. A reply that is not a result
 * or an error (another status, more than Lambda's 6 MB, a broken stream) throws `malformed(detail)`.
 */
export async function invokeLambda(
  ctx: RequestContext,
  service: string,
  event: string,
  format: "1.0" | "2.0" | "custom",
  timeoutMs: number,
  malformed: (detail: string) => GatewayError,
): Promise<LambdaAnswer> {
  const res = await sendToBackend(
    ctx,
    {
      url: `https://${ctx.url.host}/`,
      method: "POST",
      headers: new Headers({ "content-type": "application/json", "x-portico-payload-format": format }),
      body: event,
    },
    timeoutMs,
    service,
  );
  const failed = res.headers.has(LAMBDA_ERROR_HEADER);
  if (res.status !== 200 && !(failed && res.status === 500)) {
    await res.body?.cancel();
    throw malformed(`service ${service} failed: status ${res.status}`);
  }
  // Bounded like Lambda's own 6 MB response payload limit: a runaway reply cannot exhaust the isolate.
  const bytes = await readAtMost(res.body, MAX_LAMBDA_REPLY_BYTES);
  if (!bytes) throw malformed(`service ${service} replied with more than ${MAX_LAMBDA_REPLY_BYTES} bytes, or broke off`);
  return { ok: !failed, payload: new TextDecoder().decode(bytes) };
}
