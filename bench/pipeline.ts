/**
 * The full pipeline (overhead (a), peers (b) and (c)): `POST /orders?tenant=acme` with a JWT, an API key and a
 * JSON body. On Portico it is route `POST /orders` of bench-api.yaml — JWT authorizer, `apiKeyRequired`, query and
 * body validation, a generous route throttle, http_proxy to the upstream's /hello; the Hono peer does the same by
 * hand; the bare fetch-proxy Worker and nginx only forward. Every side of a pair sends the same requests.
 *
 * Tokens rotate, so a share of requests miss Portico's verified-token memo: a request carries a fresh token
 * (signed for the run, never sent to any target before) with probability FRESH_SHARE, else one of POOL_TOKENS
 * tokens reused all run long (clients holding a session). The stream counts, per side, the requests whose token
 * that target had not been sent before: a lower bound on the memo-miss share (the memo is bounded — 2,000 tokens,
 * oldest out first, in src/authorizers/jwt/index.ts — so a reused token may have been evicted and verified again).
 */
import { ADMIN_TOKEN, fixture } from "./fixture.ts";
import { sign } from "./jwt.ts";
import type { WorkerPool } from "./pool.ts";
import { prng } from "./routing.ts";
import type { RequestShape, RequestStream } from "./shapes.ts";

/** The share of requests that carry a token never sent before: a new login for every tenth request. */
export const FRESH_SHARE = 0.1;
/** Tokens reused all run long, drawn uniformly (fewer than the memo holds, so once seen they can hit). */
export const POOL_TOKENS = 1000;
/** Fresh tokens are signed before each scenario for this rate on both sides (more than a Worker serves here). */
const ASSUMED_MAX_RATE = 3000;

export const ORDER_BODY = JSON.stringify({ item: "book-978-0131103627", quantity: 2, note: "gift wrap" });

const pool: string[] = [];
const fresh: string[] = [];
let freshUsed = 0;
/** Tokens each target has been sent, by target name (the memo is per Worker). */
const seen = new Map<string, Set<string>>();
const random = prng(0x0bad5eed);

async function signTokens(into: string[], count: number, prefix: string): Promise<void> {
  const start = into.length;
  const batch = await Promise.all(Array.from({ length: count }, (_, i) => sign(`${prefix}-${start + i}`, { jti: `${prefix}-${start + i}` })));
  into.push(...batch);
}

/**
 * The full pipeline's requests for one side: `path` on that target, a token (fresh or from the pool), the API
 * key, the JSON body. Counts requests, fresh tokens and tokens this target had not been sent before.
 *
 * `verifies`: whether the target checks tokens. One that does not (nginx, the bare proxy) gets tokens of the same
 * shapes in the same shares, but its fresh draws reuse signed ones, so the fresh tokens a verifying target needs
 * are not spent on it. When a verifying side runs out of signed fresh tokens (it served more than the setup
 * signed for), the oldest are reused and counted: never silently.
 */
export function pipelineStream(target: string, path: string, verifies = true): () => RequestStream {
  return () => {
    const known = seen.get(target) ?? new Set<string>();
    seen.set(target, known);
    let counts = { requests: 0, freshTokens: 0, tokensNotSentBefore: 0, freshTokensReused: 0 };
    const draw = (): string => {
      if (!verifies || freshUsed >= fresh.length) {
        if (verifies) counts.freshTokensReused++;
        return fresh[Math.floor(random() * fresh.length)]!;
      }
      return fresh[freshUsed++]!;
    };
    return {
      next(): RequestShape {
        const isFresh = random() < FRESH_SHARE;
        const token = isFresh ? draw() : pool[Math.floor(random() * pool.length)]!;
        counts.requests++;
        if (isFresh) counts.freshTokens++;
        if (!known.has(token)) {
          known.add(token);
          counts.tokensNotSentBefore++;
        }
        return {
          path,
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "x-api-key": fixture.apiKey, "content-type": "application/json" },
          body: ORDER_BODY,
        };
      },
      begin() {
        counts = { requests: 0, freshTokens: 0, tokensNotSentBefore: 0, freshTokensReused: 0 };
      },
      counts: () => ({ ...counts }),
    };
  };
}

interface Refusal {
  what: string;
  change: (r: Required<Pick<RequestShape, "path" | "headers" | "body">>) => void;
}

/** Requests each gateway must refuse (Portico's statuses; the Hono peer's bearerAuth answers 401 for a missing key). */
const REFUSALS: Refusal[] = [
  { what: "no token", change: (r) => delete r.headers.authorization },
  { what: "no API key", change: (r) => delete r.headers["x-api-key"] },
  { what: "a body the model refuses", change: (r) => (r.body = JSON.stringify({ item: "", quantity: 1000 })) },
  { what: "no tenant parameter", change: (r) => (r.path = r.path.replace(/\?.*$/, "")) },
];

const checked = new Set<string>();

/**
 * The full pipeline's setup: tokens signed (the pool once, fresh ones for this scenario), an API key created
 * through Portico's admin API once per run, and each gateway checked to refuse what it must and accept the bench's
 * request — so a fast answer is never a refusal.
 */
export async function preparePipeline(workers: WorkerPool, gateways: string[]): Promise<void> {
  if (!pool.length) await signTokens(pool, POOL_TOKENS, "pool");
  await signTokens(fresh, Math.ceil(FRESH_SHARE * ASSUMED_MAX_RATE * (fixture.warmupSeconds + fixture.seconds) * 2), "fresh");
  if (!fixture.apiKey) fixture.apiKey = await createApiKey(await workers.url("portico"));
  for (const gateway of gateways) {
    if (checked.has(gateway)) continue;
    const url = await workers.url(gateway);
    const path = gateway === "portico" ? "/bench/orders?tenant=acme" : "/orders?tenant=acme";
    for (const refusal of REFUSALS) {
      const r = { path, headers: { authorization: `Bearer ${fixture.jwt}`, "x-api-key": fixture.apiKey, "content-type": "application/json" }, body: ORDER_BODY };
      refusal.change(r);
      const res = await fetch(new URL(r.path, url), { method: "POST", headers: r.headers, body: r.body });
      const text = await res.text();
      if (res.status < 400 || res.status > 499) throw new Error(`${gateway} POST ${r.path} with ${refusal.what} answered ${res.status} ${JSON.stringify(text.slice(0, 100))}, expected a 4xx`);
    }
    checked.add(gateway);
  }
}

async function createApiKey(url: URL): Promise<string> {
  const res = await fetch(new URL("/_portico/keys", url), {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "bench full pipeline", stages: ["bench/bench"] }),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`POST /_portico/keys answered ${res.status}: ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { value: string }).value;
}
