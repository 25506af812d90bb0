/**
 * The custom authorizer — Amazon's Lambda authorizer on Workers: another Worker (through a service binding, as
 * the RPC call `invokeLambda(event)`: wire/lambda/adapter.ts) or a URL (a JSON POST) receives Amazon's authorizer event
 * and answers with a policy or a simple decision.
 *
 * - Identity sources missing or blank, or a token failing `validationExpression`: 401 without asking.
 * - The URL answering 401, the JSON string "Unauthorized", or a Lambda throwing `Error("Unauthorized")`: 401, as
 *   Amazon does for a Lambda that returns or throws "Unauthorized"; the URL answering 403: Amazon's implicit deny.
 * - Unreachable, timed out, any other non-2xx status, a Lambda that threw anything else, a reply that is not JSON
 *   or not the expected shape, or a context over MAX_CONTEXT_CHARS: AUTHORIZER_CONFIGURATION_ERROR 500, Amazon's
 *   recorded type for those (rest-authorizer-error-500-null-message). Never an allow.
 * - Decisions are cached per app (decisions.ts) for `resultTtlSeconds`, keyed by every identity input as received; a simple
 *   reply also by route and method unless `resultCacheScope: shared`. A cached policy is evaluated again for every
 *   request's method ARN, so a policy naming one path denies another (as on AWS). Errors and 401s are never cached.
 */
import type { BundleCustomAuthorizer } from "../../config/bundle.ts";
import { clientRequestHeaders } from "../../wire/headers.ts";
import { readAtMost } from "../../util/read-bounded.ts";
import { buildEventV1, buildEventV2 } from "../../wire/lambda/event.ts";
import { requestFacts } from "../../pipeline/lambda-facts.ts";
import { invokeLambda } from "../../wire/lambda/invoke.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import { isLocalDev, providerRefusal } from "../../security/outbound.ts";
import { linearPattern } from "../../security/linear-regex.ts";
import { propagateTrace, traceHeadersFor } from "../../observability/request-trace.ts";
import { methodArn, readIdentitySource, type Authorizer } from "../types.ts";
import type { ContextValue, Identity } from "../../wire/identity.ts";
import type { Decision } from "./decisions.ts";
import { evaluatePolicy, parsePolicyReply, parseSimpleReply } from "./policy.ts";

/** Far above any real policy; bounds what one misbehaving authorizer can make an isolate buffer. */
const MAX_REPLY_BYTES = 1024 * 1024;
const IMPLICIT_DENY = "User is not authorized to access this resource";

/**
 * Short ids for spec fingerprints, so 10,000 cache keys do not each repeat a whole spec. Module-level on purpose:
 * an id stands for its fingerprint alone and is never reused (the counter only grows), so sharing the table
 * shares no decision — those are per app (ctx.state.decisions).
 */
const specIds = new Map<string, number>();
let nextSpecId = 0;

/** A token longer than this is refused (401) before `validationExpression` sees it. */
const MAX_VALIDATED_TOKEN = 16 * 1024;

/**
 * Builds the custom authorizer for one bundle's spec. The validation expression is compiled here, once, for the
 * linear-time engine (security/linear-regex.ts); it must match the whole token (AWS's samples, such as
 * `.*\..*\..*`, are written for whole-string matching).
 */
export function customAuthorizer(spec: BundleCustomAuthorizer): Authorizer {
  const compiled = spec.validationExpression === null ? null : linearPattern(`^(?:${spec.validationExpression})$`);
  // The compiler rejects what the engine cannot run; a bundle written before that still must not allow.
  const invalidExpression = typeof compiled === "string";
  const validation = typeof compiled === "string" ? null : compiled;
  const prefix = `${specId(spec)}\u0000`;
  const ttlMs = spec.resultTtlSeconds * 1000;
  // A simple reply is a bare yes or no for the request it was asked about: unless the API chose Amazon's shared
  // cache, it is kept per route and method. (A cached policy is checked against each request's ARN instead.)
  const perRoute = spec.responseFormat === "simple" && spec.resultCacheScope !== "shared";
  // Query-string sources: the key holds every value of the parameter, not just the first that the identity
  // source reads, since the event the authorizer decided on carries them all (REST events: the last one).
  const queryNames = spec.identitySource.map((s) => (s.startsWith(QUERY_SOURCE) ? s.slice(QUERY_SOURCE.length) : null));

  /** The identity sources' values (401 without asking when one is missing), the method ARN and the cache key. */
  const prepare = (ctx: RequestContext) => {
    if (invalidExpression) throw misconfigured(`validationExpression ${compiled}`);
    const values: string[] = [];
    for (const source of spec.identitySource) {
      const value = readIdentitySource(ctx, source);
      if (value === undefined) throw unauthorized(`identity source ${source} is missing`);
      values.push(value);
    }
    if (spec.mode === "token") {
      if (values.length !== 1) throw misconfigured("token mode needs exactly one identity source");
      if (validation && (values[0]!.length > MAX_VALIDATED_TOKEN || !validation.test(values[0]!)))
        throw unauthorized("token does not match validationExpression");
    }
    const arn = methodArn(ctx);
    // With no identity sources every caller would share one decision, so nothing is cached then.
    const key = ttlMs > 0 && values.length > 0 ? prefix + cacheKey(ctx, values, queryNames, perRoute) : null;
    return { values, arn, key };
  };

  return {
    type: "custom",
    async authorize(ctx: RequestContext): Promise<Identity> {
      const { values, arn, key } = prepare(ctx);
      const decisions = ctx.state.decisions;
      let decision = key === null ? undefined : decisions.get(key);
      if (!decision) {
        decision = await ask(ctx, spec, values, arn);
        if (key !== null) decisions.set(key, decision, ttlMs);
      }
      return decide(decision, arn);
    },
    // Shadow evaluation: the authorizer is never asked a second time (it may count, bill or log each call); a
    // decision already cached for the same identity inputs is evaluated, anything else is unknown.
    async peek(ctx: RequestContext): Promise<Identity | undefined> {
      const { arn, key } = prepare(ctx);
      const decision = key === null ? undefined : ctx.state.decisions.get(key);
      return decision ? decide(decision, arn) : undefined;
    },
  };
}

