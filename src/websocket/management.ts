/**
 * Amazon's `@connections` management API on the stage's own URL, SigV4-signed for the management authorizer's
 * keys (the pipeline's authorize step checked the signature before this runs), so callers written for
 * `@aws-sdk/client-apigatewaymanagementapi` work unchanged:
 *
 * | request                                   | answer                                                        |
 * | ----------------------------------------- | ------------------------------------------------------------- |
 * | `POST /<stage>/@connections/<id>` + data  | 200; 410 GoneException; 413 PayloadTooLargeException           |
 * | `GET /<stage>/@connections/<id>`          | 200 `{connectedAt, identity: {sourceIp, userAgent}, lastActiveAt}` |
 * | `DELETE /<stage>/@connections/<id>`       | 204 (the client sees close 1000); 410                          |
 * | `PUT|DELETE …/@connections/<id>/groups/<group>` | 200 `{groups}` — Portico's groups                       |
 * | `POST /<stage>/@broadcast[/<group>]` + data | 200 `{delivered}` — to a group, or the whole stage, every hub |
 *
 * SDKs percent-encode the `@` (`/%40connections/…`); both spellings are accepted. Without a management
 * authorizer in the definition the API answers 403 Forbidden: nobody may push to clients unauthenticated.
 */
import type { BundleWebSocket } from "../config/bundle.ts";
import type { Integration } from "../integrations/types.ts";
import type { RequestContext, RequestEnv } from "../pipeline/context.ts";
import { GatewayError } from "../pipeline/gateway-responses.ts";
import type { HubsEnv } from "./hub-client.ts";
import type { HubFailure } from "./hub-contract.ts";
import { broadcast, changeGroups, deleteConnection, getConnection, postToConnection, type OpResult } from "./operations.ts";

export const CONNECTIONS_SEGMENTS = new Set(["@connections", "%40connections"]);
export const BROADCAST_SEGMENTS = new Set(["@broadcast", "%40broadcast"]);

const ERROR_TYPES: Record<number, string> = { 400: "BadRequestException", 403: "ForbiddenException", 404: "NotFoundException", 410: "GoneException", 413: "PayloadTooLargeException", 501: "InternalServerErrorException" };

/** A management error with Amazon's status and exception name (the errorType header names it). */
function failure(ctx: RequestContext, f: Pick<HubFailure, "status" | "message">): GatewayError {
  const header = ctx.bundle!.bundle.settings.errorTypeHeader;
  return new GatewayError(f.status >= 500 ? "DEFAULT_5XX" : "DEFAULT_4XX", {
    status: f.status >= 500 ? 500 : f.status,
    message: f.status >= 500 ? "Internal server error" : f.message,
    headers: header ? { [header]: ERROR_TYPES[f.status] ?? "BadRequestException" } : {},
    detail: `@connections: ${f.message}`,
  });
}

function unwrap<T>(ctx: RequestContext, result: OpResult<T>): T {
  if (result.ok) return result.value;
  throw failure(ctx, result);
}

/** The data to send: the body the context read (SigV4 already read it to check the signature), within the message limit. */
async function readData(ctx: RequestContext, limit: number): Promise<string> {
  const bytes = (await ctx.readBody()) ?? new Uint8Array(0);
  if (bytes.byteLength > limit) throw failure(ctx, { status: 413, message: `Message is larger than ${limit} bytes` });
  return new TextDecoder().decode(bytes);
}

export function managementIntegration(settings: BundleWebSocket): Integration<RequestEnv & HubsEnv> {
  return {
    type: "websocket-management",
    async invoke(ctx: RequestContext<RequestEnv & HubsEnv>): Promise<Response> {
      if (!settings.managementAuthorizer)
        throw failure(ctx, { status: 403, message: "Forbidden" });
      const where = { env: ctx.env, api: ctx.api, stage: ctx.stage };
      const [first, id, groupsWord, group, ...rest] = ctx.segments;
      const method = ctx.request.method;
      const noRoute = () => new GatewayError("MISSING_AUTHENTICATION_TOKEN", { detail: `no management route ${method} ${ctx.path}` });

      if (BROADCAST_SEGMENTS.has(first!)) {
        if (method !== "POST" || groupsWord !== undefined) throw noRoute();
        const data = await readData(ctx, settings.limits.maxMessageBytes);
        return Response.json(unwrap(ctx, await broadcast(where, settings.hubs, id ?? null, data)));
      }
      if (!id || rest.length) throw noRoute();
      if (groupsWord !== undefined) {
        if (groupsWord !== "groups" || !group || (method !== "PUT" && method !== "DELETE")) throw noRoute();
        const groups = unwrap(ctx, await changeGroups(where, id, method === "PUT" ? { join: [group] } : { leave: [group] }));
        return Response.json({ groups });
      }
      switch (method) {
        case "POST": {
          const data = await readData(ctx, settings.limits.maxMessageBytes);
          unwrap(ctx, await postToConnection(where, id, data));
          return new Response(null, { status: 200 });
        }
        case "GET":
          return Response.json(unwrap(ctx, await getConnection(where, id)));
        case "DELETE":
          unwrap(ctx, await deleteConnection(where, id));
          return new Response(null, { status: 204 });
        default:
          throw noRoute();
      }
    },
  };
}
