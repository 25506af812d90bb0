/**
 * A real local HTTP backend for tests and benchmarks (a Node server on loopback), with the misbehaviours a
 * gateway must survive. Paths:
 *
 *   /echo/...        200 JSON: { method, path, query, headers, body } of the request it received
 *   /status/{n}      status n with a small JSON body
 *   /hang            accepts the request and never answers
 *   /reset           destroys the socket without a response (connection reset)
 *   /garbage         writes bytes that are not HTTP, then closes
 *   /hop-by-hop      200 with hop-by-hop response headers the gateway must strip
 *   /redirect        302 to /echo/redirected (a gateway passes it back, never follows)
 *   /headers?n=v     200 with each query parameter as a response header (what a backend may send a gateway)
 *   /bytes/{n}       n bytes of "x"
 *   /hello           200 "hello" (the benchmark's upstream)
 *   /authorizer/...  a custom authorizer: POST an authorizer event; the token (before any ":") chooses the reply —
 *                    allow → Allow "*", deny → Deny "*", unauthorized → 401, anything else → 200 {"not": "a policy"}
 *   /__hits?path=/x  200 {"count": n}: how many requests /x has had (not itself counted)
 *   /__last?path=/x  200 {method, headers, bodyBase64} of the last request /x had (404 before any; the body only for
 *                    the recorded backends: lambda-url, verbatim, httpbin)
 *   /lambda-url/...  a Lambda function URL echo, as recorded backends answer: `/status/{n}` (anywhere in the path)
 *                    answers n with {"message": "", "status_code": n}; anything else 200 {args, data, domain,
 *                    headers, method, origin, path} (path after /lambda-url, data the JSON or text body), with the
 *                    `x-amzn-RequestId` a function URL adds
 *   /verbatim/...    200 with the request body exactly as received (a function that returns its input)
 *   /httpbin/...     httpbin's /anything: {args, data, files, form, headers, json, method, origin, url}, with
 *                    httpbin's `Server: gunicorn/19.9.0` and CORS headers
 *   /record/{tag}    reads the whole body, then 200; what it received is kept for /__record?tag={tag}:
 *                    {headers, bytes, complete} — `complete` false when the upload broke off before its end
 *   /raw-status/{n}  a raw HTTP/1.1 response with status line n (600, 99 …), written byte by byte as given;
 *                    `?interim=1` sends `100 Continue` first and then closes without a final response
 *   /reflect         200 reflecting X-Forwarded-Scheme, X-Original-URL, Authorization and Cookie, with `Vary`
 *                    naming the first two and `cache-control: public, max-age=300` (a backend open to web cache
 *                    poisoning); `?vary=` and `?cc=` replace those two headers (empty: none)
 *   /ae-sql/{name}   a stand-in for Analytics Engine's SQL API: records the query and its Authorization, answers
 *                    `{data}` with the rows POST /ae-sql-config/{name} set ({counts, integration, status}: the
 *                    integration-latency query gets `integration`, any other `counts`; `status` fails every query);
 *                    GET /ae-sql-seen/{name} lists what it was sent (the last 20)
 *   /petstore/pets[/{id}]  Amazon's demo PetStore backend: GET the list (?type= filters) or one pet (404 for an
 *                    unknown id), POST a pet → {"pet": <the body>, "message": "success"}
 *   /switch/{name}   200 {"switch": name} — or the status last set by POST /switch-set/{name}?status=N (a backend
 *                    that starts failing on cue)
 *   /jwks-config/{name}  POST {keys, cacheControl?, delayMs?, down?, padBytes?}: sets what /jwks/{name} serves (204)
 *   /jwks/{name}     the JWKS {keys} last set for name (404 before), with `cache-control: cacheControl` when given;
 *                    delayMs holds the answer back that long; down "500" answers 500, down "reset" resets the
 *                    connection; padBytes adds a field of that many bytes (an oversized key set). Fetches are counted
 *                    like every path (/__hits?path=/jwks/{name}).
 *
 *   /gate/{name}     holds the request until a test opens the gate (POST /__open?gate={name}), then answers 200
 *                    {"opened": name}: a backend exactly as slow as the test needs, whatever the machine's load.
 *                    Counted on arrival (/__hits?path=/gate/{name}): a test can wait until one is being held.
 *   /hold/{tag}, /drip/{tag}, /sse/{n}, /stall/{tag}  streamed responses (test/support/streaming-backend.ts);
 *                    /__stream?tag= says how far a tagged one got and whether its reader went away
 *
 * Every request is counted by path so tests can prove the backend was (or was not) called.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { randomUUID } from "node:crypto";
import { handleStreaming, streamState } from "./streaming-backend.ts";

export interface BackendServer {
  url: string;
  port: number;
  hits: Map<string, number>;
  close(): Promise<void>;
}

/** The last request each path had (method, headers, body), for tests that check what a backend received. */
const lastRequests = new Map<string, { method: string; headers: Record<string, string | string[] | undefined>; bodyBase64: string }>();

