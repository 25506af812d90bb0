/**
 * Which client request headers never reach a backend or an authorizer: the rule behind "nothing a backend is told
 * to trust can come from a client". Pure and per name, so the integrations can decide while walking the names a
 * request carries once (`wire/headers.ts`), never by scanning a list per request.
 *
 * Dropped, whatever the route says:
 * - **Portico's namespace**, `x-portico-*`: the gateway's own control headers (force-version, force-secret,
 *   cache-invalidate, read by the stages that check them from the original request) and any marker a backend
 *   might take for the gateway's word.
 * - **Aliases** of a header the gateway sets or drops: a name that, with `_` and `.` read as `-`, names one
 *   (`X_User_Id` for `x-user-id`, `x.forwarded.for`). CGI, PHP, WSGI, Rack and nginx's `underscores_in_headers`
 *   fold these spellings together, so the backend would read the client's copy as the gateway's.
 *
 * Dropped unless the route lists the exact name in `forwardInternalHeaders` (FOREIGN_NAMES, FOREIGN_PREFIXES):
 * headers other gateways, proxies and frameworks set for their own backends and therefore trust.
 */

/** Portico's own header namespace. */
export const PORTICO_PREFIX = "x-portico-";

/** X-Forwarded-* headers Portico sets itself on a backend request (X-Forwarded-For appends to the client's). */
export const GATEWAY_FORWARDED = new Set(["x-forwarded-for", "x-forwarded-proto", "x-forwarded-port", "x-forwarded-host"]);

/**
 * Foreign internal headers, by exact name. Why each is here:
 * - path and method overrides: a backend honouring them serves a path or method the route never matched, past
 *   the gateway's routing, policies and authorizers (IIS/Symfony/Zend `X-Original-URL` and `X-Rewrite-URL`,
 *   CVE-2018-14773; nginx `auth_request`'s `X-Original-URI`; Express/Rails method overrides);
 * - identity set by other front doors: Google IAP's assertion, Google Cloud Endpoints' user info;
 * - the client's address and scheme as claimed by a proxy that is not there (RFC 7239 `Forwarded` and the
 *   vendor spellings frameworks read as the caller's IP). Portico's X-Forwarded-For is its own.
 */
export const FOREIGN_NAMES: ReadonlySet<string> = new Set([
  "x-original-url",
  "x-rewrite-url",
  "x-original-uri",
  "x-http-method-override",
  "x-http-method",
  "x-method-override",
  "x-goog-iap-jwt-assertion",
  "x-endpoint-api-userinfo",
  "forwarded",
  "true-client-ip",
  "x-client-ip",
  "x-cluster-client-ip",
  "fastly-client-ip",
]);

/**
 * Foreign internal headers, by prefix:
 * - `x-middleware-`: Next.js middleware's internal headers (`x-middleware-subrequest` skips the middleware —
 *   and any auth it does — CVE-2025-29927);
 * - `x-envoy-`: Envoy/Istio control headers (`x-envoy-internal`, retry and timeout overrides), trusted on
 *   requests Envoy takes for internal;
 * - `x-amzn-apigateway-`, `x-amzn-oidc-`: what Amazon API Gateway and ALB authentication tell their backends;
 * - `x-apigateway-`: `x-apigateway-event`/`-context`, from which aws-serverless-express rebuilds the API Gateway
 *   event (authorizer claims included), and Google API Gateway's `x-apigateway-api-userinfo`;
 * - `x-goog-authenticated-user-`: Google IAP's user; `x-ms-client-principal`: Azure App Service authentication;
 * - `x-auth-request-`: oauth2-proxy and nginx `auth_request` user headers;
 * - `x-forwarded-` other than the four Portico sets (`x-forwarded-user`, `-email`, `-prefix`, `-ssl`,
 *   `-scheme`, `-uri` …): auth proxies' user headers, and a scheme or path prefix no proxy set.
 */
export const FOREIGN_PREFIXES: readonly string[] = [
  "x-middleware-",
  "x-envoy-",
  "x-amzn-apigateway-",
  "x-amzn-oidc-",
  "x-apigateway-",
  "x-goog-authenticated-user-",
  "x-ms-client-principal",
  "x-auth-request-",
  "x-forwarded-",
];

/** Per route, computed once per bundle: which names the gateway sets, and which foreign ones it lets through. */
export interface ClientHeaderPolicy {
  /** Lower-case names the gateway sets on this route's backend request (claims, context, configured headers). */
  readonly gatewaySet: ReadonlySet<string>;
  /** Lower-case foreign internal header names this route forwards anyway (`forwardInternalHeaders`). */
  readonly forwardForeign: ReadonlySet<string>;
}

const NONE: ReadonlySet<string> = new Set();
/** No route (an authorizer event before a route is known, say): the fixed rules only. */
export const DEFAULT_HEADER_POLICY: ClientHeaderPolicy = { gatewaySet: NONE, forwardForeign: NONE };

export function headerPolicy(gatewaySet: Iterable<string>, forwardForeign: Iterable<string>): ClientHeaderPolicy {
  const set = new Set([...gatewaySet].map((n) => n.toLowerCase()));
  const forward = new Set([...forwardForeign].map((n) => n.toLowerCase()));
  return { gatewaySet: set.size ? set : NONE, forwardForeign: forward.size ? forward : NONE };
}

/** Whether `name` (lower case, as Headers yields it) is a foreign internal header. */
export function isForeignHeader(name: string): boolean {
  if (FOREIGN_NAMES.has(name)) return true;
  if (!name.startsWith("x-") || GATEWAY_FORWARDED.has(name)) return false;
  for (const prefix of FOREIGN_PREFIXES) if (name.startsWith(prefix)) return true;
  return false;
}

/**
 * Whether a client header named `name` (lower case) must not reach the backend or authorizer. `platform` holds
 * the exact names dropped for other reasons (hop-by-hop, Cloudflare's): an alias of one of those goes too.
 */
export function dropsClientHeader(name: string, policy: ClientHeaderPolicy, platform: ReadonlySet<string>): boolean {
  if (name.startsWith(PORTICO_PREFIX)) return true;
  if (isForeignHeader(name)) return !policy.forwardForeign.has(name);
  // Most names have neither character: the fold is paid only by the rare ones that do.
  if (name.includes("_") || name.includes(".")) {
    const folded = name.replace(/[_.]/g, "-");
    return (
      folded.startsWith(PORTICO_PREFIX) ||
      GATEWAY_FORWARDED.has(folded) ||
      policy.gatewaySet.has(folded) ||
      platform.has(folded) ||
      isForeignHeader(folded)
    );
  }
  return false;
}
