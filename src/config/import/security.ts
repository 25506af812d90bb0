/**
 * Who may call: an export's security schemes (`securityDefinitions` / `components.securitySchemes`) with
 * `x-amazon-apigateway-authorizer` become Portico authorizers — Lambda TOKEN/REQUEST → `custom` (the function a
 * service binding), Cognito user pools → `jwt` with the pool's issuer, HTTP APIs' JWT → `jwt` — an `apiKey` scheme
 * on `x-api-key` → `apiKeyRequired`, and `awsSigv4` (or `x-amazon-apigateway-auth: AWS_IAM`) → a `sigv4`
 * authorizer. A route whose protection cannot be carried is left out (never served unprotected) and listed.
 */
import { isObject } from "../field-errors.ts";
import type { AuthorizerDefinition, CustomAuthorizerDefinition, Flavor, JwtAuthorizerDefinition, RouteDefinition } from "../types.ts";
import type { Issues, JsonPath } from "./issues.ts";
import { bindingFor, lambdaOf } from "./lambda.ts";
import type { ImportOptions } from "./options.ts";
import { applyResidue, RESIDUE_KEY } from "./residue.ts";

type Scheme =
  | { kind: "authorizer"; name: string; scopes: boolean }
  | { kind: "apiKey" }
  | { kind: "iam" }
  | { kind: "unsupported"; reason: string };

export interface SecurityContext {
  flavor: Flavor;
  options: ImportOptions;
  issues: Issues;
  functionIds: ReadonlyMap<string, string>;
  reported: Set<string>;
}

