/**
 * The compiler's identity checks (src/config/compile-identity.ts): a definition whose authorizers, route
 * references or policies could only fail at request time — or fail open — is refused when it is compiled,
 * with the field path of each problem.
 */
import { describe, expect, it } from "vitest";
import { compileDefinition } from "../../../src/config/compile.ts";
import { DefinitionError, type FieldError } from "../../../src/config/field-errors.ts";
import type { ApiDefinition } from "../../../src/config/types.ts";

const RSA_PUBLIC = { kty: "RSA", n: "0vx7agoebGcQSuu", e: "AQAB" };

function def(extra: Record<string, unknown>, route: Record<string, unknown> = {}): ApiDefinition {
  return {
    name: "identity-compile",
    stages: { prod: {} },
    routes: { "GET /pets": { integration: { type: "mock" }, ...route } },
    ...extra,
  } as ApiDefinition;
}

const jwt = (over: Record<string, unknown>) => def({ authorizers: { users: { type: "jwt", issuer: "https://issuer.test/", ...over } } });

async function errorsOf(definition: ApiDefinition): Promise<FieldError[]> {
  try {
    await compileDefinition(definition);
  } catch (err) {
    if (err instanceof DefinitionError) return err.errors;
    throw err;
  }
  return [];
}

describe("identity definitions refused at compile time", () => {
  it.each<[string, ApiDefinition, (string | number)[], string]>([
    ["a JWT authorizer without a key source", jwt({}), ["authorizers", "users"], "needs exactly one key source"],
    ["a JWT authorizer with two key sources", jwt({ jwksUrl: "https://issuer.test/jwks", secret: "JWT_SECRET" }), ["authorizers", "users"], "(has jwksUrl, secret)"],
    ["a private key in an inline JWKS", jwt({ jwks: { keys: [{ ...RSA_PUBLIC, d: "secret" }] } }), ["authorizers", "users", "jwks", "keys", 0], "must be a public key"],
    ["a symmetric key in an inline JWKS", jwt({ jwks: { keys: [RSA_PUBLIC, { kty: "oct", k: "c2VjcmV0" }] } }), ["authorizers", "users", "jwks", "keys", 1], "must be a public key"],
    ["HMAC algorithms with public keys", jwt({ jwks: { keys: [RSA_PUBLIC] }, algorithms: ["RS256", "HS256"] }), ["authorizers", "users", "algorithms"], "never HMAC with a public key"],
    ["asymmetric algorithms with an HMAC secret", jwt({ secret: "JWT_SECRET", algorithms: ["HS256", "RS256"] }), ["authorizers", "users", "algorithms"], "only HS256, HS384 or HS512"],
    ["a minimum JWKS cache above the maximum", jwt({ jwksUrl: "https://issuer.test/jwks", jwksMinCacheSeconds: 7200, jwksMaxCacheSeconds: 3600 }), ["authorizers", "users", "jwksMinCacheSeconds"], "must not exceed"],
    ["claimsToHeaders naming an invalid header", jwt({ jwks: { keys: [RSA_PUBLIC] }, claimsToHeaders: { "x-user": "sub", "x user": "sub" } }), ["authorizers", "users", "claimsToHeaders", "x user"], "not a valid HTTP header name"],
    ["claimsToHeaders naming a header with a newline", jwt({ jwks: { keys: [RSA_PUBLIC] }, claimsToHeaders: { "x-a\r\nx-b": "sub" } }), ["authorizers", "users", "claimsToHeaders", "x-a\r\nx-b"], "not a valid HTTP header name"],
    ["a route naming an unknown authorizer", def({}, { authorizer: "nobody" }), ["routes", "GET /pets", "authorizer"], 'unknown authorizer "nobody"'],
    ["scopes on a non-JWT authorizer", def({ authorizers: { certs: { type: "mtls" } } }, { authorizer: { name: "certs", scopes: ["a"] } }), ["routes", "GET /pets", "authorizer", "scopes"], "scopes apply to jwt authorizers"],
    ["an invalid mTLS subject regex", def({ authorizers: { certs: { type: "mtls", subjects: ["/(unclosed/"] } } }), ["authorizers", "certs", "subjects", 0], "not a valid regular expression"],
    ["apiKeySource AUTHORIZER without a custom authorizer", def({ settings: { apiKeySource: "AUTHORIZER" } }), ["settings", "apiKeySource"], "needs a custom authorizer"],
    ["an API resource policy with neither allow nor deny", def({ resourcePolicy: {} }), ["resourcePolicy"], "needs allow, deny or both"],
    ["a route policy with an invalid range", def({}, { resourcePolicy: { allow: { ips: ["10.0.0.0/8", "10.0.0.0/33"] } } }), ["routes", "GET /pets", "resourcePolicy", "allow", "ips", 1], "is not an IP address or CIDR range"],
  ])("%s", async (_name, definition, path, message) => {
    const errors = await errorsOf(definition);
    expect(errors).toContainEqual({ path, message: expect.stringContaining(message) });
  });

  it("compiles a valid identity section with every default filled in", async () => {
    const { bundle } = await compileDefinition(
      def(
        {
          authorizers: { users: { type: "jwt", issuer: "https://issuer.test/", audience: "petstore", jwks: { keys: [RSA_PUBLIC] }, claimsToHeaders: { "x-user-id": "sub" } } },
          resourcePolicy: { deny: { ips: ["::ffff:198.51.100.0/120"] } },
        },
        { authorizer: "users" },
      ),
    );
    expect(bundle.authorizers.users).toMatchObject({
      type: "jwt",
      audience: ["petstore"],
      identitySource: "$request.header.Authorization",
      clockSkewSeconds: 30,
      jwksRefetchSeconds: 30,
      jwksTimeoutMs: 3000,
      claimsToHeaders: { "x-user-id": "sub" },
    });
    expect(bundle.resourcePolicy).toEqual({ allow: null, deny: { ips: ["::ffff:198.51.100.0/120"], countries: [], asns: [] } });
  });
});