const QUERY_SOURCE = "$request.querystring.";

/** The identity a decision is cached for: API, stage, (route and method), and every identity input as received. */
function cacheKey(ctx: RequestContext, values: string[], queryNames: (string | null)[], perRoute: boolean): string {
  const parts: unknown[] = [ctx.api, ctx.stage];
  if (perRoute) parts.push(ctx.request.method, ctx.route?.spec.key ?? "");
  values.forEach((value, i) => {
    const name = queryNames[i];
    const all = name ? ctx.url.searchParams.getAll(name) : null;
    parts.push(all && all.length > 1 ? all : value);
  });
  return JSON.stringify(parts);
}

function decide(decision: Decision, arn: string): Identity {
  if (decision.format === "simple") {
    const { allowed, context } = decision.reply;
    if (!allowed) throw new GatewayError("ACCESS_DENIED", { message: "Forbidden", detail: "the authorizer answered isAuthorized: false" });
    const principalId = typeof context.principalId === "string" ? context.principalId : "";
    return identity(principalId, context, null);
  }
  const reply = decision.reply;
  switch (evaluatePolicy(reply.statements, arn)) {
    case "deny":
      throw new GatewayError("ACCESS_DENIED", { detail: `policy for ${reply.principalId} denies ${arn}` });
    case "implicit-deny":
      // Amazon spells this one body's key with a capital M (recorded: rest-authorizer-implicit-deny-403).
      throw new GatewayError("ACCESS_DENIED", { message: IMPLICIT_DENY, messageKey: "Message", detail: `policy for ${reply.principalId} does not allow ${arn}` });
    case "allow":
      return identity(reply.principalId, reply.context, reply.usageIdentifierKey);
  }
}

function identity(principalId: string, context: Record<string, ContextValue>, usageIdentifierKey: string | null): Identity {
  // A copy: the cached decision is shared by every request with the same token.
  return { type: "custom", principalId, claims: null, scopes: [], context: { ...context }, usageIdentifierKey };
}

async function ask(ctx: RequestContext, spec: BundleCustomAuthorizer, values: string[], arn: string): Promise<Decision> {
  const value = await invoke(ctx, spec, buildEvent(ctx, spec, values, arn));
  if (value === "Unauthorized") throw unauthorized("the authorizer answered Unauthorized");
  if (spec.responseFormat === "simple") {
    const reply = parseSimpleReply(value);
    if (!reply) throw misconfigured(`${describe(spec)} replied outside the simple format`);
    return { format: "simple", reply };
  }
  const reply = parsePolicyReply(value);
  if (!reply) throw misconfigured(`${describe(spec)} replied with a malformed policy`);
  return { format: "policy", reply };
}

/** Amazon's events: TOKEN; REST's REQUEST event (policy format); the HTTP API 2.0 REQUEST event (simple format). */
function buildEvent(ctx: RequestContext, spec: BundleCustomAuthorizer, values: string[], arn: string): unknown {
  if (spec.mode === "token") return { type: "TOKEN", authorizationToken: values[0], methodArn: arn };
  // The client's end-to-end headers, without Cloudflare's, Portico's namespace (its secrets included: the decider
  // may be a third-party URL) or what the route would not forward to its backend; with the request's trace.
  const headers = clientRequestHeaders(ctx.request.headers, ctx.route?.headerPolicy);
  propagateTrace(ctx, headers);
  const facts = requestFacts(ctx, {
    headers,
    body: null, // authorizers never see the body
    isBinaryBody: false,
  });
  if (spec.responseFormat === "simple") {
    const { version: _version, isBase64Encoded: _base64, body: _body, ...rest } = buildEventV2(facts);
    return { version: "2.0", type: "REQUEST", routeArn: arn, identitySource: values, ...rest };
  }
  const { isBase64Encoded: _base64, body: _body, ...rest } = buildEventV1(facts);
  return { type: "REQUEST", methodArn: arn, ...rest };
}

