/**
 * The JWT authorizer through the whole pipeline (gatewayFor, inside workerd), with keys from configuration
 * (inline JWKS) or a Worker secret (HMAC). Tokens are signed in-test. Every refusal is also proven not to have
 * reached the backend. Remote JWKS (caching, refetch, outages, memo) are in jwks-remote.test.ts.
 */
import { exportSPKI } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import type { ApiDefinition, JwtAuthorizerDefinition } from "../../../src/config/types.ts";
import { gatewayFor, type TestGateway } from "../support/gateway.ts";
import { b64url, bearer, claims, now, sign, signingKey, unsigned, AUDIENCE, ISSUER, type SigningKey } from "./jwt-tokens.ts";
import { echoTo, expectRefused, expectServed, uid, UNAUTHORIZED } from "./support.ts";

function api(path: string, authorizer: Partial<JwtAuthorizerDefinition>, extra: Partial<ApiDefinition> = {}): ApiDefinition {
  return {
    name: `jwt-${uid()}`,
    stages: { prod: {} },
    authorizers: { users: { type: "jwt", issuer: ISSUER, audience: AUDIENCE, ...authorizer } as JwtAuthorizerDefinition },
    routes: {
      "GET /pets": { authorizer: "users", integration: echoTo(path) },
      "POST /pets": { authorizer: { name: "users", scopes: ["pets:write"] }, integration: echoTo(path) },
    },
    ...extra,
  };
}

let es: SigningKey;
let rsa: SigningKey;
let stranger: SigningKey;
let gw: TestGateway;
const path = `jwt-${uid()}`;
const backend = `/echo/${path}`;

beforeAll(async () => {
  [es, rsa, stranger] = await Promise.all([signingKey("ES256", "es-1"), signingKey("RS256", "rsa-1"), signingKey("ES256", "es-1")]);
  gw = await gatewayFor(
    api(path, {
      jwks: { keys: [es.jwk, rsa.jwk] },
      requiredClaims: ["email"],
      claimsToHeaders: { "x-user-id": "sub", "x-tenant": "tenant", "x-groups": "groups" },
    }),
  );
});

/** Valid claims for the main gateway (it requires `email`). */
const good = (over: Record<string, unknown> = {}) => claims({ email: "alice@example.com", ...over });

describe("a valid token", () => {
  it("reaches the backend with its claims as headers, overwriting or removing what the client sent", async () => {
    const token = await sign(es, good({ groups: ["admins", "staff"] }));
    const seen = await expectServed(
      () => gw.fetch("/prod/pets", { headers: { authorization: `Bearer ${token}`, "x-user-id": "mallory", "x-tenant": "evil-corp" } }),
      backend,
    );
    expect(seen.headers["x-user-id"]).toBe("alice");
    expect(seen.headers["x-groups"]).toBe('["admins","staff"]');
    // The token has no tenant claim: the client's header must not pass for one.
    expect(seen.headers["x-tenant"]).toBeUndefined();
  });

  it("is accepted bare (no Bearer) and from an RSA key of the same JWKS", async () => {
    const token = await sign(rsa, good());
    await expectServed(() => gw.fetch("/prod/pets", { headers: { authorization: token } }), backend);
  });

  it("passes within the clock skew (exp 10 s ago, nbf and iat 10 s ahead, skew 30 s)", async () => {
    await expectServed(async () => gw.fetch("/prod/pets", bearer(await sign(es, good({ exp: now() - 10 })))), backend);
    await expectServed(async () => gw.fetch("/prod/pets", bearer(await sign(es, good({ nbf: now() + 10 })))), backend);
    await expectServed(async () => gw.fetch("/prod/pets", bearer(await sign(es, good({ iat: now() + 10 })))), backend);
  });

  it("takes client_id for the audience when the token has no aud (Amazon; Cognito access tokens)", async () => {
    await expectServed(async () => gw.fetch("/prod/pets", bearer(await sign(es, good({ aud: undefined, client_id: AUDIENCE })))), backend);
    await expectServed(async () => gw.fetch("/prod/pets", bearer(await sign(es, good({ aud: ["other", AUDIENCE], client_id: "x" })))), backend);
  });
});

