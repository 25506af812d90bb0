/** A real WebSocket client (`ws`) for end-to-end tests: frames in order, parsed as JSON or text, every wait bounded. */
import { lookup } from "node:dns";
import WebSocket from "ws";

export interface ChatClient {
  send(value: unknown): void;
  sendRaw(text: string): void;
  next(ms?: number): Promise<unknown>;
  nextText(ms?: number): Promise<string>;
  closed(ms?: number): Promise<{ code: number; reason: string }>;
  close(): void;
}

/** Connects to `url`, resolving its host to `address` (so `chat.localhost` reaches the local Worker). */
export function chatClient(url: string, address: string): Promise<ChatClient> {
  const ws = new WebSocket(url, { lookup: (_host, options, callback) => lookup(address, options, callback) });
  const frames: string[] = [];
  const waiters: ((t: string) => void)[] = [];
  let close: { code: number; reason: string } | undefined;
  const closeWaiters: ((c: { code: number; reason: string }) => void)[] = [];
  ws.on("message", (data) => {
    const text = String(data);
    const w = waiters.shift();
    if (w) w(text);
    else frames.push(text);
  });
  ws.on("close", (code, reason) => {
    close = { code, reason: String(reason) };
    for (const w of closeWaiters.splice(0)) w(close);
  });
  const bounded = <T>(what: string, ms: number, start: (resolve: (v: T) => void) => void) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
      start((v) => {
        clearTimeout(timer);
        resolve(v);
      });
    });
  const nextText = (ms = 5000) => {
    const f = frames.shift();
    return f !== undefined ? Promise.resolve(f) : bounded<string>("frame", ms, (r) => waiters.push(r));
  };
  return new Promise((resolve, reject) => {
    ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once("error", reject);
    ws.once("open", () =>
      resolve({
        send: (value) => ws.send(JSON.stringify(value)),
        sendRaw: (text) => ws.send(text),
        next: async (ms) => JSON.parse(await nextText(ms)) as unknown,
        nextText,
        closed: (ms = 5000) => (close ? Promise.resolve(close) : bounded("close", ms, (r) => closeWaiters.push(r))),
        close: () => ws.close(1000),
      }),
    );
  });
}