export interface SecuritySet {
  authorizers: Record<string, AuthorizerDefinition>;
  schemes: Map<string, Scheme>;
  /** Where the schemes are in the document. */
  at: JsonPath;
  /** The name of the SigV4 authorizer, once a route needs it. */
  iam?: string;
  iamReported?: boolean;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const COGNITO_POOL = /^arn:aws[a-z-]*:cognito-idp:([a-z0-9-]+):\d*:userpool\/([A-Za-z0-9_-]+)$/;

/** Every security scheme, classified; the authorizers among them converted. */
export function convertSchemes(doc: Record<string, unknown>, ctx: SecurityContext): SecuritySet {
  const at: JsonPath = doc.swagger !== undefined ? ["securityDefinitions"] : ["components", "securitySchemes"];
  const source = (at.length === 1 ? doc.securityDefinitions : isObject(doc.components) ? doc.components.securitySchemes : undefined) as Record<string, unknown> | undefined;
  const set: SecuritySet = { authorizers: {}, schemes: new Map(), at };
  if (!isObject(source)) return set;
  for (const [name, scheme] of Object.entries(source)) {
    if (!isObject(scheme)) continue;
    set.schemes.set(name, classify(name, scheme, [...at, name], set, ctx));
  }
  return set;
}

function classify(name: string, scheme: Record<string, unknown>, at: JsonPath, set: SecuritySet, ctx: SecurityContext): Scheme {
  const safe = NAME.test(name) ? name : name.replace(/[^A-Za-z0-9_-]/g, "_").replace(/^[^A-Za-z0-9]/, "a").slice(0, 64);
  // A Portico export: what Amazon's extension cannot say about the authorizer (or the whole of it) is in x-portico.
  const residue = scheme[RESIDUE_KEY];
  if (isObject(residue)) {
    const ext = scheme["x-amazon-apigateway-authorizer"];
    const derived = isObject(ext) ? convertAuthorizer(ext, scheme, [...at, "x-amazon-apigateway-authorizer"], ctx) : undefined;
    const authorizer = applyResidue(derived, residue);
    if (authorizer) {
      set.authorizers[safe] = authorizer;
      return { kind: "authorizer", name: safe, scopes: authorizer.type === "jwt" };
    }
  }
  const authtype = typeof scheme["x-amazon-apigateway-authtype"] === "string" ? (scheme["x-amazon-apigateway-authtype"] as string) : undefined;
  if (authtype && /^aws/i.test(authtype)) return { kind: "iam" };
  const ext = scheme["x-amazon-apigateway-authorizer"];
  if (!isObject(ext)) {
    if (scheme.type === "apiKey" && scheme.in === "header" && typeof scheme.name === "string" && scheme.name.toLowerCase() === "x-api-key") return { kind: "apiKey" };
    return { kind: "unsupported", reason: `scheme ${name} has no x-amazon-apigateway-authorizer, so Amazon does not enforce it either way it could be read; describe it as an authorizer` };
  }
  const authorizer = convertAuthorizer(ext, scheme, [...at, "x-amazon-apigateway-authorizer"], ctx);
  if (!authorizer) return { kind: "unsupported", reason: `authorizer ${name} could not be carried over` };
  set.authorizers[safe] = authorizer;
  return { kind: "authorizer", name: safe, scopes: authorizer.type === "jwt" };
}

function convertAuthorizer(ext: Record<string, unknown>, scheme: Record<string, unknown>, at: JsonPath, ctx: SecurityContext): AuthorizerDefinition | undefined {
  const { issues } = ctx;
  const type = typeof ext.type === "string" ? ext.type.toLowerCase() : "";
  for (const key of Object.keys(ext))
    if (!["type", "authorizerUri", "authorizerCredentials", "authorizerPayloadFormatVersion", "enableSimpleResponses", "identitySource", "jwtConfiguration", "identityValidationExpression", "authorizerResultTtlInSeconds", "providerARNs", "openIdConnectUrl"].includes(key))
      issues.warn([...at, key], "not carried over: a field of the authorizer Portico does not know");
  if (type === "cognito_user_pools") return cognito(ext, scheme, at, ctx);
  if (type === "jwt") return jwt(ext, scheme, at, ctx);
  if (type === "token" || type === "request") return lambdaAuthorizer(type, ext, scheme, at, ctx);
  issues.error([...at, "type"], `unknown authorizer type ${JSON.stringify(ext.type)} (token, request, cognito_user_pools or jwt)`);
  return undefined;
}

/** Amazon's REST identity source (`method.request.header.X`, `stageVariables.x`, `context.x`) as Portico's (`$request.header.X` …). */
function identitySource(text: string): string | undefined {
  const s = text.trim();
  if (s.startsWith("$")) return s;
  const m = /^method\.request\.(header|querystring)\.(.+)$/.exec(s);
  if (m) return `$request.${m[1]}.${m[2]}`;
  if (/^(stageVariables|context)\./.test(s)) return `$${s}`;
  return undefined;
}

function sources(value: unknown, at: JsonPath, issues: Issues): string[] {
  if (typeof value !== "string") return [];
  const out: string[] = [];
  for (const part of value.split(",").map((p) => p.trim()).filter(Boolean)) {
    const s = identitySource(part);
    if (s) out.push(s);
    else issues.error(at, `identity source ${JSON.stringify(part)} is not a header, query string, stage variable or context variable`);
  }
  return out;
}

/** A REST `apiKey` scheme names where the token is: `in: header`, `name: Authorization`. */
const schemeHeader = (scheme: Record<string, unknown>) =>
  scheme.in === "header" && typeof scheme.name === "string" && scheme.name !== "Unused" ? `$request.header.${scheme.name}` : undefined;

function ttl(ext: Record<string, unknown>, at: JsonPath, issues: Issues): { resultTtlSeconds?: number } {
  const raw = ext.authorizerResultTtlInSeconds;
  if (raw === undefined) return {};
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 3600) {
    issues.error([...at, "authorizerResultTtlInSeconds"], "must be a whole number of seconds from 0 to 3600");
    return {};
  }
  return { resultTtlSeconds: n };
}

function cognito(ext: Record<string, unknown>, scheme: Record<string, unknown>, at: JsonPath, ctx: SecurityContext): JwtAuthorizerDefinition | undefined {
  const pools = Array.isArray(ext.providerARNs) ? ext.providerARNs : [];
  const first = typeof pools[0] === "string" ? COGNITO_POOL.exec(pools[0]) : null;
  if (!first) {
    ctx.issues.error([...at, "providerARNs"], "needs a Cognito user pool ARN (arn:aws:cognito-idp:<region>:<account>:userpool/<id>)");
    return undefined;
  }
  if (pools.length > 1)
    ctx.issues.error([...at, "providerARNs", 1], "not carried over: a Portico JWT authorizer trusts one issuer, the first pool; tokens of the other pools would be refused");
  const issuer = `https://cognito-idp.${first[1]}.amazonaws.com/${first[2]}`;
  const source = typeof ext.identitySource === "string" ? identitySource(ext.identitySource) : schemeHeader(scheme);
  return {
    type: "jwt",
    issuer,
    // Amazon's Cognito authorizer accepts a token from any app client of the pool.
    allowAnyAudience: true,
    jwksUrl: ctx.options.jwks?.[issuer] ?? `${issuer}/.well-known/jwks.json`,
    ...(source && source !== "$request.header.Authorization" ? { identitySource: source } : {}),
  };
}

