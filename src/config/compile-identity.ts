/**
 * The compiler's identity section: authorizers, routes' references to them, API keys and resource policies —
 * cross-field checks with field paths, and the resolved bundle form with every default.
 */
import type { BundleAuthorizer, BundleResourcePolicy } from "./bundle.ts";
import { type FieldError, isObject } from "./field-errors.ts";
import type { ApiDefinition, AuthorizerDefinition, ResourcePolicyDefinition, RouteDefinition } from "./types.ts";
import { PORTICO_PREFIX } from "../security/client-headers.ts";
import { parseCidr } from "../security/ip.ts";
import { checkOutboundTemplate } from "../security/outbound.ts";
import { linearPattern } from "../security/linear-regex.ts";

export const JWT_DEFAULTS = {
  identitySource: "$request.header.Authorization",
  clockSkewSeconds: 30,
  maxTokenLifetimeSeconds: 86400,
  jwksMinCacheSeconds: 60,
  jwksMaxCacheSeconds: 86400,
  jwksRefetchSeconds: 30,
  jwksTimeoutMs: 3000,
};
export const CUSTOM_DEFAULTS = { resultTtlSeconds: 300, timeoutMs: 10_000 };

const HMAC = /^HS/;
/** Names an identity may not set on a backend request: the connection's and the platform's. */
const RESERVED_HEADERS = new Set(["host", "content-length", "transfer-encoding", "connection", "upgrade", "te", "trailer", "keep-alive", "cf-connecting-ip", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-port", "x-forwarded-host"]);
/** RFC 9110 field-name (token): anything else makes Headers.set throw on every request. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A route's authorizer reference as `{name, scopes}`. */
export function routeAuthorizer(route: RouteDefinition): { name: string; scopes: string[] } | null {
  const a = route.authorizer;
  if (a === undefined) return null;
  return typeof a === "string" ? { name: a, scopes: [] } : { name: a.name, scopes: a.scopes ?? [] };
}

export function checkIdentity(def: ApiDefinition, errors: FieldError[], localDev = false): void {
  const authorizers = isObject(def.authorizers) ? (def.authorizers as Record<string, AuthorizerDefinition>) : {};
  for (const [name, a] of Object.entries(authorizers)) if (isObject(a)) checkAuthorizer(a, ["authorizers", name], errors, localDev);
  if (isObject(def.resourcePolicy)) checkPolicy(def.resourcePolicy, ["resourcePolicy"], errors);

  if (!isObject(def.routes)) return;
  for (const [key, route] of Object.entries(def.routes as Record<string, RouteDefinition>)) {
    if (!isObject(route)) continue;
    if (isObject(route.resourcePolicy)) checkPolicy(route.resourcePolicy, ["routes", key, "resourcePolicy"], errors);
    const ref = route.authorizer === undefined || (typeof route.authorizer !== "string" && !isObject(route.authorizer)) ? null : routeAuthorizer(route);
    if (!ref || typeof ref.name !== "string") continue;
    const target = authorizers[ref.name];
    const names = Object.keys(authorizers);
    if (!target)
      errors.push({
        path: ["routes", key, "authorizer"],
        message: `unknown authorizer "${ref.name}"` + (names.length ? `; authorizers are ${names.join(", ")}` : "; define it under authorizers"),
      });
    else if (Array.isArray(ref.scopes) && ref.scopes.length && target.type !== "jwt")
      errors.push({ path: ["routes", key, "authorizer", "scopes"], message: `scopes apply to jwt authorizers; "${ref.name}" is ${target.type}` });
  }
  if (def.settings?.apiKeySource === "AUTHORIZER" && !Object.values(authorizers).some((a) => isObject(a) && a.type === "custom"))
    errors.push({ path: ["settings", "apiKeySource"], message: "AUTHORIZER needs a custom authorizer to supply usageIdentifierKey" });
}

/**
 * An identity provider's URL (JWKS, custom authorizer): https only, outside local development — its answers decide
 * who gets in, so they must not travel in clear — and never to a metadata, loopback or private address.
 */
function checkProviderUrl(url: unknown, path: (string | number)[], errors: FieldError[], localDev: boolean): void {
  if (typeof url !== "string") return;
  if (/^http:\/\//i.test(url) && !localDev)
    errors.push({ path, message: "must be an https:// URL (http:// is accepted only in local development: PORTICO_LOCAL_DEV, see docs/security.md)" });
  for (const message of checkOutboundTemplate(url, { localDev, network: true })) errors.push({ path, message });
}

function checkAuthorizer(a: AuthorizerDefinition, path: (string | number)[], errors: FieldError[], localDev: boolean): void {
  if (a.type === "jwt") {
    checkProviderUrl(a.jwksUrl, [...path, "jwksUrl"], errors, localDev);
    const audiences = a.audience === undefined ? [] : [a.audience].flat();
    if (a.allowAnyAudience === true && audiences.length)
      errors.push({ path: [...path, "allowAnyAudience"], message: "cannot be true when audience is set: remove one of them" });
    else if (a.allowAnyAudience !== true && !audiences.length)
      errors.push({
        path: [...path, "audience"],
        message:
          (a.audience === undefined ? "required" : "must name at least one audience") +
          ": the `aud` values this API accepts (without one, any token the issuer signs for any other application " +
          "would pass). To accept every audience on purpose, set allowAnyAudience: true (docs/identity.md)",
      });
    const sources = ["jwksUrl", "jwks", "secret"].filter((k) => (a as unknown as Record<string, unknown>)[k] !== undefined);
    if (sources.length !== 1)
      errors.push({ path, message: `needs exactly one key source: jwksUrl, jwks or secret${sources.length ? ` (has ${sources.join(", ")})` : ""}` });
    if (isObject(a.jwks) && Array.isArray(a.jwks.keys))
      a.jwks.keys.forEach((k, i) => {
        if (isObject(k) && ("d" in k || k.kty === "oct"))
          errors.push({ path: [...path, "jwks", "keys", i], message: "must be a public key (no private or symmetric key material in a definition; use secret for HMAC)" });
      });
    if (Array.isArray(a.algorithms)) {
      const hmac = a.algorithms.filter((alg) => HMAC.test(alg));
      if (a.secret !== undefined && hmac.length !== a.algorithms.length)
        errors.push({ path: [...path, "algorithms"], message: "with an HMAC secret only HS256, HS384 or HS512 apply" });
      if (a.secret === undefined && hmac.length)
        errors.push({ path: [...path, "algorithms"], message: "HMAC algorithms need a secret; never HMAC with a public key" });
    }
    if (isObject(a.claimsToHeaders)) checkIdentityHeaders(a.claimsToHeaders, [...path, "claimsToHeaders"], errors);
    if (typeof a.jwksMinCacheSeconds === "number" && typeof a.jwksMaxCacheSeconds === "number" && a.jwksMinCacheSeconds > a.jwksMaxCacheSeconds)
      errors.push({ path: [...path, "jwksMinCacheSeconds"], message: "must not exceed jwksMaxCacheSeconds" });
  } else if (a.type === "custom") {
    if ((a.service === undefined) === (a.url === undefined)) errors.push({ path, message: "needs exactly one of service or url" });
    checkProviderUrl(a.url, [...path, "url"], errors, localDev);
    const sources = a.identitySource === undefined ? [] : Array.isArray(a.identitySource) ? a.identitySource : [a.identitySource];
    if ((a.mode ?? "token") === "token" && sources.length && (sources.length !== 1 || !/^\$request\.header\./.test(sources[0]!)))
      errors.push({ path: [...path, "identitySource"], message: "token mode takes exactly one $request.header.<name>" });
    if ((a.mode ?? "token") === "request" && a.validationExpression !== undefined)
      errors.push({ path: [...path, "validationExpression"], message: "only applies in token mode" });
    if (typeof a.validationExpression === "string") checkRegex(`^(?:${a.validationExpression})$`, [...path, "validationExpression"], errors);
    if (isObject(a.contextToHeaders)) checkIdentityHeaders(a.contextToHeaders, [...path, "contextToHeaders"], errors);
  } else if (a.type === "mtls") {
    if (Array.isArray(a.subjects))
      a.subjects.forEach((s, i) => {
        if (typeof s === "string" && s.startsWith("/") && s.endsWith("/") && s.length > 1) checkRegex(s.slice(1, -1), [...path, "subjects", i], errors);
      });
  }
}

/** Headers set from an identity: valid names, and none the gateway owns or must not set (its namespace, hop-by-hop, Host). */
function checkIdentityHeaders(map: Record<string, unknown>, path: (string | number)[], errors: FieldError[]): void {
  for (const header of Object.keys(map)) {
    const lower = header.toLowerCase();
    if (!HEADER_NAME.test(header)) errors.push({ path: [...path, header], message: "not a valid HTTP header name" });
    else if (lower.startsWith(PORTICO_PREFIX) || RESERVED_HEADERS.has(lower))
      errors.push({ path: [...path, header], message: `${header} is set by the gateway or the connection, not from an identity` });
  }
}

/** Operator-written regexes run on the linear-time engine: one it cannot run is refused here. */
function checkRegex(source: string, path: (string | number)[], errors: FieldError[]): void {
  const compiled = linearPattern(source);
  if (typeof compiled === "string") errors.push({ path, message: compiled });
}

function checkPolicy(policy: ResourcePolicyDefinition, path: (string | number)[], errors: FieldError[]): void {
  if (!policy.allow && !policy.deny) errors.push({ path, message: "needs allow, deny or both" });
  for (const side of ["allow", "deny"] as const) {
    const ips = policy[side]?.ips;
    if (Array.isArray(ips))
      ips.forEach((ip, i) => {
        if (typeof ip === "string" && !parseCidr(ip)) errors.push({ path: [...path, side, "ips", i], message: `"${ip}" is not an IP address or CIDR range` });
      });
  }
}

export function buildPolicy(policy: ResourcePolicyDefinition | undefined): BundleResourcePolicy | null {
  if (!policy) return null;
  const side = (m: ResourcePolicyDefinition["allow"]) => (m ? { ips: m.ips ?? [], countries: m.countries ?? [], asns: m.asns ?? [] } : null);
  return { allow: side(policy.allow), deny: side(policy.deny) };
}

export function buildAuthorizers(def: ApiDefinition): Record<string, BundleAuthorizer> {
  const out: Record<string, BundleAuthorizer> = {};
  for (const [name, a] of Object.entries(def.authorizers ?? {})) {
    switch (a.type) {
      case "jwt":
        out[name] = {
          type: "jwt",
          issuer: a.issuer,
          audience: a.audience === undefined ? [] : Array.isArray(a.audience) ? a.audience : [a.audience],
          allowAnyAudience: a.allowAnyAudience ?? false,
          maxTokenLifetimeSeconds: a.maxTokenLifetimeSeconds ?? JWT_DEFAULTS.maxTokenLifetimeSeconds,
          jwksUrl: a.jwksUrl ?? null,
          jwks: a.jwks ?? null,
          secret: a.secret ?? null,
          algorithms: a.algorithms ?? null,
          identitySource: a.identitySource ?? JWT_DEFAULTS.identitySource,
          clockSkewSeconds: a.clockSkewSeconds ?? JWT_DEFAULTS.clockSkewSeconds,
          requiredClaims: a.requiredClaims ?? [],
          claimsToHeaders: a.claimsToHeaders ?? {},
          jwksMinCacheSeconds: a.jwksMinCacheSeconds ?? JWT_DEFAULTS.jwksMinCacheSeconds,
          jwksMaxCacheSeconds: a.jwksMaxCacheSeconds ?? JWT_DEFAULTS.jwksMaxCacheSeconds,
          jwksRefetchSeconds: a.jwksRefetchSeconds ?? JWT_DEFAULTS.jwksRefetchSeconds,
          jwksTimeoutMs: a.jwksTimeoutMs ?? JWT_DEFAULTS.jwksTimeoutMs,
        };
        break;
      case "custom": {
        const sources = a.identitySource === undefined ? ["$request.header.Authorization"] : Array.isArray(a.identitySource) ? a.identitySource : [a.identitySource];
        out[name] = {
          type: "custom",
          mode: a.mode ?? "token",
          identitySource: sources,
          validationExpression: a.validationExpression ?? null,
          service: a.service ?? null,
          url: a.url ?? null,
          responseFormat: a.responseFormat ?? "policy",
          resultTtlSeconds: a.resultTtlSeconds ?? CUSTOM_DEFAULTS.resultTtlSeconds,
          resultCacheScope: a.resultCacheScope ?? "route",
          contextToHeaders: a.contextToHeaders ?? {},
          timeoutMs: a.timeoutMs ?? CUSTOM_DEFAULTS.timeoutMs,
        };
        break;
      }
      case "sigv4":
        out[name] = {
          type: "sigv4",
          service: a.service ?? "execute-api",
          region: a.region ?? "us-east-1",
          credentials: a.credentials,
          forwardUnsignedHeaders: a.forwardUnsignedHeaders ?? false,
        };
        break;
      case "mtls":
        out[name] = { type: "mtls", issuers: a.issuers ?? [], subjects: a.subjects ?? [], fingerprints: (a.fingerprints ?? []).map((f) => f.toLowerCase()) };
        break;
    }
  }
  return out;
}
