/**
 * The definition schema's identity sections: resource policies and the four authorizer kinds (compile-identity.ts compiles them).
 */
import type { SchemaNode } from "./common.ts";

/** `#/$defs/resourcePolicy`: who may call, by IP, country and ASN (`resourcePolicy`, API-wide and per route). */
export const resourcePolicySchema: SchemaNode = {
  type: "object",
  description:
    "Who may call, by client IP (CF-Connecting-IP; v4, v6 and IPv4-mapped v6 CIDRs), country and ASN (from request.cf). " +
    "An explicit deny wins; with an allow list, only matching callers pass. API-wide and per route (both apply).",
  additionalProperties: false,
  properties: {
    allow: { $ref: "#/$defs/policyMatch" },
    deny: { $ref: "#/$defs/policyMatch" },
  },
};

/** `#/$defs/policyMatch`: one side (allow or deny) of a resource policy. */
export const policyMatchSchema: SchemaNode = {
  type: "object",
  description: "Callers matching any of these lists.",
  additionalProperties: false,
  properties: {
    ips: { type: "array", items: { type: "string", minLength: 2 }, description: "Addresses or CIDR ranges: `203.0.113.0/24`, `2001:db8::/32`." },
    countries: { type: "array", items: { type: "string", pattern: "^[A-Z]{2}$" }, description: "ISO 3166-1 alpha-2 codes (request.cf.country)." },
    asns: { type: "array", items: { type: "integer", minimum: 0 }, description: "Autonomous system numbers (request.cf.asn)." },
  },
};

/** `#/$defs/authorizer`: an authorizer (`authorizers`): one of the four kinds. */
export const authorizerSchema: SchemaNode = {
  description: "An authorizer.",
  oneOf: [
    { $ref: "#/$defs/jwtAuthorizer" },
    { $ref: "#/$defs/customAuthorizer" },
    { $ref: "#/$defs/sigv4Authorizer" },
    { $ref: "#/$defs/mtlsAuthorizer" },
  ],
};

/** `#/$defs/jwtAuthorizer`: Amazon's JWT authorizer. */
export const jwtAuthorizerSchema: SchemaNode = {
  type: "object",
  description:
    "Verifies a JWT (Amazon's JWT authorizer): signature, issuer, audience, time claims, then route scopes. Keys from exactly one of " +
    "jwksUrl, jwks or secret. `audience` is required unless `allowAnyAudience: true` waives it.",
  required: ["type", "issuer"],
  additionalProperties: false,
  properties: {
    type: { const: "jwt", description: "The authorizer type." },
    issuer: { type: "string", minLength: 1, description: "Required `iss` value." },
    audience: {
      type: ["string", "array"],
      items: { type: "string" },
      description: "Accepted `aud` value(s); the token must name at least one (or, with no `aud`, its `client_id`). Required unless allowAnyAudience.",
    },
    allowAnyAudience: {
      type: "boolean",
      description:
        "The explicit waiver of the audience check: any token the issuer signs passes, whatever application it was issued for. " +
        "Only without `audience`; meant for issuers that serve this API alone.",
    },
    maxTokenLifetimeSeconds: {
      type: "integer",
      minimum: 60,
      maximum: 31536000,
      description: "Longest time from now to a token's `exp` (plus clock skew); a token that expires further ahead is refused (401). Default 86400.",
    },
    jwksUrl: {
      type: "string",
      pattern: "^https?://",
      description:
        "JWKS endpoint (https; http only with PORTICO_LOCAL_DEV), cached per its Cache-Control within the bounds below; the body is read up to 512 KiB.",
    },
    jwks: {
      type: "object",
      required: ["keys"],
      description: "Inline JWKS (public keys only).",
      properties: { keys: { type: "array", minItems: 1, items: { type: "object" }, description: "JSON Web Keys." } },
    },
    secret: {
      type: "string",
      pattern: "^[A-Z_][A-Z0-9_]*$",
      description: "Name of a Worker secret holding an HMAC key (HS256/384/512). The secret's value never enters the bundle.",
    },
    algorithms: {
      type: "array",
      items: { enum: ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "HS256", "HS384", "HS512"] },
      description: "Narrow the algorithms the keys allow (never `none`; never HMAC with a public key).",
    },
    identitySource: {
      type: "string",
      pattern: "^\\$request\\.(header|querystring|cookie)\\.[A-Za-z0-9._~!#$%&'*+^`|-]+$",
      description: "Where the token is: default `$request.header.Authorization` (Bearer).",
    },
    clockSkewSeconds: { type: "integer", minimum: 0, maximum: 300, description: "Leeway for exp and nbf. Default 30." },
    requiredClaims: { type: "array", items: { type: "string" }, description: "Claims that must be present." },
    claimsToHeaders: {
      type: "object",
      description: "Backend request headers set from claims: header name → claim name (e.g. `x-user-id: sub`).",
      additionalProperties: { type: "string", description: "A claim name." },
    },
    jwksMinCacheSeconds: { type: "integer", minimum: 0, maximum: 86400, description: "Shortest time a JWKS is kept, whatever its Cache-Control says. Default 60." },
    jwksMaxCacheSeconds: {
      type: "integer",
      minimum: 60,
      maximum: 604800,
      description:
        "Longest time a fetched JWKS is trusted. Past it, while the endpoint cannot be reached, its keys stop verifying (401, counted as failClosed). Default 86400.",
    },
    jwksRefetchSeconds: { type: "integer", minimum: 1, maximum: 3600, description: "An unknown `kid` refetches the JWKS at most this often. Default 30." },
    jwksTimeoutMs: { type: "integer", minimum: 100, maximum: 30000, description: "Longest wait for the JWKS endpoint. Default 3000." },
  },
};

