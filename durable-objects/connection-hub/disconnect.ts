/**
 * `$disconnect`: the DISCONNECT event for a connection that closed, run through the route's integration. Best
 * effort, as on Amazon: its failures are logged and change nothing (the connection is gone either way).
 */
import { DISCONNECT_ROUTE } from "../../src/config/compile-websocket.ts";
import type { CompiledBundle } from "../../src/deploy/compiled-bundle.ts";
import type { AppState } from "../../src/pipeline/app-state.ts";
import type { ConnectionAttachment } from "../../src/websocket/attachment.ts";
import { invokeWs } from "../../src/websocket/invoke.ts";
import type { ConnectionHubEnv } from "./env.ts";

export async function disconnectEvent(env: ConnectionHubEnv, exec: ExecutionContext, state: AppState, a: ConnectionAttachment, bundle: CompiledBundle | undefined, code: number, reason: string): Promise<void> {
  const route = bundle?.websocket?.routes.get(DISCONNECT_ROUTE);
  if (!bundle || !route) return;
  const p = a.portico;
  try {
    await invokeWs({
      route,
      bundle,
      facts: {
        eventType: "DISCONNECT",
        routeKey: DISCONNECT_ROUTE,
        connectionId: p.id,
        connectedAt: p.connectedAt,
        requestId: crypto.randomUUID(),
        requestTimeEpochMs: Date.now(),
        domainName: p.domainName,
        stage: p.stage,
        apiId: p.api,
        sourceIp: p.sourceIp,
        userAgent: p.userAgent,
        identity: a.app.identity,
        body: null,
        disconnectStatusCode: code,
        disconnectReason: reason,
      },
      stageVariables: { ...bundle.bundle.stages[p.stage]?.variables, ...p.variableOverrides },
      env,
      exec,
      state,
    });
  } catch (err) {
    console.error(JSON.stringify({ level: "warn", event: "websocket-disconnect-failed", api: p.api, stage: p.stage, connectionId: p.id, detail: String(err) }));
  }
}
