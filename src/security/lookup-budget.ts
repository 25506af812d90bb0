/**
 * A budget for work an anonymous client can make the gateway do by sending values it has never seen — API key
 * lookups: well-formed key values can be made up offline (their check characters are not secret), and each unseen
 * one costs a call to the Registry's keys object. Token buckets (throttle/bucket.ts): one per client, so one client's
 * flood spends only its own budget, and one for the isolate, so many clients together cannot turn the isolate into
 * a firehose at the Registry. Pure and in-memory; bounded in the clients it remembers.
 */
import { take, type BucketConfig, type BucketState } from "../throttle/bucket.ts";
import { parseIp } from "./ip.ts";

/** Per client: 20 at once, then 5 a second. A real client sends few distinct keys. */
export const CLIENT_LOOKUPS: BucketConfig = { rate: 5, burst: 20 };
/** Per isolate: 400 at once, then 200 a second. */
export const ISOLATE_LOOKUPS: BucketConfig = { rate: 200, burst: 400 };
const MAX_CLIENTS = 10_000;

export class LookupBudget {
  readonly #perClient: BucketConfig;
  readonly #perIsolate: BucketConfig;
  readonly #clients = new Map<string, BucketState>();
  #isolate: BucketState | undefined;

  constructor(perClient = CLIENT_LOOKUPS, perIsolate = ISOLATE_LOOKUPS) {
    this.#perClient = perClient;
    this.#perIsolate = perIsolate;
  }

  /** Spends one lookup for `clientIp`: 0 when it may go ahead, else the ms until it could. Spends nothing when refused. */
  spend(clientIp: string, now = Date.now()): number {
    const client = clientOf(clientIp);
    const mine = take(this.#clients.get(client) ?? { tokens: this.#perClient.burst, updatedAt: now }, this.#perClient, 1, 1, now);
    if (!mine.granted) return mine.retryAfterMs;
    const all = take(this.#isolate ?? { tokens: this.#perIsolate.burst, updatedAt: now }, this.#perIsolate, 1, 1, now);
    if (!all.granted) return all.retryAfterMs;
    this.#isolate = all.state;
    // Re-inserted so the map's order is least recently used first: the oldest client is the one forgotten.
    this.#clients.delete(client);
    if (this.#clients.size >= MAX_CLIENTS) this.#clients.delete(this.#clients.keys().next().value!);
    this.#clients.set(client, mine.state);
    return 0;
  }
}

/**
 * The client an address stands for: an IPv4 address, or an IPv6 /64 — the block one subscriber usually holds,
 * so rotating through its addresses is still one client. An unreadable address is one shared client.
 */
export function clientOf(ip: string): string {
  const bytes = ip ? parseIp(ip) : undefined;
  if (!bytes) return "?";
  const mapped = bytes.subarray(0, 12).every((b, i) => b === (i < 10 ? 0 : 0xff));
  if (mapped) return bytes.subarray(12).join(".");
  let out = "";
  for (let i = 0; i < 8; i++) out += bytes[i]!.toString(16).padStart(2, "0");
  return `${out}::/64`;
}
