/**
 * A streamed response body held to Amazon's rules for `responseTransferMode: STREAM`: chunks go to the client as
 * the backend produces them (nothing is buffered); a pause between two chunks longer than the idle timeout, or a
 * response still streaming 15 minutes after the request arrived, cuts the response off — the stream errors, so the
 * client sees an incomplete response, never a complete-looking truncated one — and cancels the backend read. A
 * client that goes away cancels the backend read too (the runtime cancels the body it was reading).
 */

/** Amazon's longest streamed response. */
export const MAX_STREAM_MS = 15 * 60_000;

export interface StreamLimits {
  /** The longest wait for the backend's next chunk. */
  idleMs: number;
  /** When the response must be over (ms since the epoch). */
  deadline: number;
  /** Told why the stream was cut off (for the log); never shown to the client. */
  onCut?(why: string): void;
}

/** Why a read lost its race against the timer (compared by identity). */
const TIMED_OUT = Symbol("timed out");

export function guardStream(body: ReadableStream<Uint8Array>, limits: StreamLimits): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const left = limits.deadline - Date.now();
        const wait = Math.max(0, Math.min(limits.idleMs, left));
        let timer: ReturnType<typeof setTimeout> | null = null;
        const timeout = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), wait)));
        let result: ReadableStreamReadResult<Uint8Array> | typeof TIMED_OUT;
        try {
          result = await Promise.race([reader.read(), timeout]);
        } catch (err) {
          // The backend broke off: so does the response.
          controller.error(err);
          return;
        } finally {
          clearTimeout(timer);
        }
        if (result === TIMED_OUT) {
          const why = wait === left ? `the response streamed for the maximum of ${MAX_STREAM_MS / 60_000} minutes` : `no data from the backend for ${limits.idleMs} ms`;
          limits.onCut?.(why);
          await reader.cancel(why).catch(() => {});
          controller.error(new Error(why));
          return;
        }
        if (result.done) controller.close();
        else controller.enqueue(result.value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    // Pull only when the client has taken what was sent: no read-ahead, so nothing waits in the gateway.
    { highWaterMark: 0 },
  );
}