/** Gates by name (`/gate/<name>`): the requests waiting at each, answered when a test opens it. */
const gates = new Map<string, { open: boolean; waiting: (() => void)[] }>();
const gateOf = (name: string) => gates.get(name) ?? (gates.set(name, { open: false, waiting: [] }), gates.get(name)!);

/** Hanging requests by tag (`/hang/<tag>`): "waiting", or "abandoned" once the caller closed it. */
const hung = new Map<string, "waiting" | "abandoned">();

export async function startBackend(port = 0): Promise<BackendServer> {
  const hits = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://backend");
    if (url.pathname === "/__hung") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ state: hung.get(url.searchParams.get("tag") ?? "") ?? null }));
      return;
    }
    if (url.pathname === "/__stream") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(streamState(url.searchParams.get("tag") ?? "")));
      return;
    }
    if (url.pathname === "/__record") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(records.get(url.searchParams.get("tag") ?? "") ?? null));
      return;
    }
    if (url.pathname === "/__open") {
      const gate = gateOf(url.searchParams.get("gate") ?? "");
      gate.open = true;
      for (const release of gate.waiting.splice(0)) release();
      res.writeHead(204).end();
      return;
    }
    if (url.pathname.startsWith("/gate/")) {
      const name = url.pathname.slice("/gate/".length);
      const gate = gateOf(name);
      hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
      const answer = () => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ opened: name }));
      if (gate.open) answer();
      else gate.waiting.push(answer);
      return;
    }
    if (url.pathname === "/__hits") {
      // How often a path was requested, for tests inside workerd (which cannot read this process's memory).
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ count: hits.get(url.searchParams.get("path") ?? "") ?? 0 }));
      return;
    }
    if (url.pathname === "/__last") {
      const last = lastRequests.get(url.searchParams.get("path") ?? "");
      if (!last) res.writeHead(404).end();
      else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(last));
      return;
    }
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    hits.set("*", (hits.get("*") ?? 0) + 1);
    // A client that gives up mid-upload (a gateway cutting a body off at its limit) must not crash the run.
    handle(req, res, url).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 30_000;
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

interface JwksConfig {
  keys: unknown[];
  cacheControl?: string;
  delayMs?: number;
  down?: "500" | "reset" | false;
  padBytes?: number;
}

/** JWKS documents served at /jwks/{name}, set by tests through /jwks-config/{name}. */
const jwksConfigs = new Map<string, JwksConfig>();

async function serveJwks(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
  const config = jwksConfigs.get(name);
  if (!config) {
    res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ message: `no JWKS ${name}` }));
    return;
  }
  if (config.delayMs) await new Promise((resolve) => setTimeout(resolve, config.delayMs));
  // The gateway may have given up (its bounded wait) while this answer was held back.
  if (res.destroyed || req.socket.destroyed) return;
  if (config.down === "reset") {
    req.socket.destroy();
    return;
  }
  if (config.down === "500") {
    res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ message: "down" }));
    return;
  }
  res.writeHead(200, { "content-type": "application/json", ...(config.cacheControl ? { "cache-control": config.cacheControl } : {}) });
  res.end(JSON.stringify({ keys: config.keys, ...(config.padBytes ? { pad: "x".repeat(config.padBytes) } : {}) }));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** What /record/{tag} received, by tag. */
const records = new Map<string, { headers: IncomingMessage["headers"]; bytes: number; complete: boolean }>();

function record(req: IncomingMessage, res: ServerResponse, tag: string): void {
  const seen = { headers: req.headers, bytes: 0, complete: false };
  records.set(tag, seen);
  req.on("data", (chunk: Buffer) => (seen.bytes += chunk.length));
  req.on("end", () => {
    seen.complete = true;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(seen));
  });
  // A broken upload: `complete` stays false; nothing to answer on a dead connection.
  req.on("error", () => {});
}

/** The Analytics Engine SQL stand-in's answers and the queries it was sent, by name. */
interface SqlAnswer {
  counts?: unknown[];
  integration?: unknown[];
  status?: number;
}
const sqlAnswers = new Map<string, SqlAnswer>();
const sqlQueries = new Map<string, { query: string; authorization: string }[]>();

