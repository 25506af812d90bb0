/**
 * The JWT authorizer (jose): the token from the identity source (bare or `Bearer`), at most 16 KB; a key chosen
 * by `kid` from configuration only (see jwks.ts); the algorithm checked against that key's allowlist; then the
 * signature, `iss`, `aud` (or `client_id` when there is no `aud`, as Amazon), `exp` (required), `nbf` and `iat`
 * (with skew; malformed time claims refused by jose) and required claims.
 * Verified tokens are memoised per isolate until they expire, keyed by the token itself: the engine hashes the
 * string, and an exact match means no collision can ever stand in for a verified token (a digest per request
 * cost more than the rest of the check). Bounded: 2,000 tokens of at most 4,096 characters (≈ 8 MB at worst);
 * longer ones are verified every time. Scopes are checked per route, after the memo, so one token can pass one
 * route and not another.
 */
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from "jose";
import type { Bundle, BundleJwtAuthorizer } from "../../config/bundle.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import { readIdentitySource, type Authorizer, type Identity } from "../types.ts";
import { keyFromJwk, keyFromSecret, materialFor, remoteKey, type VerificationKey } from "./jwks.ts";

export const MAX_TOKEN_BYTES = 16 * 1024;
const MAX_MEMO = 2_000;
const MAX_MEMO_TOKEN_CHARS = 4096;
/** A token without `exp` is trusted from memory for at most this long. */
const MEMO_WITHOUT_EXP_MS = 5 * 60_000;
const KID = /^[\x21-\x7e]{1,256}$/;

function unauthorized(description: string, message = "Unauthorized"): GatewayError {
  return new GatewayError("UNAUTHORIZED", {
    message,
    // Amazon's HTTP API wording (documented in its JWT troubleshooting guide), so clients parse it the same way.
    headers: { "www-authenticate": `Bearer scope="" error="invalid_token" error_description="${description}"` },
    detail: `jwt: ${description}`,
  });
}

/** `scope` (space-separated string) or `scp` (list, or string) — both are in use. */
export function tokenScopes(claims: JWTPayload): string[] {
  const out: string[] = [];
  for (const value of [claims.scope, claims.scp]) {
    if (typeof value === "string") out.push(...value.split(" ").filter(Boolean));
    else if (Array.isArray(value)) out.push(...value.filter((v): v is string => typeof v === "string"));
  }
  return out;
}

/** Amazon: `aud` must name a configured audience; only when there is no `aud`, `client_id` must (Cognito access tokens). */
export function audienceAccepted(claims: JWTPayload, audience: string[]): boolean {
  if (!audience.length) return true;
  const named = claims.aud !== undefined ? [claims.aud].flat() : [claims.client_id];
  return named.some((a) => typeof a === "string" && audience.includes(a));
}

export function jwtAuthorizer(spec: BundleJwtAuthorizer, bundle: Bundle): Authorizer {
  const inline = spec.jwks ? spec.jwks.keys.flatMap((k) => keyFromJwk(k, spec.algorithms) ?? []) : null;
  const memo = new Map<string, { identity: Identity; until: number }>();
  let secretKey: { value: string; key: VerificationKey } | undefined;
  const expiredMessage = bundle.api.flavor === "rest" ? "The incoming token has expired" : "Unauthorized";

  async function keyFor(env: Record<string, unknown>, kid: string | undefined, alg: string): Promise<VerificationKey | undefined> {
    if (spec.secret) {
      const value = env[spec.secret];
      if (typeof value !== "string" || !value)
        throw new GatewayError("AUTHORIZER_CONFIGURATION_ERROR", { message: null, detail: `jwt: Worker secret ${spec.secret} is not set` });
      if (secretKey?.value !== value) secretKey = { value, key: keyFromSecret(value, spec.algorithms) };
      return secretKey.key;
    }
    if (inline) {
      const usable = inline.filter((k) => k.algorithms.includes(alg));
      return kid !== undefined ? usable.find((k) => k.kid === kid) : usable.length === 1 ? usable[0] : undefined;
    }
    return remoteKey(spec, kid, alg);
  }

  async function verify(token: string, env: Record<string, unknown>): Promise<Identity> {
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw unauthorized("malformed token");
    }
    const alg = header.alg;
    if (typeof alg !== "string" || alg === "none") throw unauthorized("unsupported algorithm");
    const kid = header.kid;
    if (kid !== undefined && (typeof kid !== "string" || !KID.test(kid))) throw unauthorized("malformed kid");
    const key = await keyFor(env, kid, alg);
    if (!key || !key.algorithms.includes(alg)) throw unauthorized("no key for this token");

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await materialFor(key, alg), {
        issuer: spec.issuer,
        algorithms: [alg],
        clockTolerance: spec.clockSkewSeconds,
        // Amazon requires exp ("must be after the current time"): a token without one would never expire.
        requiredClaims: ["exp", ...spec.requiredClaims],
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw unauthorized("the token has expired", expiredMessage);
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw unauthorized("signature verification failed");
      throw unauthorized(err instanceof joseErrors.JOSEError ? err.code : "invalid token");
    }
    if (!audienceAccepted(payload, spec.audience)) throw unauthorized("audience not accepted");
    // Amazon: iat must be before the current time (jose checks it only with maxTokenAge).
    if (typeof payload.iat === "number" && payload.iat > Date.now() / 1000 + spec.clockSkewSeconds) throw unauthorized("iat in the future");
    return {
      type: "jwt",
      principalId: typeof payload.sub === "string" ? payload.sub : "",
      claims: payload as Record<string, unknown>,
      scopes: tokenScopes(payload),
      context: {},
      usageIdentifierKey: null,
    };
  }

  return {
    type: "jwt",
    async authorize(ctx, requirement) {
      const raw = readIdentitySource(ctx, spec.identitySource);
      if (!raw) throw unauthorized("no token", "Unauthorized");
      const token = raw.replace(/^Bearer\s+/i, "").trim();
      if (token.length > MAX_TOKEN_BYTES) throw unauthorized("token too large");

      const now = Date.now();
      let identity = memo.get(token);
      if (!identity || identity.until <= now) {
        const verified = await verify(token, ctx.env);
        const exp = typeof verified.claims?.exp === "number" ? verified.claims.exp * 1000 : now + MEMO_WITHOUT_EXP_MS;
        identity = { identity: verified, until: Math.min(exp, now + MEMO_WITHOUT_EXP_MS * 12) };
        if (token.length <= MAX_MEMO_TOKEN_CHARS) {
          if (memo.size >= MAX_MEMO) memo.delete(memo.keys().next().value!);
          memo.set(token, identity);
        }
      }
      if (requirement.scopes.length && !requirement.scopes.some((s) => identity.identity.scopes.includes(s)))
        throw new GatewayError("ACCESS_DENIED", {
          message: "Forbidden",
          headers: { "www-authenticate": `Bearer scope="${requirement.scopes.join(" ")}" error="insufficient_scope" error_description="the token does not have the required scope"` },
          detail: "jwt: token lacks the route's scopes",
        });
      return identity.identity;
    },
  };
}
