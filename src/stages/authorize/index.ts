/**
 * Authorize: the route's authorizer (built once per bundle, authorizers/index.ts) proves who the caller is, or the request ends with
 * its 401/403/500. The identity reaches later stages, and — for a JWT authorizer with `claimsToHeaders`, a custom
 * one with `contextToHeaders` — the backend as headers, which overwrite (or remove) whatever the client sent under
 * those names (their aliases are dropped: security/client-headers.ts).
 */
import { authorizersOf } from "../../authorizers/index.ts";
import type { StageFactory } from "../../pipeline/stage.ts";

export const authorize: StageFactory = () =>
  async function authorize(ctx, next) {
    const ref = ctx.route?.spec.authorizer;
    if (!ref) return next();
    const authorizer = authorizersOf(ctx.bundle!).get(ref.name)!;
    ctx.identity = await authorizer.authorize(ctx, { scopes: ref.scopes });
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
