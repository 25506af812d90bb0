/**
 * The local backend's streaming endpoints (test/support/backend-server.ts routes them), for response streaming:
 *
 *   /hold/{tag}      writes "first\n" at once, then holds the response open until POST /hold-open/{tag}; then
 *                    writes "second\n" and ends. The first byte's arrival before the backend has finished is an
 *                    assertion, not a timing guess.
 *   /drip/{tag}      writes "drip {n}\n" every `?ms=` (default 20) ms until the connection goes away
 *   /sse/{n}         n server-sent events (`id`, `data: {"n": i}`), `?ms=` (default 50) ms apart, then ends
 *   /stall/{tag}     writes "first\n", then nothing more for `?ms=` ms (default 10 s), then "late\n" and ends
 *
 * `/__stream?tag=` is what a tagged response got to: {state: "open" | "done" | "closed", written} — "closed" when
 * the connection went away before the end (the gateway cancelled its read).
 */
import type { IncomingMessage, ServerResponse } from "node:http";

const states = new Map<string, { state: "open" | "done" | "closed"; written: number }>();
const gates = new Map<string, () => void>();

export function streamState(tag: string): unknown {
  return states.get(tag) ?? null;
}

/** Serves the streaming paths; false when `first` is not one of them. */
export function handleStreaming(first: string, second: string | undefined, req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  const tag = second ?? "";
  const track = () => {
    const s = { state: "open" as "open" | "done" | "closed", written: 0 };
    states.set(tag, s);
    res.on("close", () => {
      if (s.state === "open") s.state = "closed";
    });
    return s;
  };
  const ms = Number(url.searchParams.get("ms") ?? 0);
  switch (first) {
    case "hold-open": {
      gates.get(tag)?.();
      res.writeHead(204).end();
      return true;
    }
    case "hold": {
      const s = track();
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first\n");
      s.written++;
      gates.set(tag, () => {
        res.end("second\n");
        s.written++;
        s.state = "done";
      });
      return true;
    }
    case "drip": {
      const s = track();
      res.writeHead(200, { "content-type": "text/plain" });
      const timer = setInterval(() => {
        if (s.state !== "open") return clearInterval(timer);
        res.write(`drip ${s.written++}\n`);
      }, ms || 20);
      return true;
    }
    case "sse": {
      const total = Number(second);
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      let i = 0;
      const timer = setInterval(() => {
        res.write(`id: ${i}\ndata: {"n": ${i}}\n\n`);
        if (++i >= total) {
          clearInterval(timer);
          res.end();
        }
      }, ms || 50);
      res.on("close", () => clearInterval(timer));
      return true;
    }
    case "stall": {
      const s = track();
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first\n");
      s.written++;
      const timer = setTimeout(() => {
        res.end("late\n");
        s.written++;
        s.state = "done";
      }, ms || 10_000);
      res.on("close", () => clearTimeout(timer));
      return true;
    }
    default:
      return false;
  }
}
