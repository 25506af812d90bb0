/**
 * Issue 10, item 5: made-up API keys do not lock out real ones. Lookups of key values an isolate has not seen are
 * budgeted per client address (an IPv6 /64 counts as one client), unknown values are remembered (a negative cache),
 * and a lookup over budget is answered 429 — retryable, Amazon's throttled body — never 403 for a key that may be
 * valid. Through the whole pipeline with the real Registry, the backend's hits counted.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { generateKeyValue } from "../../../src/security/api-keys.ts";
import { gatewayFor } from "../support/gateway.ts";
import { echoTo, hits, sleep, uid } from "../identity/support.ts";

async function createKey(stages: string[]): Promise<string> {
  const res = await SELF.fetch("http://localhost/_portico/keys", {
    method: "POST",
    headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
    body: JSON.stringify({ name: `flood ${uid()}`, stages }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { value: string }).value;
}

/** `memoMs`: how long an isolate trusts a lookup, unknown values included (the suite's default is 200 ms). */
async function keyedGateway(memoMs?: number) {
  const api = `flood-${uid()}`;
  const gw = await gatewayFor(
    { name: api, stages: { prod: {} }, routes: { "GET /pets": { apiKeyRequired: true, integration: echoTo(`${api}-backend`) } } },
    memoMs ? { REGISTRY_MEMO_MS: String(memoMs) } : {},
  );
  const call = async (key: string, ip: string) => {
    const res = await gw.fetch("/prod/pets", { headers: { "x-api-key": key, "cf-connecting-ip": ip } });
    const body = await res.text();
    return { status: res.status, body, retryAfter: res.headers.get("retry-after") };
  };
  return { api, call, backend: `/echo/${api}-backend` };
}

describe("a flood of made-up, well-formed API keys from one client", () => {
  it("does not lock out a real key from another client, nor from the same client once its budget refills", { timeout: 30_000 }, async () => {
    const { api, call, backend } = await keyedGateway();
    const [real, realToo] = [await createKey([`${api}/prod`]), await createKey([`${api}/prod`])];
    const fakes = await Promise.all(Array.from({ length: 150 }, () => generateKeyValue()));
    const flood = await Promise.all(fakes.map((k) => call(k, "203.0.113.66")));
    // Some were looked up and are unknown (403); the rest were over the client's budget: 429, retryable.
    const over = flood.filter((r) => r.status === 429);
    expect(flood.filter((r) => r.status !== 403 && r.status !== 429)).toEqual([]);
    expect(over.length).toBeGreaterThan(100);
    expect(over[0]!.body).toBe('{"message":"Too Many Requests"}');
    expect(Number(over[0]!.retryAfter)).toBeGreaterThanOrEqual(1);
    // Another client's first lookup of a real key is its own to spend.
    expect((await call(real, "198.51.100.7")).status).toBe(200);
    // The flooding client, once its budget refills, gets its real key looked up too.
    await sleep(1_100);
    expect((await call(realToo, "203.0.113.66")).status).toBe(200);
    expect(await hits(backend)).toBe(2);
  });

  it("answers a repeated made-up key from the negative cache, without spending budget", async () => {
    // Remembered for the memo bound: long enough here that 50 requests on a loaded machine all fall inside it.
    const { call } = await keyedGateway(10_000);
    const fake = await generateKeyValue();
    expect((await call(fake, "203.0.113.77")).status).toBe(403);
    // The same value again and again: remembered as unknown, no lookup, so never over budget.
    const again = await Promise.all(Array.from({ length: 50 }, () => call(fake, "203.0.113.77")));
    expect(again.every((r) => r.status === 403)).toBe(true);
  });

  it("counts an IPv6 /64 as one client", async () => {
    const { api, call } = await keyedGateway();
    const real = await createKey([`${api}/prod`]);
    const fakes = await Promise.all(Array.from({ length: 60 }, () => generateKeyValue()));
    // One address per fake, all in 2001:db8:0:1::/64.
    const flood = await Promise.all(fakes.map((k, i) => call(k, `2001:db8:0:1::${(i + 1).toString(16)}`)));
    expect(flood.filter((r) => r.status === 429).length).toBeGreaterThan(30);
    expect((await call(real, "2001:db8:0:2::1")).status).toBe(200);
  });
});
