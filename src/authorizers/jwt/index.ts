/**
 * The JWT authorizer (jose): the token from the identity source (bare or `Bearer`), at most 16 KB; a key chosen
 * by `kid` from configuration only (see jwks.ts); the algorithm checked against that key's allowlist; then the
 * signature, `iss`, `aud` (or `client_id` when there is no `aud`, as Amazon; any audience only when the authorizer
 * says `allowAnyAudience`), `exp` (required, and at most `maxTokenLifetimeSeconds` away), `nbf` and `iat` (with
 * skew; malformed time claims refused by jose) and required claims.
 * Verified tokens are memoised per isolate until they expire, keyed by the token itself: the engine hashes the
 * string, and an exact match means no collision can ever stand in for a verified token (a digest per request
 * cost more than the rest of the check). Bounded: 2,000 tokens of at most 4,096 characters (≈ 8 MB at worst);
 * longer ones are verified every time. A token is not remembered past the age limit of the remote key set that
 * verified it. Scopes are checked per route, after the memo, so one token can pass one
 * route and not another.
 */
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from "jose";
import type { Bundle, BundleJwtAuthorizer } from "../../config/bundle.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import { isLocalDev, providerRefusal } from "../../security/outbound.ts";
import { readIdentitySource, type Authorizer } from "../types.ts";
import type { Identity } from "../../wire/identity.ts";
import { keyFromJwk, keyFromSecret, materialFor, remoteKey, type RemoteKey, type VerificationKey } from "./jwks.ts";

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

/**
 * Amazon: `aud` must name a configured audience; only when there is no `aud`, `client_id` must (Cognito access
 * tokens). No audience configured accepts nothing, unless the authorizer waives the check (`allowAnyAudience`).
 */
export function audienceAccepted(claims: JWTPayload, audience: string[], allowAny = false): boolean {
  if (allowAny) return true;
  const named = claims.aud !== undefined ? [claims.aud].flat() : [claims.client_id];
  return named.some((a) => typeof a === "string" && audience.includes(a));
}

export function jwtAuthorizer(spec: BundleJwtAuthorizer, bundle: Bundle): Authorizer {
  const inline = spec.jwks ? spec.jwks.keys.flatMap((k) => keyFromJwk(k, spec.algorithms) ?? []) : null;
  const memo = new Map<string, { identity: Identity; until: number }>();
  let secretKey: { value: string; key: VerificationKey } | undefined;
  const expiredMessage = bundle.api.flavor === "rest" ? "The incoming token has expired" : "Unauthorized";
  // A bundle compiled elsewhere (or before the rule) may name an http:// or private JWKS URL: checked per Worker.
  const jwksRefusal = spec.jwksUrl ? providerRefusal(spec.jwksUrl) : null;

  async function keyFor(ctx: RequestContext, kid: string | undefined, alg: string): Promise<RemoteKey> {
    if (spec.secret) {
      const value = ctx.env[spec.secret];
      if (typeof value !== "string" || !value)
        throw new GatewayError("AUTHORIZER_CONFIGURATION_ERROR", { message: null, detail: `jwt: Worker secret ${spec.secret} is not set` });
      if (secretKey?.value !== value) secretKey = { value, key: keyFromSecret(value, spec.algorithms) };
      return { key: secretKey.key, until: Infinity, stale: false };
    }
    if (inline) {
      const usable = inline.filter((k) => k.algorithms.includes(alg));
      const key = kid !== undefined ? usable.find((k) => k.kid === kid) : usable.length === 1 ? usable[0] : undefined;
      return { key, until: Infinity, stale: false };
    }
    const refused = jwksRefusal?.(isLocalDev(ctx.env));
    if (refused) throw new GatewayError("AUTHORIZER_CONFIGURATION_ERROR", { message: null, detail: `jwt: jwksUrl ${refused}` });
    return remoteKey(ctx.state.jwks, spec, kid, alg);
  }

  async function verify(token: string, ctx: RequestContext): Promise<{ identity: Identity; until: number }> {
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
    const { key, until, stale } = await keyFor(ctx, kid, alg);
    if (stale) {
      // The endpoint has not answered for longer than the keys may be trusted: refuse rather than trust them.
      ctx.failedClosed++;
      console.error(JSON.stringify({ level: "warn", event: "jwks-keys-stale", url: new URL(spec.jwksUrl!).origin, maxAgeSeconds: spec.jwksMaxCacheSeconds }));
      throw unauthorized("the key set is older than jwksMaxCacheSeconds and could not be refreshed");
    }
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
    if (!audienceAccepted(payload, spec.audience, spec.allowAnyAudience)) throw unauthorized("audience not accepted");
    const nowSeconds = Date.now() / 1000;
    // Amazon: iat must be before the current time (jose checks it only with maxTokenAge).
    if (typeof payload.iat === "number" && payload.iat > nowSeconds + spec.clockSkewSeconds) throw unauthorized("iat in the future");
    // A token valid for centuries (`exp: 1e308`) is a stolen token that never expires.
    if (spec.maxTokenLifetimeSeconds !== null && payload.exp! - nowSeconds > spec.maxTokenLifetimeSeconds + spec.clockSkewSeconds)
      throw unauthorized("the token expires further ahead than maxTokenLifetimeSeconds");
    const identity: Identity = {
      type: "jwt",
      principalId: typeof payload.sub === "string" ? payload.sub : "",
      claims: payload as Record<string, unknown>,
      scopes: tokenScopes(payload),
      context: {},
      usageIdentifierKey: null,
    };
    return { identity, until };
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
        const { identity: verified, until: keysUntil } = await verify(token, ctx);
        const exp = typeof verified.claims?.exp === "number" ? verified.claims.exp * 1000 : now + MEMO_WITHOUT_EXP_MS;
        identity = { identity: verified, until: Math.min(exp, now + MEMO_WITHOUT_EXP_MS * 12, keysUntil) };
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