/** Amazon's demo PetStore backend (http://petstore-demo-endpoint.execute-api.com/petstore/pets), as it answers. */
const PETS = [
  { id: 1, type: "dog", price: 249.99 },
  { id: 2, type: "cat", price: 124.99 },
  { id: 3, type: "fish", price: 0.99 },
];

function petstore(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): void {
  const json = (status: number, value: unknown): void => void res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
  const [, pets, id, ...rest] = url.pathname.split("/").filter(Boolean);
  if (pets !== "pets" || rest.length) return json(404, { message: "not found" });
  if (id === undefined && req.method === "POST") {
    let pet: unknown;
    try {
      pet = JSON.parse(body.toString("utf8"));
    } catch {
      return json(400, { message: "invalid pet" });
    }
    return json(200, { pet, message: "success" });
  }
  if (req.method !== "GET") return json(405, { message: "method not allowed" });
  if (id === undefined) {
    const type = url.searchParams.get("type");
    return json(200, PETS.filter((p) => !type || p.type === type));
  }
  const pet = PETS.find((p) => String(p.id) === id);
  return pet ? json(200, pet) : json(404, { message: `no pet ${id}` });
}

/** Statuses of /switch/{name}, set by tests through /switch-set/{name}. */
const switches = new Map<string, number>();

async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const [first, second] = url.pathname.split("/").filter(Boolean);
  // Every path's method and headers (the recorded backends below add the body).
  lastRequests.set(url.pathname, { method: req.method ?? "", headers: req.headers, bodyBase64: "" });
  if (first === "petstore") {
    const body = await readBody(req);
    lastRequests.set(url.pathname, { method: req.method ?? "", headers: req.headers, bodyBase64: body.toString("base64") });
    petstore(req, res, url, body);
    return;
  }
  if (first && handleStreaming(first, second, req, res, url)) return;
  if (first === "lambda-url" || first === "verbatim" || first === "httpbin") {
    const body = await readBody(req);
    lastRequests.set(url.pathname, { method: req.method ?? "", headers: req.headers, bodyBase64: body.toString("base64") });
    recordedBackend(first, req, res, url, body);
    return;
  }
  switch (first) {
    case "hello":
      res.writeHead(200, { "content-type": "text/plain" }).end("hello");
      return;
    case "ae-sql-config": {
      // What the Analytics Engine SQL stand-in answers for `second`: {counts, integration} rows, or {status}.
      sqlAnswers.set(second ?? "", JSON.parse((await readBody(req)).toString("utf8")) as SqlAnswer);
      res.writeHead(204).end();
      return;
    }
    case "ae-sql": {
      const query = (await readBody(req)).toString("utf8");
      const answer = sqlAnswers.get(second ?? "") ?? {};
      const seen = sqlQueries.get(second ?? "") ?? [];
      seen.push({ query, authorization: String(req.headers.authorization ?? "") });
      sqlQueries.set(second ?? "", seen.slice(-20));
      if (answer.status) {
        res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ message: "stand-in failure" }] }));
        return;
      }
      const data = query.includes("integrationP50") ? (answer.integration ?? []) : (answer.counts ?? []);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ meta: [], data, rows: data.length }));
      return;
    }
    case "ae-sql-seen":
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(sqlQueries.get(second ?? "") ?? []));
      return;
    case "switch-set":
      switches.set(second ?? "", Number(url.searchParams.get("status")) || 200);
      res.writeHead(204).end();
      return;
    case "switch": {
      const status = switches.get(second ?? "") ?? 200;
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ switch: second, status }));
      return;
    }
    case "jwks-config": {
      jwksConfigs.set(second ?? "", JSON.parse((await readBody(req)).toString("utf8")) as JwksConfig);
      res.writeHead(204).end();
      return;
    }
    case "jwks":
      await serveJwks(req, res, second ?? "");
      return;
    case "authorizer": {
      const event = JSON.parse((await readBody(req)).toString("utf8") || "{}") as { authorizationToken?: string; headers?: Record<string, string> };
      const kind = (event.authorizationToken ?? event.headers?.["x-token"] ?? "").split(":")[0];
      if (kind === "unauthorized") {
        res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ message: "Unauthorized" }));
        return;
      }
      const reply = kind === "allow" || kind === "deny"
        ? { principalId: "url-user", policyDocument: { Statement: [{ Action: "execute-api:Invoke", Effect: kind === "allow" ? "Allow" : "Deny", Resource: "*" }] }, context: { via: "url" } }
        : { not: "a policy" };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(reply));
      return;
    }
    case "record":
      record(req, res, second ?? "");
      return;
    case "raw-status": {
      await readBody(req);
      if (url.searchParams.has("interim")) {
        req.socket.end("HTTP/1.1 100 Continue\r\n\r\n");
        return;
      }
      req.socket.end(`HTTP/1.1 ${second} Odd\r\ncontent-type: text/plain\r\ncontent-length: 3\r\nconnection: close\r\n\r\nodd`);
      return;
    }
    case "reflect": {
      const h = req.headers;
      const reflected = { scheme: h["x-forwarded-scheme"] ?? null, originalUrl: h["x-original-url"] ?? null, authorization: h.authorization ?? null, cookie: h.cookie ?? null };
      const vary = url.searchParams.get("vary") ?? "X-Forwarded-Scheme, X-Original-URL";
      const cacheControl = url.searchParams.get("cc") ?? "public, max-age=300";
      res.writeHead(200, { "content-type": "application/json", ...(vary ? { vary } : {}), ...(cacheControl ? { "cache-control": cacheControl } : {}) });
      res.end(JSON.stringify(reflected));
      return;
    }
    case "status": {
      const status = Number(second) || 500;
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ status }));
      return;
    }
    case "hang":
      // Never answers. `/hang/<tag>`: whether the caller is still waiting is kept for `/__hung?tag=<tag>`.
      if (second) {
        hung.set(second, "waiting");
        res.on("close", () => hung.set(second, "abandoned"));
      }
      return;
    case "reset":
      req.socket.destroy();
      return;
    case "garbage":
      req.socket.end("this is not HTTP\r\n\r\n\u0000\u0001\u0002");
      return;
    case "hop-by-hop":
      res.writeHead(200, {
        "content-type": "text/plain",
        connection: "keep-alive, x-private-hop",
        "keep-alive": "timeout=5",
        "x-private-hop": "secret",
        "proxy-authenticate": "Basic",
        "x-end-to-end": "kept",
      });
      res.end("ok");
      return;
    case "redirect":
      res.writeHead(302, { location: "/echo/redirected" }).end();
      return;
    case "headers":
      res.writeHead(200, { "content-type": "text/plain", ...Object.fromEntries(url.searchParams) }).end("ok");
      return;
    case "bytes": {
      const n = Math.min(Number(second) || 0, 64 * 1024 * 1024);
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(n) }).end(Buffer.alloc(n, "x"));
      return;
    }
    default: {
      const body = await readBody(req);
      const echo = {
        method: req.method,
        path: url.pathname,
        rawUrl: req.url,
        query: url.search,
        headers: req.headers,
        body: body.toString("utf8"),
        bodyBytes: body.length,
      };
      res.writeHead(first === "echo" || first === undefined ? 200 : 404, { "content-type": "application/json", "x-backend": "test" });
      res.end(JSON.stringify(echo));
    }
  }
}

