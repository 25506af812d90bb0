/**
 * The upgrade's integration: the last stage of the request pipeline for `GET /<stage>` with `Upgrade: websocket`,
 * after resource policy, authorizer, API key and throttle have passed. It runs the API's `$connect` integration
 * (a CONNECT event); a non-2xx answer refuses the connection with that status and body, as on Amazon. Then it
 * mints the connection id (which names a hub), and hands the socket to that hub with everything a message will
 * need in its attachment: identity, authorizer context, API key, groups the `$connect` reply joined, the version.
 */
import type { CompiledRoute } from "../deploy/compiled-route.ts";
import type { Integration } from "../integrations/types.ts";
import type { RequestContext, RequestEnv } from "../pipeline/context.ts";
import { GatewayError } from "../pipeline/gateway-responses.ts";
import { ATTACHMENT_FORMAT, type ConnectionAttachment } from "./attachment.ts";
import { mintConnectionId } from "./connection-id.ts";
import { handOff, type HubsEnv } from "./hub-client.ts";
import { invokeWs } from "./invoke.ts";
import { replyInstructions } from "./reply-headers.ts";

export function connectIntegration(connect: CompiledRoute | null): Integration<RequestEnv & HubsEnv> {
  return {
    type: "websocket-connect",
    async invoke(ctx: RequestContext<RequestEnv & HubsEnv>): Promise<Response> {
      const bundle = ctx.bundle!;
      const settings = bundle.bundle.websocket!;
      const { id, shard } = mintConnectionId(settings.hubs);
      const connectedAt = Date.now();
      const userAgent = ctx.request.headers.get("user-agent") ?? "";
      let groups: string[] = [];
      let protocol: string | null = null;
      if (connect) {
        const reply = await invokeWs({
          route: connect,
          bundle,
          facts: {
            eventType: "CONNECT",
            routeKey: "$connect",
            connectionId: id,
            connectedAt,
            requestId: ctx.requestId,
            requestTimeEpochMs: ctx.receivedAt,
            domainName: ctx.url.hostname,
            stage: ctx.stage,
            apiId: ctx.api,
            sourceIp: ctx.clientIp,
            userAgent,
            identity: ctx.identity ?? null,
            body: null,
            headers: ctx.request.headers,
            query: ctx.url.searchParams,
          },
          stageVariables: ctx.stageVariables,
          env: ctx.env,
          exec: ctx.exec,
          state: ctx.state,
          upgrade: ctx,
        });
        if (reply.status < 200 || reply.status > 299)
          return new Response(reply.body || null, { status: reply.status, headers: { "content-type": reply.headers.get("content-type") ?? "application/json" } });
        groups = replyInstructions(reply.headers, [], settings.limits.maxGroupsPerConnection).groups ?? [];
        protocol = reply.headers.get("sec-websocket-protocol");
      }
      const canaryVars = ctx.isCanary ? ctx.stageVariables : null;
      const attachment: ConnectionAttachment = {
        f: ATTACHMENT_FORMAT,
        portico: {
          id,
          api: ctx.api,
          stage: ctx.stage,
          version: bundle.id,
          canary: ctx.isCanary,
          variableOverrides: canaryVars,
          connectedAt,
          lastActiveAt: connectedAt,
          sourceIp: ctx.clientIp,
          userAgent: userAgent.slice(0, 512),
          domainName: ctx.url.hostname,
          disconnected: false,
          identityStored: false,
        },
        app: { identity: ctx.identity ?? null, apiKeyId: ctx.apiKeyId ?? null, groups },
      };
      const res = await handOff(ctx.env, shard, attachment, bundle);
      if (res.status !== 101 || !res.webSocket) {
        const detail = await res.text().catch(() => "");
        throw new GatewayError("DEFAULT_5XX", { detail: `hub ${shard} refused the connection: ${res.status} ${detail.slice(0, 200)}` });
      }
      const headers = new Headers();
      if (protocol) headers.set("sec-websocket-protocol", protocol);
      return new Response(null, { status: 101, webSocket: res.webSocket, headers });
    },
  };
}