/** `#/$defs/customAuthorizer`: Amazon's Lambda (custom) authorizer. */
export const customAuthorizerSchema: SchemaNode = {
  type: "object",
  description:
    "Amazon's Lambda authorizer: another Worker (service binding) or an HTTPS endpoint decides, replying with a policy " +
    "(principalId, policyDocument, context, usageIdentifierKey) or a simple `{isAuthorized, context}`. Results are cached by identity-source values " +
    "(and, for simple replies, the route).",
  required: ["type"],
  additionalProperties: false,
  properties: {
    type: { const: "custom", description: "The authorizer type." },
    mode: { enum: ["token", "request"], description: "`token`: one header is sent (Amazon TOKEN); `request`: the request's identity sources (REQUEST). Default token." },
    identitySource: {
      anyOf: [
        { type: "string", pattern: "^\\$(request\\.(header|querystring)\\.|stageVariables\\.|context\\.)[A-Za-z0-9._~!#$%&'*+^`|-]+$" },
        { type: "array", items: { type: "string", pattern: "^\\$(request\\.(header|querystring)\\.|stageVariables\\.|context\\.)[A-Za-z0-9._~!#$%&'*+^`|-]+$" } },
      ],
      description: "Identity sources: `$request.header.X`, `$request.querystring.X`, `$stageVariables.X`, `$context.X`. Missing → 401 without calling the authorizer. Default `$request.header.Authorization`.",
    },
    validationExpression: {
      type: "string",
      maxLength: 1024,
      description:
        "token mode: a regular expression the whole token must match, else 401 without calling. Runs on RE2 (linear time) with JavaScript's " +
        "meaning; lookaround and backreferences are refused. Tokens over 16 KiB do not match.",
    },
    service: { type: "string", pattern: "^[A-Z_][A-Z0-9_]*$", description: "A service binding to the Worker that decides." },
    url: {
      type: "string",
      pattern: "^https?://",
      description: "Or an endpoint that decides (the event is POSTed as JSON; https, http only with PORTICO_LOCAL_DEV; the reply is read up to 1 MiB).",
    },
    responseFormat: { enum: ["policy", "simple"], description: "`policy` (IAM policy document, default) or `simple` (`{isAuthorized, context}`)." },
    resultTtlSeconds: { type: "integer", minimum: 0, maximum: 3600, description: "How long a decision is cached by identity-source values; 0 disables. Default 300." },
    resultCacheScope: {
      enum: ["route", "shared"],
      description:
        "simple format: `route` (default) caches a decision per route, so a yes for one route is never reused for another; " +
        "`shared` is Amazon's behaviour — one cached decision for every route using this authorizer (`portico validate` warns). " +
        "Policy replies are cached across routes either way and checked against each request's ARN.",
    },
    contextToHeaders: {
      type: "object",
      description:
        "Backend request headers set from the decision's context: header name → context key (`principalId` for the principal). " +
        "They overwrite what the client sent under those names; a missing key removes the header.",
      additionalProperties: { type: "string", description: "A context key." },
    },
    timeoutMs: { type: "integer", minimum: 100, maximum: 30000, description: "Longest wait for the decision; then 500, never allow. Default 10000." },
  },
};

/** `#/$defs/sigv4Authorizer`: Amazon's AWS_IAM (SigV4) authorizer. */
export const sigv4AuthorizerSchema: SchemaNode = {
  type: "object",
  description: "Amazon's AWS_IAM: verifies AWS Signature Version 4 (header or presigned query), within 5 minutes of the signer's clock.",
  required: ["type", "credentials"],
  additionalProperties: false,
  properties: {
    type: { const: "sigv4", description: "The authorizer type." },
    service: { type: "string", pattern: "^[a-z0-9-]+$", description: "Service in the credential scope. Default `execute-api`." },
    region: { type: "string", pattern: "^[a-z0-9-]+$", description: "Region in the credential scope. Default `us-east-1`." },
    credentials: {
      type: "object",
      minProperties: 1,
      description: "Access key id → name of the Worker secret holding its secret access key.",
      propertyNames: { pattern: "^[A-Z0-9]{16,128}$" },
      additionalProperties: { type: "string", pattern: "^[A-Z_][A-Z0-9_]*$", description: "A Worker secret's name." },
    },
    forwardUnsignedHeaders: {
      type: "boolean",
      description:
        "Send the backend the request headers the signature does not cover (SignedHeaders). Default false: they are dropped, so a " +
        "header added in transit cannot pass as part of a signed request.",
    },
  },
};

/** `#/$defs/mtlsAuthorizer`: client certificates (mTLS). */
export const mtlsAuthorizerSchema: SchemaNode = {
  type: "object",
  description: "Requires a client certificate verified by Cloudflare (request.cf.tlsClientAuth), optionally from given issuers, subjects or fingerprints.",
  required: ["type"],
  additionalProperties: false,
  properties: {
    type: { const: "mtls", description: "The authorizer type." },
    issuers: { type: "array", items: { type: "string" }, description: "Accepted issuer DNs (exact)." },
    subjects: {
      type: "array",
      items: { type: "string" },
      description: "Accepted subject DNs: exact, or a regular expression between slashes (`/^CN=partner-.*$/`, run on RE2).",
    },
    fingerprints: { type: "array", items: { type: "string", pattern: "^[0-9a-fA-F]{64}$" }, description: "Accepted SHA-256 certificate fingerprints." },
  },
};
