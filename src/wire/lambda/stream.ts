/**
 * Lambda's response streaming wire format, as API Gateway reads it from InvokeWithResponseStream: a JSON prelude
 * (`{statusCode, headers, multiValueHeaders, cookies}`), eight NUL bytes, then the body. The gateway starts the
 * client's response once the prelude and the delimiter have arrived; a stream that ends, errors or runs past
 * `maxPreludeBytes` before them is malformed.
 */

/** The delimiter between the prelude and the body. */
export const DELIMITER = new Uint8Array(8);
/** The most a prelude may take before its delimiter: status and headers, not a body. */
export const MAX_PRELUDE_BYTES = 64 * 1024;

export type Prelude = { metadata: unknown; body: ReadableStream<Uint8Array> } | { malformed: string };

/** Reads the prelude off a stream (its reader); the body is the rest of the stream, still streaming. */
export async function readPrelude(reader: ReadableStreamDefaultReader<Uint8Array>, maxPreludeBytes = MAX_PRELUDE_BYTES): Promise<Prelude> {
  let buffered = new Uint8Array(0);
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (err) {
      return { malformed: `the stream failed before its prelude: ${(err as Error)?.message ?? String(err)}` };
    }
    if (chunk.done) return { malformed: "the stream ended without the prelude's delimiter (eight NUL bytes)" };
    const joined = new Uint8Array(buffered.byteLength + chunk.value.byteLength);
    joined.set(buffered);
    joined.set(chunk.value, buffered.byteLength);
    buffered = joined;
    const at = indexOfDelimiter(buffered);
    if (at < 0) {
      if (buffered.byteLength > maxPreludeBytes) {
        await reader.cancel("prelude too large").catch(() => {});
        return { malformed: `no prelude delimiter in the first ${maxPreludeBytes} bytes` };
      }
      continue;
    }
    let metadata: unknown;
    try {
      metadata = JSON.parse(new TextDecoder().decode(buffered.subarray(0, at)));
    } catch {
      await reader.cancel("malformed prelude").catch(() => {});
      return { malformed: "the prelude is not JSON" };
    }
    return { metadata, body: rest(buffered.subarray(at + DELIMITER.byteLength), reader) };
  }
}

/** Where the eight NUL bytes start, or -1. */
function indexOfDelimiter(bytes: Uint8Array): number {
  let run = 0;
  for (let i = 0; i < bytes.byteLength; i++) {
    run = bytes[i] === 0 ? run + 1 : 0;
    if (run === DELIMITER.byteLength) return i - DELIMITER.byteLength + 1;
  }
  return -1;
}

/** What followed the delimiter in the last chunk, then the rest of the stream; cancelling cancels the source. */
function rest(head: Uint8Array, reader: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  let first: Uint8Array | null = head.byteLength ? head : null;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (first) {
          controller.enqueue(first);
          first = null;
          return;
        }
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}
