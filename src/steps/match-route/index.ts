/**
 * Match route: the compiled route table (built once per bundle) picks the route with Amazon's precedence.
 * No route → REST flavour 403 `Missing Authentication Token`, HTTP flavour 404 `Not Found`. (CORS preflights
 * never get here when the API has CORS configured: the cors step, before this one, answers them.)
 *
 * WebSocket APIs have two routes here: the upgrade at the stage's root (`GET /<stage>` with `Upgrade: websocket`,
 * 426 Upgrade Required without it), which runs `$connect`'s checks, and the `@connections` management API.
 */
import { HTTP_METHODS } from "../../config/types.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import type { StepFactory } from "../../pipeline/step.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import type { CompiledWebSocket } from "../../deploy/compiled-websocket.ts";
import { BROADCAST_SEGMENTS, CONNECTIONS_SEGMENTS } from "../../websocket/management.ts";

const KNOWN_METHODS: ReadonlySet<string> = new Set(HTTP_METHODS);

export const matchRoute: StepFactory = () =>
  async function matchRoute(ctx, next) {
    const bundle = ctx.bundle!;
    if (bundle.websocket) {
      ctx.route = webSocketRoute(ctx, bundle.websocket);
      return next();
    }
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

function webSocketRoute(ctx: RequestContext, ws: CompiledWebSocket) {
  const first = ctx.segments[0];
  if (first === undefined) {
    if (ctx.request.method !== "GET" || ctx.request.headers.get("upgrade")?.toLowerCase() !== "websocket")
      throw new GatewayError("DEFAULT_4XX", { status: 426, message: "Upgrade Required", headers: { upgrade: "websocket" }, detail: "a WebSocket API's stage URL takes WebSocket upgrades only" });
    return ws.upgrade;
  }
  if (CONNECTIONS_SEGMENTS.has(first) || BROADCAST_SEGMENTS.has(first)) return ws.management;
  throw new GatewayError("MISSING_AUTHENTICATION_TOKEN", { detail: `no WebSocket route ${ctx.request.method} ${ctx.path}` });
}