function jwt(ext: Record<string, unknown>, scheme: Record<string, unknown>, at: JsonPath, ctx: SecurityContext): JwtAuthorizerDefinition | undefined {
  const config = isObject(ext.jwtConfiguration) ? ext.jwtConfiguration : {};
  const discovery = typeof scheme.openIdConnectUrl === "string" ? scheme.openIdConnectUrl : typeof ext.openIdConnectUrl === "string" ? ext.openIdConnectUrl : undefined;
  const issuer = typeof config.issuer === "string" ? config.issuer : discovery?.replace(/\/\.well-known\/openid-configuration\/?$/, "");
  if (!issuer) {
    ctx.issues.error([...at, "jwtConfiguration", "issuer"], "required");
    return undefined;
  }
  const audience = Array.isArray(config.audience) ? config.audience.filter((a): a is string => typeof a === "string") : typeof config.audience === "string" ? [config.audience] : [];
  const [source, ...more] = sources(ext.identitySource, [...at, "identitySource"], ctx.issues);
  if (more.length) ctx.issues.warn([...at, "identitySource"], "not carried over: a JWT authorizer reads one identity source, the first");
  const mapped = ctx.options.jwks?.[issuer];
  if (!mapped && !COGNITO_ISSUER.test(issuer))
    ctx.issues.warn([...at, "jwtConfiguration", "issuer"], `Amazon finds the issuer's keys through OpenID discovery; Portico fetches ${issuer.replace(/\/$/, "")}/.well-known/jwks.json — check that is the issuer's jwks_uri (--jwks ISSUER=URL sets another)`);
  return {
    type: "jwt",
    issuer,
    ...(audience.length ? { audience } : {}),
    jwksUrl: mapped ?? `${issuer.replace(/\/$/, "")}/.well-known/jwks.json`,
    ...(source && source !== "$request.header.Authorization" ? { identitySource: source } : {}),
  };
}
const COGNITO_ISSUER = /^https:\/\/cognito-idp\.[a-z0-9-]+\.amazonaws\.com\/[A-Za-z0-9_-]+$/;

function lambdaAuthorizer(mode: "token" | "request", ext: Record<string, unknown>, scheme: Record<string, unknown>, at: JsonPath, ctx: SecurityContext): CustomAuthorizerDefinition | undefined {
  const { issues } = ctx;
  const uri = ext.authorizerUri;
  const fn = typeof uri === "string" ? lambdaOf(uri) : null;
  if (!fn) {
    issues.error([...at, "authorizerUri"], typeof uri === "string" ? `"${uri}" is not a Lambda function` : "required");
    return undefined;
  }
  const logicalId = ctx.functionIds.get(fn.name);
  const { binding, mapped } = bindingFor(fn, ctx.options.lambda ?? {}, logicalId);
  if (!mapped && !ctx.reported.has(fn.arn)) {
    ctx.reported.add(fn.arn);
    issues.warn([...at, "authorizerUri"], `Lambda function ${fn.name} decides through the service binding ${binding} (--lambda ${logicalId ?? fn.name}=BINDING to choose another); declare it in wrangler.toml`);
  }
  if (ext.authorizerCredentials !== undefined) issues.warn([...at, "authorizerCredentials"], "not needed: Portico calls the authorizer through its service binding, with no IAM role");
  const out: CustomAuthorizerDefinition = { type: "custom", mode, service: binding, ...ttl(ext, at, issues) };
  if (mode === "token") {
    const source = typeof ext.identitySource === "string" ? identitySource(ext.identitySource) : schemeHeader(scheme);
    if (source && source !== "$request.header.Authorization") out.identitySource = source;
    if (typeof ext.identityValidationExpression === "string") out.validationExpression = ext.identityValidationExpression;
  } else {
    const list = sources(ext.identitySource, [...at, "identitySource"], issues);
    if (list.length) out.identitySource = list.length === 1 ? list[0]! : list;
    else issues.warn([...at, "identitySource"], "none: Portico needs an identity source and reads Authorization (Amazon calls the authorizer with none when caching is off)");
    if (ctx.flavor === "http" && String(ext.authorizerPayloadFormatVersion) === "2.0") {
      if (ext.enableSimpleResponses === true) out.responseFormat = "simple";
      else issues.warn([...at, "authorizerPayloadFormatVersion"], "2.0 with an IAM policy reply: Portico sends such authorizers the REST (1.0) event");
    }
  }
  return out;
}

