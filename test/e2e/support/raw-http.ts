/**
 * HTTP/1.1 by hand over `node:net`: the request line and headers are written exactly as given, so no client
 * normalises the path (`/prod/./pets`, `%2e%2e`) or refuses a header value, and the response is read as raw bytes.
 */
import { connect } from "node:net";

export interface RawResponse {
  status: number;
  /** Header names lower-cased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
  /** The whole response as received, for failure messages. */
  raw: string;
}

/** Sends `GET`-style request text (without the trailing blank line's Host/Connection: they are added). */
export function rawRequest(port: number, requestLine: string, headerLines: string[] = [], timeoutMs = 10_000): Promise<RawResponse> {
  const text = [requestLine, "Host: localhost", ...headerLines, "Connection: close", "", ""].join("\r\n");
  return rawExchange(port, text, timeoutMs);
}

/**
 * Writes `text` verbatim and reads one response: up to its Content-Length or last chunk, else until the server
 * closes. (workerd keeps the connection open for a few seconds after answering, even to `Connection: close`.)
 */
export function rawExchange(port: number, text: string, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      socket.destroy();
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (err) {
        reject(err);
      }
    };
    socket.setTimeout(timeoutMs, () => {
      done = true;
      socket.destroy();
      reject(new Error(`no complete response in ${timeoutMs} ms to ${JSON.stringify(text)}`));
    });
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      if (isComplete(Buffer.concat(chunks))) finish();
    });
    socket.on("error", (err) => {
      if (!done) reject(err);
      done = true;
    });
    socket.on("close", finish);
    socket.write(text, "latin1");
  });
}

/** True once `bytes` hold a whole response whose end is marked by Content-Length or the last chunk. */
function isComplete(bytes: Buffer): boolean {
  const end = bytes.indexOf("\r\n\r\n");
  if (end < 0) return false;
  const head = bytes.subarray(0, end).toString("latin1");
  const body = bytes.subarray(end + 4);
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (length) return body.length >= Number(length[1]);
  if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(head)) return dechunk(body) !== undefined;
  return /^HTTP\/1\.[01] (?:1\d\d|204|304)/.test(head);
}

export function parseResponse(bytes: Buffer): RawResponse {
  const raw = bytes.toString("latin1");
  const end = raw.indexOf("\r\n\r\n");
  if (end < 0) throw new Error(`not an HTTP response: ${JSON.stringify(raw)}`);
  const [statusLine, ...lines] = raw.slice(0, end).split("\r\n");
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine!);
  if (!status) throw new Error(`bad status line: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  let body = bytes.subarray(end + 4);
  if (/\bchunked\b/i.test(headers["transfer-encoding"] ?? "")) {
    const whole = dechunk(body);
    if (!whole) throw new Error(`truncated chunked body: ${JSON.stringify(raw)}`);
    body = whole;
  }
  return { status: Number(status[1]), headers, body: body.toString("utf8"), raw };
}

/** The body of a chunked message, or undefined while its last chunk has not arrived. */
function dechunk(data: Buffer): Buffer | undefined {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf("\r\n", at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(data.subarray(at, lineEnd).toString("latin1"), 16);
    if (Number.isNaN(size)) throw new Error("bad chunk size");
    // The last chunk: "0", optional trailer lines, then an empty line.
    if (size === 0) return data.indexOf("\r\n\r\n", lineEnd) >= 0 ? Buffer.concat(out) : undefined;
    if (data.length < lineEnd + 2 + size + 2) return undefined;
    out.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
