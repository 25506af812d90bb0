/**
 * The streamed-response guard on plain streams: chunks pass as they come, a pause past the idle timeout or a stream
 * past its deadline errors the response and cancels the source, and a reader that goes away cancels the source.
 */
import { describe, expect, it } from "vitest";
import { guardStream } from "./guard.ts";

/** A source that sends `chunks` `gapMs` apart, then waits `tailMs` before closing; records whether it was cancelled. */
function source(chunks: string[], gapMs: number, tailMs = 0) {
  const seen = { cancelled: null as unknown };
  const stream = new ReadableStream<Uint8Array>({
    async start(c) {
      for (const chunk of chunks) {
        await new Promise((r) => setTimeout(r, gapMs));
        if (seen.cancelled !== null) return;
        c.enqueue(new TextEncoder().encode(chunk));
      }
      await new Promise((r) => setTimeout(r, tailMs));
      if (seen.cancelled === null) c.close();
    },
    cancel(reason) {
      seen.cancelled = reason;
    },
  });
  return { stream, seen };
}

const far = () => Date.now() + 60_000;

describe("guardStream", () => {
  it("passes every chunk through and closes when the source does", async () => {
    const { stream } = source(["a", "b", "c"], 5);
    expect(await new Response(guardStream(stream, { idleMs: 1000, deadline: far() })).text()).toBe("abc");
  });

  it("cuts off a source silent for longer than the idle timeout, and cancels it", async () => {
    const { stream, seen } = source(["a"], 5, 2000);
    const cuts: string[] = [];
    const reader = guardStream(stream, { idleMs: 50, deadline: far(), onCut: (why) => cuts.push(why) }).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("a");
    await expect(reader.read()).rejects.toThrow("no data from the backend for 50 ms");
    expect(cuts).toEqual(["no data from the backend for 50 ms"]);
    expect(seen.cancelled).toBe("no data from the backend for 50 ms");
  });

  it("cuts off a source still streaming at its deadline (the 15-minute maximum)", async () => {
    const { stream, seen } = source(["a", "b", "c", "d", "e", "f"], 30);
    const reader = guardStream(stream, { idleMs: 1000, deadline: Date.now() + 80 }).getReader();
    await expect((async () => {
      for (;;) if ((await reader.read()).done) return;
    })()).rejects.toThrow("the response streamed for the maximum of 15 minutes");
    expect(seen.cancelled).not.toBeNull();
  });

  it("cancels the source when its reader goes away", async () => {
    const { stream, seen } = source(["a", "b", "c"], 5);
    const reader = guardStream(stream, { idleMs: 1000, deadline: far() }).getReader();
    await reader.read();
    await reader.cancel("client gone");
    expect(seen.cancelled).toBe("client gone");
  });
});
