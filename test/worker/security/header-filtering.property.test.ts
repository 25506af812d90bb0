/**
 * Property-based (fast-check): random client headers — names in every spelling a client could try (Portico's
 * namespace, aliases of the headers the gateway sets, other gateways' internal headers, Connection-named ones,
 * plain ones) with random values — go through the whole pipeline to the real local backend, which echoes what it
 * received and counts its hits. Whatever the input: no stage crashes (every request is served), nothing a policy
 * strips reaches the backend, the gateway's own values win, and ordinary headers are not stripped.
 *
 * Each generated header carries its expected fate by construction (the generator that made it), not by asking
 * the code under test.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { backendUrl, gatewayFor, type TestGateway } from "../support/gateway.ts";
import { hits, uid } from "../identity/support.ts";
import { workerHits } from "../integrations/backends.ts";
import { claims, sign, signingKey, AUDIENCE, ISSUER } from "../identity/jwt-tokens.ts";

type Fate = "dropped" | "kept" | "gateway";
interface Sent {
  name: string;
  value: string;
  fate: Fate;
}

const RUNS = 60;
const TOKEN_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789";

/** Names the route opts in to (forwardInternalHeaders): forwarded, though foreign. */
const OPTED_IN = ["x-http-method-override", "x-envoy-retry-on"];
/** Headers the gateway sets on this route: the claim headers and a configured one. */
const GATEWAY_SET = ["x-user-id", "x-tenant", "x-configured"];
const FOREIGN_EXACT = ["x-original-url", "x-rewrite-url", "x-original-uri", "x-http-method", "x-method-override", "forwarded", "true-client-ip", "x-client-ip", "x-cluster-client-ip", "fastly-client-ip", "x-goog-iap-jwt-assertion", "x-endpoint-api-userinfo"];
const FOREIGN_PREFIXES = ["x-middleware-", "x-envoy-", "x-amzn-apigateway-", "x-amzn-oidc-", "x-apigateway-", "x-goog-authenticated-user-", "x-ms-client-principal", "x-auth-request-", "x-forwarded-"];
/** Names that must never come through under another spelling: set by the gateway, the platform's, or dropped outright. */
const aliased = (gatewaySet: string[]) => [...gatewaySet, "x-forwarded-for", "x-forwarded-host", "cf-connecting-ip", "x-real-ip", "x-portico-force-secret", "x-middleware-subrequest", "host"];

const word = fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 8 });
/** A header value: visible ASCII, spaces and tabs inside (Headers trims the ends). */
const value = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 40 }).filter((v) => v.trim() !== "");
/** Random upper/lower case per character: header names are case-insensitive. */
const anyCase = (name: string) => fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }).map((ups) => [...name].map((c, i) => (ups[i] ? c.toUpperCase() : c)).join(""));
/** `-` spelled as `-`, `_` or `.`, at least once not as `-`. */
const alias = (name: string) =>
  fc
    .array(fc.constantFrom("-", "_", "."), { minLength: name.split("-").length - 1, maxLength: name.split("-").length - 1 })
    .filter((seps) => seps.some((s) => s !== "-"))
    .map((seps) => name.split("-").reduce((out, part, i) => (i === 0 ? part : out + seps[i - 1] + part), ""))
    .chain(anyCase);

const header = (gatewaySet: string[]) => fc.oneof(
  // Portico's namespace, any suffix, any case: always dropped.
  fc.record({ name: word.map((w) => `x-portico-${w}`).chain(anyCase), value, fate: fc.constant<Fate>("dropped") }),
  // Other gateways' internal headers: dropped (these routes opt in to none of these spellings).
  fc.record({ name: fc.constantFrom(...FOREIGN_EXACT).chain(anyCase), value, fate: fc.constant<Fate>("dropped") }),
  fc.record({ name: fc.tuple(fc.constantFrom(...FOREIGN_PREFIXES), word).map(([p, w]) => p + w).filter((n) => !OPTED_IN.includes(n) && !["x-forwarded-for", "x-forwarded-proto", "x-forwarded-port", "x-forwarded-host"].includes(n)).chain(anyCase), value, fate: fc.constant<Fate>("dropped") }),
  // Aliases of what the gateway sets or drops: dropped.
  fc.record({ name: fc.constantFrom(...aliased(gatewaySet)).filter((n) => n.includes("-")).chain(alias), value, fate: fc.constant<Fate>("dropped") }),
  // The gateway's own names, sent by the client: the gateway's value wins.
  fc.record({ name: fc.constantFrom(...gatewaySet).chain(anyCase), value, fate: fc.constant<Fate>("gateway") }),
  // Opted-in foreign names, exact spelling: forwarded.
  fc.record({ name: fc.constantFrom(...OPTED_IN).chain(anyCase), value, fate: fc.constant<Fate>("kept") }),
  // Ordinary names (a prefix no rule touches), with `_` and `.` inside too: forwarded.
  fc.record({ name: fc.tuple(word, fc.constantFrom("-", "_", "."), word).map(([a, s, b]) => `b-${a}${s}${b}`).chain(anyCase), value, fate: fc.constant<Fate>("kept") }),
);

