/**
 * WebSocket test helpers inside workerd: open a connection through the gateway built from a definition (the
 * same createApp the Worker uses; its hubs are the real ConnectionHub objects of the pool), and read what the
 * client receives in order — frames and the close — with a bound on every wait.
 */
import type { TestGateway } from "../support/gateway.ts";

export interface Client {
  ws: WebSocket;
  response: Response;
  /** The next frame the client receives (text), waiting at most `ms`. */
  next(ms?: number): Promise<string>;
  /** The next frame parsed as JSON. */
  nextJson<T = Record<string, unknown>>(ms?: number): Promise<T>;
  /** Resolves with the close code and reason once the gateway closes the connection. */
  closed(ms?: number): Promise<{ code: number; reason: string }>;
  send(data: string | ArrayBuffer): void;
  /** Frames received and not yet read. */
  pending(): string[];
}

export async function open(gw: TestGateway, path = "/prod", headers: Record<string, string> = {}): Promise<Client> {
  const response = await gw.fetch(path, { headers: { upgrade: "websocket", ...headers } });
  if (response.status !== 101 || !response.webSocket) throw new Error(`expected 101, got ${response.status}: ${await response.text()}`);
  return client(response);
}

export function client(response: Response): Client {
  const ws = response.webSocket!;
  ws.accept();
  const frames: string[] = [];
  const waiters: ((frame: string) => void)[] = [];
  let close: { code: number; reason: string } | undefined;
  const closeWaiters: ((c: { code: number; reason: string }) => void)[] = [];
  ws.addEventListener("message", (e) => {
    const data = typeof e.data === "string" ? e.data : new TextDecoder().decode(e.data as ArrayBuffer);
    const waiter = waiters.shift();
    if (waiter) waiter(data);
    else frames.push(data);
  });
  ws.addEventListener("close", (e) => {
    close = { code: e.code, reason: e.reason };
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
  const next = (ms = 3000) => {
    const frame = frames.shift();
    if (frame !== undefined) return Promise.resolve(frame);
    return bounded<string>("frame", ms, (resolve) => waiters.push(resolve));
  };
  return {
    ws,
    response,
    next,
    nextJson: async <T>(ms?: number) => JSON.parse(await next(ms)) as T,
    closed: (ms = 3000) => (close ? Promise.resolve(close) : bounded("close", ms, (resolve) => closeWaiters.push(resolve))),
    send: (data) => ws.send(data),
    pending: () => [...frames],
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns true, at most `ms` (work a hub does after answering, like $disconnect, takes its time). */
export async function eventually(probe: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await sleep(25);
  }
}