describe("refused tokens: 401 Unauthorized, the backend never called", () => {
  const payload = () => good();
  const cases: [string, () => Promise<RequestInit>][] = [
    ["no Authorization header", async () => ({})],
    ["an empty Bearer", async () => ({ headers: { authorization: "Bearer " } })],
    ["alg none (unsigned)", async () => bearer(unsigned(payload(), { alg: "none", kid: "es-1", typ: "JWT" }))],
    ["alg None, mixed case", async () => bearer(unsigned(payload(), { alg: "None", kid: "es-1" }))],
    ["alg none without kid", async () => bearer(unsigned(payload(), { alg: "none" }))],
    ["HS256 keyed with the RSA public key's PEM", async () => bearer(await sign({ alg: "HS256", kid: "rsa-1", secret: new TextEncoder().encode(await exportSPKI(rsa.publicKey)) }, payload()))],
    ["HS256 keyed with the RSA public JWK's JSON", async () => bearer(await sign({ alg: "HS256", kid: "rsa-1", secret: new TextEncoder().encode(JSON.stringify(rsa.jwk)) }, payload()))],
    ["HS256 keyed with the RSA modulus, no kid", async () => bearer(await sign({ alg: "HS256", secret: new TextEncoder().encode(rsa.jwk.n!) }, payload()))],
    ["an ES256 token under the RSA key's kid", async () => bearer(await sign(es, payload(), { kid: "rsa-1" }))],
    ["an ES256 signature relabelled RS256", async () => {
      const [, p, s] = (await sign(es, payload())).split(".");
      return bearer(`${b64url(JSON.stringify({ alg: "RS256", kid: "rsa-1" }))}.${p}.${s}`);
    }],
    ["an unknown kid", async () => bearer(await sign(es, payload(), { kid: "nobody" }))],
    ["a 1000-character kid", async () => bearer(await sign(es, payload(), { kid: "k".repeat(1000) }))],
    ["a path-like kid", async () => bearer(await sign(es, payload(), { kid: "../../etc/passwd" }))],
    ["a kid with a NUL byte", async () => bearer(await sign(es, payload(), { kid: "es-1\u0000" }))],
    ["a numeric kid", async () => bearer(await sign(es, payload(), { kid: 1 }))],
    ["a stranger's key under a configured kid", async () => bearer(await sign(stranger, payload()))],
    ["a tampered payload", async () => {
      const [h, , s] = (await sign(es, payload())).split(".");
      return bearer(`${h}.${b64url(JSON.stringify(good({ sub: "admin" })))}.${s}`);
    }],
    ["not yet valid (nbf 120 s ahead)", async () => bearer(await sign(es, good({ nbf: now() + 120 })))],
    ["a wrong issuer", async () => bearer(await sign(es, good({ iss: "https://evil.test/" })))],
    ["an issuer differing by a trailing slash", async () => bearer(await sign(es, good({ iss: ISSUER.slice(0, -1) })))],
    ["a wrong audience", async () => bearer(await sign(es, good({ aud: "other-api" })))],
    ["no audience", async () => bearer(await sign(es, good({ aud: undefined })))],
    ["a wrong aud with the right client_id (aud is what counts when present)", async () => bearer(await sign(es, good({ aud: "other-api", client_id: AUDIENCE })))],
    ["no aud and a wrong client_id", async () => bearer(await sign(es, good({ aud: undefined, client_id: "other-api" })))],
    ["no aud and a client_id list", async () => bearer(await sign(es, good({ aud: undefined, client_id: [AUDIENCE] })))],
    ["a non-string aud", async () => bearer(await sign(es, good({ aud: 42 })))],
    ["no exp (a token that would never expire)", async () => bearer(await sign(es, good({ exp: undefined })))],
    ["an iat 120 s in the future", async () => bearer(await sign(es, good({ iat: now() + 120 })))],
    ['a non-numeric iat ("now")', async () => bearer(await sign(es, good({ iat: "now" })))],
    ["a missing required claim (email)", async () => bearer(await sign(es, claims()))],
    ['a non-numeric exp ("tomorrow")', async () => bearer(await sign(es, good({ exp: "tomorrow" })))],
    ['a non-numeric nbf ("soon")', async () => bearer(await sign(es, good({ nbf: "soon" })))],
    ["a malformed base64 header", async () => bearer(`eyJ!!!$$$.${b64url("{}")}.c2ln`)],
    ["a malformed base64 payload", async () => {
      const [h, , s] = (await sign(es, payload())).split(".");
      return bearer(`${h}.%%%not-base64%%%.${s}`);
    }],
    ["a payload that is not JSON", async () => bearer(await sign(es, payload()).then((t) => t.split(".")[0] + "." + b64url("not json") + "." + t.split(".")[2]))],
    ["three-part garbage", async () => bearer("aaa.bbb.ccc")],
    ["two parts", async () => bearer(`${b64url('{"alg":"ES256"}')}.${b64url("{}")}`)],
    ["five parts (JWE-shaped)", async () => bearer("a.b.c.d.e")],
    ["a token over 16 KB (validly signed)", async () => bearer(await sign(es, good({ padding: "x".repeat(17 * 1024) })))],
  ];

  it.each(cases)("%s", async (_name, init) => {
    await expectRefused(async () => gw.fetch("/prod/pets", await init()), backend, UNAUTHORIZED);
  });

  it("answers an expired token with Amazon's REST message, and plain Unauthorized on HTTP APIs", async () => {
    const expired = await sign(es, good({ exp: now() - 120 }));
    await expectRefused(() => gw.fetch("/prod/pets", bearer(expired)), backend, {
      status: 401,
      body: '{"message":"The incoming token has expired"}',
      errorType: "UnauthorizedException",
    });
    const httpPath = `jwt-http-${uid()}`;
    const http = await gatewayFor(api(httpPath, { jwks: { keys: [es.jwk] } }, { flavor: "http" }));
    await expectRefused(() => http.fetch("/prod/pets", bearer(expired)), `/echo/${httpPath}`, UNAUTHORIZED);
  });
});