let gw: TestGateway;
let token: string;
const path = `prop-${uid()}`;

beforeAll(async () => {
  const key = await signingKey("ES256", "prop-1");
  token = await sign(key, { ...claims({ sub: "alice" }), exp: Math.floor(Date.now() / 1000) + 3600 });
  gw = await gatewayFor({
    name: "props",
    stages: { prod: {} },
    authorizers: { users: { type: "jwt", issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.jwk] }, claimsToHeaders: { "x-user-id": "sub", "x-tenant": "tenant" } } },
    routes: {
      "GET /h/{id}": {
        authorizer: "users",
        forwardInternalHeaders: OPTED_IN,
        integration: { type: "http_proxy", uri: `${backendUrl()}/echo/${path}`, headers: { "x-configured": "gateway" } },
      },
      "GET /event/{id}": { authorizer: "users", forwardInternalHeaders: OPTED_IN, integration: { type: "service", service: "LAMBDA_ECHO", payloadFormat: "1.0" } },
    },
  });
});

/** One request with `sent` (and a Connection header naming some of them); what the backend saw of each. */
async function send(route: string, sent: Sent[], connectionPicks: number[] | null, gatewaySet: string[]): Promise<Record<string, string>> {
  const headers = new Headers({ authorization: `Bearer ${token}` });
  // Names the client sends twice in different spellings merge in Headers: the first fate is the one tested.
  const fates = new Map<string, Sent>();
  for (const h of sent) {
    headers.append(h.name, h.value);
    if (!fates.has(h.name.toLowerCase())) fates.set(h.name.toLowerCase(), h);
  }
  // Sometimes a Connection header naming some of them (hop-by-hop by declaration: dropped too).
  const named = new Set((connectionPicks ?? []).flatMap((i) => (sent[i] ? [sent[i].name.toLowerCase()] : [])));
  if (named.size) headers.set("connection", [...named].join(", "));
  const res = await gw.fetch(route, { headers });
  expect(res.status, await res.clone().text()).toBe(200);
  const seen = ((await res.json()) as { headers: Record<string, string> }).headers;
  for (const [name, h] of fates) {
    // (A Connection-named header the gateway itself sets is set again after: its value is checked below.)
    if (h.fate === "dropped" || (named.has(name) && h.fate !== "gateway")) expect(seen[name], `${h.name} (${h.fate})`).toBeUndefined();
    else if (h.fate === "kept") expect(seen[name], `${h.name} (kept)`).toBeDefined();
  }
  // Whatever was sent, the gateway's values are the ones the backend sees.
  expect(seen["x-user-id"]).toBe("alice");
  expect(seen["x-tenant"]).toBeUndefined(); // the token has no tenant claim
  if (gatewaySet.includes("x-configured")) expect(seen["x-configured"]).toBe("gateway");
  for (const name of Object.keys(seen)) expect(name.startsWith("x-portico-"), name).toBe(false);
  return seen;
}

const connection = fc.option(fc.array(fc.nat({ max: 11 }), { maxLength: 3 }));

describe("client headers through the pipeline (property)", () => {
  it("to an http_proxy backend: never forward what a policy strips, never crash a stage, keep what no rule touches", { timeout: 120_000 }, async () => {
    const before = await hits(`/echo/${path}`);
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(header(GATEWAY_SET), { minLength: 1, maxLength: 12 }), connection, async (sent, picks) => {
        runs++;
        await send("/prod/h/1", sent, picks, GATEWAY_SET);
      }),
      { numRuns: RUNS },
    );
    expect(runs).toBe(RUNS);
    expect(await hits(`/echo/${path}`)).toBe(before + runs);
  });

  it("in a Lambda-style event's headers: the same", { timeout: 120_000 }, async () => {
    const claimsOnly = ["x-user-id", "x-tenant"];
    const before = await workerHits("LAMBDA_ECHO", "/event/1");
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(header(claimsOnly), { minLength: 1, maxLength: 12 }), connection, async (sent, picks) => {
        runs++;
        await send("/prod/event/1", sent, picks, claimsOnly);
      }),
      { numRuns: RUNS / 2 },
    );
    expect(runs).toBe(RUNS / 2);
    expect(await workerHits("LAMBDA_ECHO", "/event/1")).toBe(before + runs);
  });
});