/** The backends the recorded Amazon cases were made against, stood in for on loopback (see the header comment). */
function recordedBackend(kind: string, req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): void {
  const text = body.toString("utf8");
  const json = (() => {
    try {
      return text ? (JSON.parse(text) as unknown) : null;
    } catch {
      return null;
    }
  })();
  const args = Object.fromEntries(url.searchParams);
  const origin = req.socket.remoteAddress ?? "";
  switch (kind) {
    case "lambda-url": {
      const rest = url.pathname.slice("/lambda-url".length) || "/";
      const status = /\/status\/(\d{3})(?:\/|$)/.exec(rest);
      const headers = { "content-type": "application/json", "x-amzn-RequestId": randomUUID() };
      if (status) {
        res.writeHead(Number(status[1]), headers).end(JSON.stringify({ message: "", status_code: Number(status[1]) }));
        return;
      }
      const echo = Buffer.from(JSON.stringify({ args, data: json ?? text, domain: req.headers.host, headers: req.headers, method: req.method, origin, path: rest }));
      res.writeHead(200, { ...headers, "content-length": String(echo.length) }).end(echo);
      return;
    }
    case "verbatim":
      res.writeHead(200, { "content-type": req.headers["content-type"] ?? "application/octet-stream" }).end(body);
      return;
    case "httpbin": {
      const echo = { args, data: text, files: {}, form: {}, headers: req.headers, json, method: req.method, origin, url: `http://${req.headers.host}${req.url}` };
      const out = Buffer.from(JSON.stringify(echo, null, 2) + "\n");
      res.writeHead(200, { "content-type": "application/json", "content-length": String(out.length), server: "gunicorn/19.9.0", "access-control-allow-origin": "*", "access-control-allow-credentials": "true" });
      res.end(out);
      return;
    }
  }
}
