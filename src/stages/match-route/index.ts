/**
 * Match route: the compiled route table (built once per bundle) picks the route with Amazon's precedence.
 * No route → REST flavour 403 `Missing Authentication Token`, HTTP flavour 404 `Not Found`. (CORS preflights
 * never get here when the API has CORS configured: the cors stage, before this one, answers them.)
 */
import { HTTP_METHODS } from "../../config/types.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import type { StageFactory } from "../../pipeline/stage.ts";

const KNOWN_METHODS: ReadonlySet<string> = new Set(HTTP_METHODS);

export const matchRoute: StageFactory = () =>
  async function matchRoute(ctx, next) {
    const bundle = ctx.bundle!;
    const method = ctx.request.method;
    const match = KNOWN_METHODS.has(method) ? bundle.router.match(method, ctx.segments) : undefined;
    if (ctx.explain) ctx.explain.route = { key: match ? match.value.spec.key : null };
    if (!match)
      throw new GatewayError(bundle.bundle.api.flavor === "http" ? "RESOURCE_NOT_FOUND" : "MISSING_AUTHENTICATION_TOKEN", {
        detail: `no route for ${method} ${ctx.path}`,
      });
    ctx.route = match.value;
    ctx.pathParams = match.params;
    return next();
  };