/**
 * A route's protection from the operation's `security` (else the document's) and `x-amazon-apigateway-auth`:
 * the fields to set on the route, or undefined when it cannot be carried (the route is then left out).
 */
export function routeSecurity(op: Record<string, unknown>, docSecurity: unknown, set: SecuritySet, at: JsonPath, ctx: SecurityContext): Partial<RouteDefinition> | undefined {
  const { issues } = ctx;
  const out: Partial<RouteDefinition> = {};
  const auth = isObject(op["x-amazon-apigateway-auth"]) ? String(op["x-amazon-apigateway-auth"].type ?? "").toUpperCase() : undefined;
  const requirements = op.security !== undefined ? op.security : docSecurity;
  const securityAt = op.security !== undefined ? [...at, "security"] : ["security"];
  const list = Array.isArray(requirements) ? requirements.filter((r) => isObject(r) && Object.keys(r).length) : [];
  if (list.length > 1) {
    issues.error(securityAt, "alternative security requirements (one OR another): Amazon allows one authorization per method; the route is not carried over");
    return undefined;
  }
  let authorizers = 0;
  for (const [name, scopes] of Object.entries((list[0] ?? {}) as Record<string, unknown>)) {
    // Amazon's samples require API keys with `api_key` and no scheme at all: its importer reads the name.
    const scheme = set.schemes.get(name) ?? (name === "api_key" ? { kind: "apiKey" as const } : undefined);
    if (!scheme) {
      issues.error([...securityAt, 0, name], `no security scheme "${name}"; the route is not carried over`);
      return undefined;
    }
    if (scheme.kind === "unsupported") {
      issues.error([...securityAt, 0, name], `${scheme.reason}; the route is not carried over`);
      return undefined;
    }
    if (scheme.kind === "apiKey") out.apiKeyRequired = true;
    else if (scheme.kind === "iam") {
      if (auth !== "NONE") out.authorizer = iamAuthorizer(set, [...set.at, name], ctx);
      authorizers++;
    } else {
      const list = Array.isArray(scopes) ? scopes.filter((s): s is string => typeof s === "string") : [];
      if (list.length && !scheme.scopes) issues.warn([...securityAt, 0, name], "scopes apply to JWT and Cognito authorizers: not carried over");
      out.authorizer = list.length && scheme.scopes ? { name: scheme.name, scopes: list } : scheme.name;
      authorizers++;
    }
  }
  if (authorizers > 1) {
    issues.error(securityAt, "more than one authorizer on one method: Amazon allows one; the route is not carried over");
    return undefined;
  }
  if (auth === "AWS_IAM" && !out.authorizer) out.authorizer = iamAuthorizer(set, [...at, "x-amazon-apigateway-auth"], ctx);
  if (auth === "NONE") delete out.authorizer;
  return out;
}

/** The one SigV4 authorizer every AWS_IAM route shares, made when the first needs it. */
function iamAuthorizer(set: SecuritySet, at: JsonPath, ctx: SecurityContext): string {
  if (set.iam) return set.iam;
  let name = "iam";
  for (let n = 2; Object.hasOwn(set.authorizers, name); n++) name = `iam${n}`;
  set.iam = name;
  const credentials = ctx.options.sigv4?.credentials ?? {};
  const region = ctx.options.sigv4?.region ?? ctx.options.region;
  set.authorizers[name] = { type: "sigv4", ...(region ? { region } : {}), credentials };
  if (!Object.keys(credentials).length)
    ctx.issues.error(at, "AWS_IAM: Portico verifies SigV4 against access keys you name, not IAM: give them in the mapping file (sigv4.credentials: access key id → Worker secret) — until then the definition does not validate");
  return name;
}