describe("route scopes", () => {
  it("passes a token whose space-separated scope holds the route's scope", async () => {
    const token = await sign(es, good({ scope: "pets:read pets:write" }));
    await expectServed(() => gw.fetch("/prod/pets", { method: "POST", ...bearer(token) }), backend);
  });

  it("passes an scp list holding the scope", async () => {
    await expectServed(async () => gw.fetch("/prod/pets", { method: "POST", ...bearer(await sign(es, good({ scp: ["pets:write"] }))) }), backend);
  });

  it("refuses 403 Forbidden without the scope, while the same token passes a route that needs none", async () => {
    const token = await sign(es, good({ scp: ["pets:read"] }));
    const res = await expectRefused(() => gw.fetch("/prod/pets", { method: "POST", ...bearer(token) }), backend, {
      status: 403,
      body: '{"message":"Forbidden"}',
      errorType: "AccessDeniedException",
    });
    expect(res.headers.get("www-authenticate")).toContain("insufficient_scope");
    // Verified and memoised above; the scope check still runs per route.
    await expectServed(() => gw.fetch("/prod/pets", bearer(token)), backend);
    await expectRefused(() => gw.fetch("/prod/pets", { method: "POST", ...bearer(token) }), backend, { status: 403, body: '{"message":"Forbidden"}' });
  });

  it("does not take a scope from a look-alike (pets:writer, a comma list, another claim)", async () => {
    for (const over of [{ scope: "pets:writer" }, { scope: "pets:read,pets:write" }, { scopes: ["pets:write"] }, { scp: "pets:read" }])
      await expectRefused(async () => gw.fetch("/prod/pets", { method: "POST", ...bearer(await sign(es, good(over))) }), backend, {
        status: 403,
        body: '{"message":"Forbidden"}',
      });
  });
});

describe("identity sources", () => {
  it("reads the token from $request.header.X-Token, not from Authorization", async () => {
    const p = `jwt-src-${uid()}`;
    const g = await gatewayFor(api(p, { jwks: { keys: [es.jwk] }, identitySource: "$request.header.X-Token" }));
    const token = await sign(es, claims());
    await expectServed(() => g.fetch("/prod/pets", { headers: { "x-token": token } }), `/echo/${p}`);
    await expectRefused(() => g.fetch("/prod/pets", bearer(token)), `/echo/${p}`, UNAUTHORIZED);
  });

  it("reads the token from $request.querystring.token", async () => {
    const p = `jwt-q-${uid()}`;
    const g = await gatewayFor(api(p, { jwks: { keys: [es.jwk] }, identitySource: "$request.querystring.token" }));
    const token = await sign(es, claims());
    await expectServed(() => g.fetch(`/prod/pets?token=${token}`), `/echo/${p}`);
    await expectRefused(() => g.fetch("/prod/pets?token="), `/echo/${p}`, UNAUTHORIZED);
    await expectRefused(() => g.fetch("/prod/pets", bearer(token)), `/echo/${p}`, UNAUTHORIZED);
  });
});

describe("HMAC secret from a Worker secret", () => {
  const secret = "a-long-test-secret-of-at-least-32-bytes!";
  const hs = (value: string) => ({ alg: "HS256", secret: new TextEncoder().encode(value) });

  it("accepts a token signed with the secret and refuses others, including asymmetric ones", async () => {
    const p = `jwt-hs-${uid()}`;
    const g = await gatewayFor(api(p, { secret: "JWT_SECRET" }), { JWT_SECRET: secret });
    await expectServed(async () => g.fetch("/prod/pets", bearer(await sign(hs(secret), claims()))), `/echo/${p}`);
    await expectServed(async () => g.fetch("/prod/pets", bearer(await sign({ ...hs(secret), alg: "HS512" }, claims()))), `/echo/${p}`);
    for (const token of [
      await sign(hs("another-secret-of-at-least-32-bytes!!"), claims()),
      await sign(es, claims()),
      await sign(rsa, claims()),
      unsigned(claims(), { alg: "none" }),
      unsigned(claims(), { alg: "HS256" }),
    ])
      await expectRefused(() => g.fetch("/prod/pets", bearer(token)), `/echo/${p}`, UNAUTHORIZED);
  });

  it("answers 500 with a null message when the secret is not set, never letting the request through", async () => {
    const p = `jwt-nosecret-${uid()}`;
    const g = await gatewayFor(api(p, { secret: "JWT_SECRET_MISSING" }));
    await expectRefused(async () => g.fetch("/prod/pets", bearer(await sign(hs(secret), claims()))), `/echo/${p}`, {
      status: 500,
      body: '{"message": null}',
      errorType: "AuthorizerConfigurationException",
    });
  });
});
