/**
 * SigV4 verification: requests signed by aws4fetch (header and presigned forms) verify unchanged; AWS's published
 * test-suite vectors verify; every tampering, clock, scope and format failure is refused with Amazon's message.
 * The last block drives the authorizer through a real RequestContext.
 */
import { AwsClient, AwsV4Signer } from "aws4fetch";
import { describe, expect, it } from "vitest";
import type { Env } from "../../env.ts";
import { AppState } from "../../pipeline/app-state.ts";
import { RequestContext } from "../../pipeline/context.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import { sigv4Authorizer } from "./index.ts";
import { verifySigV4, type SigV4Input, type SigV4Result } from "./verify.ts";

const KEY = "AKIAPORTICOTEST00001";
const SECRET = "portico/Test+Secret/0123456789abcdefEXAMPLE";
const REGION = "eu-west-1";
const DATETIME = "20260420T120000Z";
const T0 = Date.UTC(2026, 3, 20, 12, 0, 0);
const MIN = 60_000;
const MISMATCH = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const secrets: Record<string, string> = { [KEY]: SECRET, AKIAEMPTYSECRET00001: "" };

type SignOptions = RequestInit & { query?: boolean; datetime?: string; key?: string; secret?: string; service?: string; region?: string };

/** Signs with aws4fetch as a client would (service execute-api, at DATETIME unless told). */
function sign(url: string, { query, datetime, key, secret, service, region, ...init }: SignOptions = {}): Promise<Request> {
  const client = new AwsClient({ accessKeyId: key ?? KEY, secretAccessKey: secret ?? SECRET, service: service ?? "execute-api", region: region ?? REGION });
  return client.sign(url, { ...init, aws: { signQuery: query ?? false, datetime: datetime ?? DATETIME } });
}

async function verify(req: Request, over: Partial<SigV4Input> = {}): Promise<SigV4Result> {
  const body = req.body ? new Uint8Array(await req.arrayBuffer()) : null;
  return verifySigV4({
    method: req.method, url: new URL(req.url), headers: req.headers, body, now: T0,
    service: "execute-api", region: REGION, secretFor: (id) => (Object.hasOwn(secrets, id) ? secrets[id] : undefined), ...over,
  });
}

/** The signed request, changed in transit. */
function alter(req: Request, change: { url?: string; method?: string; body?: string | null; headers?: (h: Headers) => void }): Request {
  const headers = new Headers(req.headers);
  change.headers?.(headers);
  // A clone's body, so one signed request can be altered many times.
  return new Request(change.url ?? req.url, { method: change.method ?? req.method, headers, body: change.body === undefined ? req.clone().body : change.body });
}

const setAuth = (req: Request, value: string) => alter(req, { headers: (h) => h.set("authorization", value) });
const hex = async (text: string) => [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))].map((b) => b.toString(16).padStart(2, "0")).join("");
const REQUIRES = "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.";
const failed = (message: string, type = "INVALID_SIGNATURE") => ({ ok: false, type, message });

const BASE = "https://api.example.com";
const URLS = [
  `${BASE}/prod/pets/1`,
  `${BASE}/prod/pets?b=2&a=1&a=0&a=1`,
  `${BASE}/prod/search?q=hello world&plus=a+b&lit=%2B&tilde=~x&star=*(x)!&u=ü&emoji=%F0%9F%90%BE&empty=&flag`,
  `${BASE}/prod/files/a%20b/user@example.com/x:y/~me/*/ü`,
  `${BASE}//prod//pets///1/`,
  `${BASE}/`,
];

describe("aws4fetch-signed requests verify unchanged", () => {
  for (const query of [false, true]) {
    const form = query ? "presigned query" : "Authorization header";
    for (const url of URLS) {
      it(`${form}: GET ${url.slice(BASE.length)}`, async () => {
        const result = await verify(await sign(url, { query }));
        expect(result).toEqual({ ok: true, accessKeyId: KEY, signedHeaders: query ? ["host"] : ["host", "x-amz-date"] });
      });
    }
    it(`${form}: POST with a body, a signed custom header and an unsigned content-type`, async () => {
      const req = await sign(`${BASE}/prod/pets?x=1`, { query, method: "POST", body: '{"name":"Rex"}', headers: { "content-type": "application/json", "x-custom": "a   b\t c" } });
      expect(await verify(req)).toMatchObject({ ok: true, signedHeaders: query ? ["host", "x-custom"] : ["host", "x-amz-date", "x-custom"] });
    });
    it(`${form}: POST with an empty body, and a custom method`, async () => {
      expect(await verify(await sign(`${BASE}/prod/pets`, { query, method: "POST", body: "" }))).toMatchObject({ ok: true });
      expect(await verify(await sign(`${BASE}/prod/pets`, { query, method: "PATCH", body: "x" }))).toMatchObject({ ok: true });
    });
  }

  it("verifies a query whose parameters arrive in another order", async () => {
    const req = await sign(`${BASE}/prod/pets?a=1&b=2`);
    expect(await verify(alter(req, { url: `${BASE}/prod/pets?b=2&a=1` }))).toMatchObject({ ok: true });
  });
});

