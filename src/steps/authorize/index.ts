/**
 * Authorize: the route's authorizer (built once per bundle, authorizers/index.ts) proves who the caller is, or the request ends with
 * its 401/403/500. The identity reaches later stages, and — for a JWT authorizer with `claimsToHeaders`, a custom
 * one with `contextToHeaders` — the backend as headers, which overwrite (or remove) whatever the client sent under
 * those names (their aliases are dropped: security/client-headers.ts).
 */
import { authorizersOf } from "../../authorizers/index.ts";
import { DecisionRecord } from "../../observability/explain.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import type { StepFactory } from "../../pipeline/step.ts";

/** Refusals of the caller (401/403); anything else an authorizer throws is its own failure (500). */
const DENIALS = new Set(["UNAUTHORIZED", "ACCESS_DENIED", "INVALID_SIGNATURE", "EXPIRED_TOKEN", "MISSING_AUTHENTICATION_TOKEN"]);

export const authorize: StepFactory = () =>
  async function authorize(ctx, next) {
    const ref = ctx.route?.spec.authorizer;
    if (!ref) return next();
    const authorizer = authorizersOf(ctx.bundle!).get(ref.name)!;
    const started = performance.now();
    try {
      ctx.identity = await authorizer.authorize(ctx, { scopes: ref.scopes });
    } catch (err) {
      ctx.authorizerLatencyMs = performance.now() - started;
      // The verdict with the log's reason (never a token: details are written for logs), for the explain record.
      if (ctx.explain) {
        const e = err instanceof GatewayError ? err : undefined;
        ctx.explain.authorizers.push({
          name: ref.name,
          type: authorizer.type,
          verdict: e && DENIALS.has(e.type) ? "deny" : "error",
          reason: DecisionRecord.reason(e ? `${e.type}: ${e.message}` : "unexpected error"),
          latencyMs: ctx.authorizerLatencyMs,
        });
      }
      throw err;
    }
    ctx.authorizerLatencyMs = performance.now() - started;
    if (ctx.explain)
      ctx.explain.authorizers.push({ name: ref.name, type: authorizer.type, verdict: "allow", principal: ctx.identity.principalId, scopes: ctx.identity.scopes, latencyMs: ctx.authorizerLatencyMs });
    const spec = ctx.bundle!.bundle.authorizers[ref.name]!;
    if (spec.type === "jwt")
      for (const [header, claim] of Object.entries(spec.claimsToHeaders)) {
        const value = ctx.identity.claims?.[claim];
        ctx.backendHeaders.push([header, value === undefined || value === null ? null : typeof value === "string" ? value : JSON.stringify(value)]);
      }
    else if (spec.type === "custom")
      for (const [header, key] of Object.entries(spec.contextToHeaders)) {
        const value = Object.hasOwn(ctx.identity.context, key) ? ctx.identity.context[key] : key === "principalId" ? ctx.identity.principalId : undefined;
        ctx.backendHeaders.push([header, value === undefined ? null : String(value)]);
      }
    return next();
  };
