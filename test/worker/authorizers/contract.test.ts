/**
 * The authorizer contract, one suite for every kind (src/authorizers/types.ts): through the pipeline, a caller
 * with no credentials and a caller with bad ones are refused (401/403) and the backend is never called; a caller
 * with good ones reaches it and the backend learns who they are; an authorizer that cannot decide (a secret it
 * needs is missing, the deciding service hangs) answers 500 — never an allow.
 */
import { AwsClient } from "aws4fetch";
import { describe, expect, it } from "vitest";
import type { AuthorizerDefinition } from "../../../src/config/types.ts";
import { gatewayFor } from "../support/gateway.ts";
import { echoTo, hits, uid } from "../identity/support.ts";
import { claims, sign, signingKey } from "../identity/jwt-tokens.ts";

const ACCESS_KEY = "AKIDCONTRACT0000TEST";
const SECRET = "contract-secret-access-key";
const CERT = { certPresented: "1", certVerified: "SUCCESS", certIssuerDN: "CN=Contract CA", certSubjectDN: "CN=caller", certFingerprintSHA256: "a".repeat(64) };

interface Case {
  type: string;
  authorizer: () => Promise<AuthorizerDefinition>;
  /** A request carrying good credentials, bad ones, or none. */
  request(url: string, kind: "good" | "bad" | "none"): Promise<Request>;
  /** Env that leaves the authorizer unable to decide (a missing secret, a hanging decider). */
  broken: { env: Record<string, unknown>; authorizer?: () => Promise<AuthorizerDefinition> };
  env: Record<string, unknown>;
}

const jwtKey = signingKey("ES256", "contract");

const CASES: Case[] = [
  {
    type: "jwt (inline JWKS)",
    authorizer: async () => ({ type: "jwt", issuer: "https://issuer.test/", audience: "petstore", jwks: { keys: [(await jwtKey).jwk as Record<string, unknown>] } }),
    async request(url, kind) {
      const key = await jwtKey;
      const other = await signingKey("ES256", "contract");
      const token = kind === "none" ? null : await sign(kind === "good" ? key : other, claims());
      return new Request(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    },
    env: {},
    broken: {
      env: {},
      authorizer: async () => ({ type: "jwt", issuer: "https://issuer.test/", audience: "petstore", secret: "CONTRACT_MISSING_SECRET" }),
    },
  },
  {
    type: "custom (service binding)",
    authorizer: async () => ({ type: "custom", service: "AUTHORIZER", resultTtlSeconds: 0, timeoutMs: 300 }),
    async request(url, kind) {
      const token = { good: `allow:${uid()}`, bad: `deny:${uid()}`, none: null }[kind];
      return new Request(url, token ? { headers: { authorization: token } } : {});
    },
    env: {},
    broken: { env: {}, authorizer: async () => ({ type: "custom", service: "AUTHORIZER", resultTtlSeconds: 0, timeoutMs: 300 }) },
  },
  {
    type: "sigv4",
    authorizer: async () => ({ type: "sigv4", credentials: { [ACCESS_KEY]: "CONTRACT_SIGV4_SECRET" } }),
    async request(url, kind) {
      if (kind === "none") return new Request(url);
      const signer = new AwsClient({ accessKeyId: ACCESS_KEY, secretAccessKey: kind === "good" ? SECRET : "not-the-secret", service: "execute-api", region: "us-east-1" });
      return signer.sign(url);
    },
    env: { CONTRACT_SIGV4_SECRET: SECRET },
    broken: { env: {} },
  },
  {
    type: "mtls",
    authorizer: async () => ({ type: "mtls", issuers: ["CN=Contract CA"] }),
    async request(url, kind) {
      if (kind === "none") return new Request(url);
      return new Request(url, { cf: { tlsClientAuth: kind === "good" ? CERT : { ...CERT, certIssuerDN: "CN=Other CA" } } } as RequestInit);
    },
    env: {},
    broken: { env: {} },
  },
];

async function gateway(c: Case, path: string, env: Record<string, unknown>, authorizer: AuthorizerDefinition) {
  return gatewayFor({ name: `contract-${uid()}`, stages: { prod: {} }, authorizers: { who: authorizer }, routes: { "GET /x": { authorizer: "who", integration: echoTo(path) } } }, env);
}

describe.each(CASES)("authorizer contract: $type", (c) => {
  it("refuses a caller with no credentials, and with bad ones, without calling the backend", async () => {
    const path = `contract-${uid()}`;
    const gw = await gateway(c, path, c.env, await c.authorizer());
    for (const kind of ["none", "bad"] as const) {
      const res = await gw.request(await c.request("http://gateway.test/prod/x", kind));
      expect([401, 403], `${kind}: ${res.status} ${await res.clone().text()}`).toContain(res.status);
      expect(res.headers.get("x-amzn-RequestId")).toBeTruthy();
    }
    expect(await hits(`/echo/${path}`)).toBe(0);
  });

  it("lets a caller with good credentials through, once", async () => {
    const path = `contract-${uid()}`;
    const gw = await gateway(c, path, c.env, await c.authorizer());
    const res = await gw.request(await c.request("http://gateway.test/prod/x", "good"));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await hits(`/echo/${path}`)).toBe(1);
  });

  it("never allows when it cannot decide: 500 when it lacks what it needs, 403 for a certificate Cloudflare could not verify", async () => {
    const path = `contract-${uid()}`;
    const authorizer = await (c.broken.authorizer ?? c.authorizer)();
    const gw = await gateway(c, path, c.broken.env, authorizer);
    let req: Request;
    let want: number;
    if (c.type.startsWith("custom")) {
      // The deciding Worker hangs on this token; the authorizer gives up at timeoutMs.
      req = new Request("http://gateway.test/prod/x", { headers: { authorization: `hang:${uid()}` } });
      want = 500;
    } else if (c.type === "mtls") {
      // mTLS needs no secret; what it cannot decide on is a certificate Cloudflare did not verify.
      req = new Request("http://gateway.test/prod/x", { cf: { tlsClientAuth: { ...CERT, certVerified: "FAILED:self signed certificate" } } } as RequestInit);
      want = 403;
    } else {
      // Good credentials, but the Worker secret the authorizer needs is not set.
      req = await c.request("http://gateway.test/prod/x", "good");
      want = 500;
    }
    const res = await gw.request(req);
    const body = await res.text();
    expect(res.status, body).toBe(want);
    expect(body).not.toMatch(/CONTRACT_|secret|stack/i);
    expect(await hits(`/echo/${path}`)).toBe(0);
  });
});
