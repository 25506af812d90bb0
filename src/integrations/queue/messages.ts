/**
 * What a `queue` route sends, decided before anything is sent: the request (as mapped) becomes one message, or one
 * per element of a JSON array (`batch`), each with Queues' content type and its size as Queues counts it (the
 * UTF-8 length of its JSON or text, the byte length of bytes). Pure; the limits are Cloudflare Queues':
 * 128 KB a message, 100 messages and 256 KB a batch.
 */
export const MAX_MESSAGE_BYTES = 128_000;
export const MAX_BATCH_MESSAGES = 100;
export const MAX_BATCH_BYTES = 256_000;

export type QueueContentType = "json" | "text" | "bytes";

export interface OutgoingMessage {
  body: unknown;
  contentType: QueueContentType;
  /** The serialized body: what MD5OfMessageBody is computed over, and what its size is. */
  bytes: Uint8Array;
}

export type Messages = { ok: OutgoingMessage[] } | { refused: "bad-body" | "too-large"; message: string };

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json$/i;
const TEXT_TYPE = /^(text\/|application\/(x-www-form-urlencoded|xml|javascript)$|application\/[a-z0-9.+-]+\+xml$)/i;
const encoder = new TextEncoder();

/** The content type a body is sent as, from the configured one or the request's media type. */
export function contentTypeFor(configured: QueueContentType | null, mediaType: string): QueueContentType {
  if (configured) return configured;
  if (!mediaType || JSON_TYPE.test(mediaType)) return "json";
  return TEXT_TYPE.test(mediaType) ? "text" : "bytes";
}

/**
 * The messages for a body (text or bytes, null for none) — or why none can be sent: a body the content type
 * cannot carry (400), or a message or batch over Queues' limits (413). `wrap` turns each body into what is sent
 * (an envelope), given its index.
 */
export function toMessages(body: string | Uint8Array | null, type: QueueContentType, batch: boolean, wrap: (body: unknown, index: number) => unknown): Messages {
  const text = body === null ? "" : typeof body === "string" ? body : new TextDecoder().decode(body);
  let bodies: unknown[];
  if (batch || type === "json") {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { refused: "bad-body", message: batch ? "The body must be a JSON array of messages" : "The body must be JSON" };
    }
    if (batch && (!Array.isArray(value) || value.length === 0)) return { refused: "bad-body", message: "The body must be a JSON array of messages" };
    bodies = batch ? (value as unknown[]) : [value];
  } else bodies = [type === "text" ? text : body === null ? new Uint8Array() : typeof body === "string" ? encoder.encode(body) : body];
  if (bodies.length > MAX_BATCH_MESSAGES) return { refused: "too-large", message: `A batch holds at most ${MAX_BATCH_MESSAGES} messages (Queues' limit)` };

  const messages: OutgoingMessage[] = [];
  let total = 0;
  for (const [i, raw] of bodies.entries()) {
    const sent = wrap(raw, i);
    // An envelope is always JSON; a bare body keeps its type.
    const kind: QueueContentType = sent === raw ? (batch ? "json" : type) : "json";
    const bytes = kind === "json" ? encoder.encode(JSON.stringify(sent)) : kind === "text" ? encoder.encode(sent as string) : (sent as Uint8Array);
    if (bytes.byteLength > MAX_MESSAGE_BYTES)
      return { refused: "too-large", message: `A message is at most ${MAX_MESSAGE_BYTES} bytes (Queues' limit)` + (batch ? `; message ${i} has ${bytes.byteLength}` : `; this one has ${bytes.byteLength}`) };
    total += bytes.byteLength;
    messages.push({ body: sent, contentType: kind, bytes });
  }
  if (batch && total > MAX_BATCH_BYTES) return { refused: "too-large", message: `A batch is at most ${MAX_BATCH_BYTES} bytes (Queues' limit); this one has ${total}` };
  return { ok: messages };
}