/** Asks the authorizer and returns the parsed JSON reply, or throws the gateway error its failure means. */
async function invoke(ctx: RequestContext, spec: BundleCustomAuthorizer, event: unknown): Promise<unknown> {
  if (spec.service) return fromService(ctx, spec, spec.service, event);
  if (!spec.url) throw misconfigured("the authorizer has neither service nor url");
  // Checked when compiled; a bundle compiled for local development (or before the rule) is held to it here.
  const refused = providerRefusal(spec.url)(isLocalDev(ctx.env));
  if (refused) throw misconfigured(`authorizer url ${refused}`);
  return fromUrl(ctx, spec, spec.url, event);
}

/**
 * A Worker authorizer gets the event as an RPC call on its binding (wire/lambda/adapter.ts), never as an HTTP request:
 * the same unforgeable channel as Lambda-style integrations.
 */
async function fromService(ctx: RequestContext, spec: BundleCustomAuthorizer, service: string, event: unknown): Promise<unknown> {
  const outcome = await invokeLambda(ctx.env, service, event, spec.timeoutMs, MAX_REPLY_BYTES);
  if (!outcome.ok) {
    // Amazon: a Lambda authorizer that throws `Error("Unauthorized")` refuses the caller (401).
    if (outcome.why === "threw" && outcome.errorMessage === "Unauthorized") throw unauthorized(`${describe(spec)} threw Unauthorized`);
    if (outcome.why === "threw") throw misconfigured(`${describe(spec)} threw ${outcome.errorType}`);
    throw misconfigured(`${describe(spec)}: ${outcome.detail}`);
  }
  try {
    return JSON.parse(outcome.payload);
  } catch {
    throw misconfigured(`${describe(spec)} replied with something other than JSON`);
  }
}

/** An HTTPS endpoint gets the event as a JSON POST (it is the operator's own decider, not a Lambda contract). */
async function fromUrl(ctx: RequestContext, spec: BundleCustomAuthorizer, url: string, event: unknown): Promise<unknown> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, spec.timeoutMs);
  const init: RequestInit = {
    method: "POST",
    // The authorizer is a backend of the request too: it gets the trace (the event's headers are the client's).
    headers: [["content-type", "application/json"], ...traceHeadersFor(ctx)],
    body: JSON.stringify(event),
    redirect: "manual",
    signal: controller.signal,
  };
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, init);
    // The timeout covers the body too: an authorizer that sends headers and then stalls has still not answered.
    text = await readText(res);
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    const why = timedOut ? `no answer in ${spec.timeoutMs} ms` : (err as Error).message;
    throw new GatewayError("AUTHORIZER_CONFIGURATION_ERROR", { detail: `${describe(spec)}: ${why}` });
  } finally {
    clearTimeout(timer);
  }

  if (res.status === 401) throw unauthorized(`${describe(spec)} answered 401`);
  if (res.status === 403) throw new GatewayError("ACCESS_DENIED", { message: IMPLICIT_DENY, messageKey: "Message", detail: `${describe(spec)} answered 403` });
  if (res.status < 200 || res.status > 299) throw new GatewayError("AUTHORIZER_CONFIGURATION_ERROR", { detail: `${describe(spec)} answered ${res.status}` });
  try {
    return JSON.parse(text);
  } catch {
    throw misconfigured(`${describe(spec)} replied with something other than JSON`);
  }
}

async function readText(res: Response): Promise<string> {
  const bytes = await readAtMost(res.body, MAX_REPLY_BYTES);
  if (!bytes) throw misconfigured(`the authorizer's reply is over ${MAX_REPLY_BYTES} bytes, or broke off`);
  return new TextDecoder().decode(bytes);
}

function specId(spec: BundleCustomAuthorizer): number {
  const fingerprint = JSON.stringify(spec);
  let id = specIds.get(fingerprint);
  if (id === undefined) {
    id = nextSpecId++;
    if (specIds.size >= 1000) specIds.delete(specIds.keys().next().value!);
    specIds.set(fingerprint, id);
  }
  return id;
}

/** The authorizer for logs: the binding's name, or the URL's origin and path (a query could carry secrets). */
function describe(spec: BundleCustomAuthorizer): string {
  if (spec.service) return `authorizer service ${spec.service}`;
  try {
    const { origin, pathname } = new URL(spec.url!);
    return `authorizer ${origin}${pathname}`;
  } catch {
    return "authorizer url";
  }
}

function unauthorized(detail: string): GatewayError {
  return new GatewayError("UNAUTHORIZED", { detail });
}

function misconfigured(detail: string): GatewayError {
  return new GatewayError("AUTHORIZER_CONFIGURATION_ERROR", { detail });
}