describe("AWS SigV4 test suite vectors (AKIDEXAMPLE, us-east-1, service, 20150830T123600Z)", () => {
  const vector = (method: string, url: string, signature: string, now = Date.UTC(2015, 7, 30, 12, 36)): SigV4Input => ({
    method, url: new URL(url), body: null, now, service: "service", region: "us-east-1",
    headers: new Headers({
      Host: "example.amazonaws.com", "X-Amz-Date": "20150830T123600Z",
      Authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${signature}`,
    }),
    secretFor: (id) => (id === "AKIDEXAMPLE" ? "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" : undefined),
  });
  const GET_VANILLA = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

  it("get-vanilla verifies, and aws4fetch signs it identically", async () => {
    expect(await verifySigV4(vector("GET", "https://example.amazonaws.com/", GET_VANILLA))).toEqual({ ok: true, accessKeyId: "AKIDEXAMPLE", signedHeaders: ["host", "x-amz-date"] });
    const client = new AwsClient({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", service: "service", region: "us-east-1" });
    const signed = await client.sign("https://example.amazonaws.com/", { aws: { datetime: "20150830T123600Z" } });
    expect(signed.headers.get("authorization")).toBe(vector("GET", "https://example.amazonaws.com/", GET_VANILLA).headers.get("authorization"));
  });
  it("post-vanilla and get-vanilla-query-order-value verify", async () => {
    expect(await verifySigV4(vector("POST", "https://example.amazonaws.com/", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"))).toMatchObject({ ok: true });
    const orderValue = "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694";
    expect(await verifySigV4(vector("GET", "https://example.amazonaws.com/?Param1=value2&Param1=value1", orderValue))).toMatchObject({ ok: true });
  });
  it("get-vanilla fails with one signature digit changed, another method, or a changed query", async () => {
    expect(await verifySigV4(vector("GET", "https://example.amazonaws.com/", GET_VANILLA.slice(0, -1) + "0"))).toEqual(failed(MISMATCH));
    expect(await verifySigV4(vector("HEAD", "https://example.amazonaws.com/", GET_VANILLA))).toEqual(failed(MISMATCH));
    expect(await verifySigV4(vector("GET", "https://example.amazonaws.com/?a", GET_VANILLA))).toEqual(failed(MISMATCH));
  });
  it("answers Amazon's own expiry message ten minutes later", async () => {
    expect(await verifySigV4(vector("GET", "https://example.amazonaws.com/", GET_VANILLA, Date.UTC(2015, 7, 30, 12, 46)))).toEqual(
      failed("Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z (20150830T124600Z - 5 min.)"),
    );
  });
});

describe("refusals", () => {
  it("no signature at all → Missing Authentication Token", async () => {
    expect(await verify(new Request(`${BASE}/prod/pets`))).toEqual(failed("Missing Authentication Token", "MISSING_AUTHENTICATION_TOKEN"));
    expect(await verify(new Request(`${BASE}/prod/pets?X-Amz-Date=${DATETIME}`, { headers: { "x-amz-date": DATETIME } }))).toMatchObject({ type: "MISSING_AUTHENTICATION_TOKEN" });
  });

  it("wrong secret, unknown key, empty secret", async () => {
    for (const query of [false, true]) {
      expect(await verify(await sign(`${BASE}/prod/pets`, { query, secret: "not-the-secret" }))).toEqual(failed(MISMATCH));
      const invalidToken = failed("The security token included in the request is invalid.");
      expect(await verify(await sign(`${BASE}/prod/pets`, { query, key: "AKIAUNKNOWNKEY000001" }))).toEqual(invalidToken);
      expect(await verify(await sign(`${BASE}/prod/pets`, { query, key: "AKIAEMPTYSECRET00001", secret: "" }))).toEqual(invalidToken);
    }
  });

  for (const query of [false, true]) {
    const form = query ? "presigned" : "header";
    it(`${form}: tampered path, query, method, signed header and body all fail`, async () => {
      const req = await sign(`${BASE}/prod/pets/1?a=1&a=2`, { query, method: "PUT", body: "original", headers: { "x-custom": "v1" } });
      const url = new URL(req.url);
      expect(await verify(req.clone())).toMatchObject({ ok: true });
      const tampered = [
        alter(req, { url: req.url.replace("/pets/1", "/pets/2") }),
        alter(req, { url: req.url.replace("/prod/", "/beta/") }),
        alter(req, { url: req.url.replace("/pets/1", "/pets%2F1") }),
        alter(req, { url: `${url.origin}${url.pathname}${url.search}&extra=1` }),
        alter(req, { url: req.url.replace("a=2", "a=3") }),
        alter(req, { method: "POST" }),
        alter(req, { headers: (h) => h.set("x-custom", "v2") }),
        alter(req, { body: "changed!" }),
        alter(req, { body: null, method: "PUT" }),
      ];
      for (const t of tampered) expect(await verify(t)).toEqual(failed(MISMATCH));
      expect(await verify(alter(req, { headers: (h) => h.delete("x-custom") }))).toEqual(failed("Signed header 'x-custom' is missing from the request."));
    });

    it(`${form}: a signature more than 5 minutes from the clock either way is refused`, async () => {
      const req = await sign(`${BASE}/prod/pets`, { query });
      expect(await verify(req, { now: T0 + 5 * MIN })).toMatchObject({ ok: true });
      expect(await verify(req, { now: T0 - 5 * MIN })).toMatchObject({ ok: true });
      expect(await verify(req, { now: T0 + 6 * MIN })).toEqual(failed("Signature expired: 20260420T120000Z is now earlier than 20260420T120100Z (20260420T120600Z - 5 min.)"));
      expect(await verify(req, { now: T0 - 6 * MIN })).toEqual(failed("Signature not yet current: 20260420T120000Z is still later than 20260420T115900Z (20260420T115400Z + 5 min.)"));
    });

    it(`${form}: wrong region and wrong service`, async () => {
      expect(await verify(await sign(`${BASE}/prod/pets`, { query, region: "us-east-1" }))).toEqual(failed("Credential should be scoped to a valid region."));
      expect(await verify(await sign(`${BASE}/prod/pets`, { query, service: "lambda" }))).toEqual(failed("Credential should be scoped to correct service: 'execute-api'."));
    });

    it(`${form}: a valid signature that does not cover host`, async () => {
      const signer = new AwsV4Signer({ url: `${BASE}/prod/pets`, headers: { "x-custom": "1" }, accessKeyId: KEY, secretAccessKey: SECRET, service: "execute-api", region: REGION, datetime: DATETIME, signQuery: query });
      signer.signableHeaders = signer.signableHeaders.filter((h) => h !== "host");
      signer.signedHeaders = signer.signableHeaders.join(";");
      signer.canonicalHeaders = signer.signableHeaders.map((h) => `${h}:${signer.headers.get(h)}`).join("\n");
      if (query) signer.url.searchParams.set("X-Amz-SignedHeaders", signer.signedHeaders);
      signer.encodedSearch = [...signer.url.searchParams].map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).sort().join("&");
      const { url, headers } = await signer.sign();
      expect(await verify(new Request(url, { headers }))).toEqual(failed("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."));
    });
  }

  it("payload hash: x-amz-content-sha256 must be the body's, or a signed UNSIGNED-PAYLOAD", async () => {
    const body = '{"a":1}';
    for (const query of [false, true]) {
      expect(await verify(await sign(`${BASE}/prod/p`, { query, method: "POST", body, headers: { "x-amz-content-sha256": await hex(body) } }))).toMatchObject({ ok: true });
      // Signed over the declared hash (aws4fetch uses the header instead of hashing), but another body is sent.
      const other = await sign(`${BASE}/prod/p`, { query, method: "POST", body: "evil", headers: { "x-amz-content-sha256": await hex(body) } });
      expect(await verify(other)).toEqual(failed("The provided 'x-amz-content-sha256' header does not match what was computed."));
      const unsigned = await sign(`${BASE}/prod/p`, { query, method: "POST", body, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
      expect(await verify(alter(unsigned, { body: "anything" }))).toMatchObject({ ok: true });
    }
    const plain = await sign(`${BASE}/prod/p`, { method: "POST", body });
    expect(await verify(alter(plain, { body: "other", headers: (h) => h.set("x-amz-content-sha256", "UNSIGNED-PAYLOAD") }))).toEqual(
      failed("An 'x-amz-content-sha256' of 'UNSIGNED-PAYLOAD' must be a signed header."),
    );
    expect(await verify(alter(plain, { headers: (h) => h.set("x-amz-content-sha256", "0".repeat(64)) }))).toEqual(failed("The provided 'x-amz-content-sha256' header does not match what was computed."));
  });

  it("presigned: X-Amz-Expires bounds the URL's life, tampering with it fails, and its range is enforced", async () => {
    const req = await sign(`${BASE}/prod/pets?X-Amz-Expires=900`, { query: true });
    expect(await verify(req, { now: T0 + 15 * MIN })).toMatchObject({ ok: true });
    expect(await verify(req, { now: T0 + 15 * MIN + 1000 })).toEqual(failed("Request has expired"));
    expect(await verify(alter(req, { url: req.url.replace("X-Amz-Expires=900", "X-Amz-Expires=3600") }), { now: T0 + 30 * MIN })).toEqual(failed(MISMATCH));
    for (const expires of ["0", "604801", "abc", ""]) {
      const bad = await sign(`${BASE}/prod/pets?X-Amz-Expires=${expires}`, { query: true });
      expect(await verify(bad)).toEqual(failed("X-Amz-Expires must be a whole number of seconds from 1 to 604800 (one week)."));
    }
    expect(await verify(await sign(`${BASE}/prod/pets?X-Amz-Expires=604800`, { query: true }), { now: T0 + 604_800_000 })).toMatchObject({ ok: true });
  });

  it("presigned: missing, repeated or unsupported query parameters", async () => {
    const req = await sign(`${BASE}/prod/pets`, { query: true });
    const without = new URL(req.url);
    without.searchParams.delete("X-Amz-Credential");
    without.searchParams.delete("X-Amz-Date");
    expect(await verify(new Request(without.toString()))).toEqual(failed("AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."));
    expect(await verify(alter(req, { url: req.url + "&X-Amz-Signature=" + "0".repeat(64) }))).toEqual(failed("AWS query-string parameter 'X-Amz-Signature' must appear only once."));
    expect(await verify(alter(req, { url: req.url.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1") }))).toEqual(failed("X-Amz-Algorithm only supports 'AWS4-HMAC-SHA256'."));
    const both = await sign(req.url);
    expect(await verify(both)).toEqual(failed("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified."));
  });

  describe("malformed Authorization headers (never echoing a token or signature)", () => {
    const signing = sign(`${BASE}/prod/pets`);
    // aws4fetch's deterministic signature for the request above, at DATETIME (checked in the first case).
    const signature = "849d88d30bc828dc5b041b20210b9c686da0c826db57a3bf8bc6428b142c0901";
    const credential = `${KEY}/20260420/${REGION}/execute-api/aws4_request`;
    const auth = `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=host;x-amz-date, Signature=${signature}`;
    const described = `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=host;x-amz-date`;
    const shown = `Authorization=${described}`;
    const cases: [string, string, string][] = [
      ["without Signature", `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=host;x-amz-date`, `Authorization header requires 'Signature' parameter. ${shown}`],
      ["without Credential", `AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=${signature}`, "Authorization header requires 'Credential' parameter. Authorization=AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, ***"],
      ["without SignedHeaders", `AWS4-HMAC-SHA256 Credential=${credential}, Signature=${signature}`, `Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=${credential}, ***`],
      ["a Bearer token", "Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.sig", `${REQUIRES} Authorization=Bearer ***`],
      ["a bare token", "c2VjcmV0LXRva2Vu", `${REQUIRES} Authorization=***`],
      ["a stray value", `${auth}, c2VjcmV0`, `'***' not a valid key=value pair (missing equal-sign) in Authorization header: '${described}, ***, ***'.`],
      ["a repeated parameter", `${auth}, Signature=${signature}`, `Authorization header has more than one 'Signature' parameter. ${shown}, ***, ***`],
      ["an unknown parameter", `${auth}, Token=c2VjcmV0`, `Authorization header accepts only 'Credential', 'SignedHeaders' and 'Signature' parameters. ${shown}, ***, ***`],
      ["a 3-part credential", auth.replace(credential, `${KEY}/20260420/${REGION}`), `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${KEY}/20260420/${REGION}'`],
      ["a wrong terminator", auth.replace("aws4_request", "aws5_request"), "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'."],
      ["a scope date other than X-Amz-Date's", auth.replace("/20260420/", "/20260421/"), "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260421' != '20260420', from '20260420T120000Z'."],
      ["upper-case SignedHeaders", auth.replace("host;x-amz-date", "Host;X-Amz-Date"), "SignedHeaders must list lower-case header names separated by ';'."],
      ["a signature of another shape", auth.replace(signature, signature.toUpperCase()), MISMATCH],
    ];
    it("starts from a request that verifies", async () => {
      const signed = await signing;
      expect(signed.headers.get("authorization")).toBe(auth);
      expect(await verify(signed)).toMatchObject({ ok: true });
    });
    for (const [name, value, message] of cases) {
      it(name, async () => {
        const result = await verify(setAuth(await signing, value));
        expect(result).toEqual(failed(message));
        if (!result.ok) expect(result.message).not.toMatch(/c2VjcmV0|[0-9a-f]{64}/);
      });
    }

    it("a duplicated Authorization header", async () => {
      const twice = alter(await signing, { headers: (h) => h.append("authorization", auth) });
      expect(await verify(twice)).toEqual(failed(`Only one Authorization header is allowed. ${shown}, ***, ***, SignedHeaders=host;x-amz-date, ***`));
    });
    it("a missing, malformed or impossible X-Amz-Date", async () => {
      const signed = await signing;
      expect(await verify(alter(signed, { headers: (h) => h.delete("x-amz-date") }))).toEqual(failed(`Authorization header requires existence of a 'X-Amz-Date' header. ${shown}, ***`));
      for (const date of ["2026-04-20T12:00:00Z", "20260431T120000Z", "20260420T120000"]) {
        expect(await verify(alter(signed, { headers: (h) => h.set("x-amz-date", date) }))).toEqual(failed(`Date must be in ISO-8601 'basic format'. Got '${date}'. See http://en.wikipedia.org/wiki/ISO_8601`));
      }
    });
  });
});

describe("sigv4Authorizer", () => {
  const spec = { type: "sigv4" as const, service: "execute-api", region: REGION, credentials: { [KEY]: "SIGV4_SECRET", AKIANOSECRETSET00001: "UNSET_SECRET" }, forwardUnsignedHeaders: false };
  const env = { SIGV4_SECRET: SECRET } as unknown as Env;
  const authorize = (req: Request) => sigv4Authorizer(spec).authorize(new RequestContext(req, env, {} as ExecutionContext, new AppState()), { scopes: [] });
  const now = { datetime: new Date().toISOString().replace(/[:-]|\.\d{3}/g, "") };
  const rejection = async (req: Request) => {
    const error = await authorize(req).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  };

  it("returns the access key's identity, and leaves the body to be forwarded", async () => {
    const req = await sign(`${BASE}/prod/pets`, { ...now, method: "POST", body: "hello" });
    const ctx = new RequestContext(req, env, {} as ExecutionContext, new AppState());
    expect(await sigv4Authorizer(spec).authorize(ctx, { scopes: [] })).toEqual({
      type: "sigv4", principalId: KEY, claims: null, scopes: [], context: { accessKey: KEY }, usageIdentifierKey: null,
    });
    expect(new TextDecoder().decode((await ctx.bodyForForwarding()) as Uint8Array)).toBe("hello");
  });

  it("throws Amazon's 403s as GatewayErrors", async () => {
    expect((await rejection(new Request(`${BASE}/prod/pets`))).type).toBe("MISSING_AUTHENTICATION_TOKEN");
    const wrong = await rejection(await sign(`${BASE}/prod/pets`, { ...now, secret: "wrong" }));
    expect([wrong.type, wrong.options.message]).toEqual(["INVALID_SIGNATURE", MISMATCH]);
    const stale = await rejection(await sign(`${BASE}/prod/pets`, { datetime: "20200101T000000Z" }));
    expect(stale.options.message).toMatch(/^Signature expired: 20200101T000000Z is now earlier than /);
    // "constructor" is on every object's prototype, never a configured key.
    const proto = await rejection(await sign(`${BASE}/prod/pets`, { ...now, key: "constructor" }));
    expect([proto.type, proto.options.message]).toEqual(["INVALID_SIGNATURE", "The security token included in the request is invalid."]);
  });

  it("a configured key whose secret is unset is a 500 with the detail kept for logs", async () => {
    const error = await rejection(await sign(`${BASE}/prod/pets`, { ...now, key: "AKIANOSECRETSET00001", secret: "anything" }));
    expect(error.type).toBe("AUTHORIZER_CONFIGURATION_ERROR");
    expect(error.options.message).toBeUndefined();
    expect(error.options.detail).toContain("UNSET_SECRET");
  });
});
