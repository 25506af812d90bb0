/**
 * Connection operations, shared by Amazon's `@connections` API (management.ts) and the admin API: post to a
 * connection, read it, close it, change its groups, broadcast to a group or a whole stage, list what is live.
 * A connection id names its hub, so every per-connection operation is one RPC; broadcasts and lists call every
 * hub of the stage at once.
 */
import type { ConnectionInfo } from "./attachment.ts";
import { GROUP_NAME, shardOf } from "./connection-id.ts";
import { fanOut, hubStub, type HubsEnv } from "./hub-client.ts";
import { gone, HUB_CONTRACT, type BroadcastReply, type HubFailure, type HubStats, type ListReply } from "./hub-contract.ts";

/** The largest hub number any definition can ask for (schema: `websocket.hubs` ≤ 1024). */
export const MAX_HUBS = 1024;

export type OpResult<T> = { ok: true; value: T } | HubFailure;

export interface Where {
  env: HubsEnv;
  api: string;
  stage: string;
}

/** The hub of a connection id, or null for an id no hub can hold (answered 410 without a call, as Amazon does for invalid ids). */
function hubOf(w: Where, connectionId: string) {
  const shard = shardOf(connectionId);
  return shard === undefined || shard >= MAX_HUBS ? null : hubStub(w.env, w.api, w.stage, shard);
}

export async function postToConnection(w: Where, connectionId: string, data: string): Promise<OpResult<null>> {
  const hub = hubOf(w, connectionId);
  if (!hub) return gone(connectionId);
  const reply = await hub.post({ v: HUB_CONTRACT, connectionId, data });
  return reply.ok ? { ok: true, value: null } : reply;
}

export async function getConnection(w: Where, connectionId: string): Promise<OpResult<ConnectionInfo>> {
  const hub = hubOf(w, connectionId);
  if (!hub) return gone(connectionId);
  const reply = await hub.info({ v: HUB_CONTRACT, connectionId });
  return reply.ok ? { ok: true, value: reply.connection } : reply;
}

export async function deleteConnection(w: Where, connectionId: string): Promise<OpResult<null>> {
  const hub = hubOf(w, connectionId);
  if (!hub) return gone(connectionId);
  const reply = await hub.disconnect({ v: HUB_CONTRACT, connectionId });
  return reply.ok ? { ok: true, value: null } : reply;
}

export async function changeGroups(w: Where, connectionId: string, change: { join?: string[]; leave?: string[] }): Promise<OpResult<string[]>> {
  const bad = [...(change.join ?? []), ...(change.leave ?? [])].find((g) => !GROUP_NAME.test(g));
  if (bad !== undefined) return { v: HUB_CONTRACT, ok: false, status: 400, message: `invalid group name: must match ${GROUP_NAME.source}` };
  const hub = hubOf(w, connectionId);
  if (!hub) return gone(connectionId);
  const reply = await hub.groups({ v: HUB_CONTRACT, connectionId, ...change });
  return reply.ok ? { ok: true, value: reply.groups } : reply;
}

/**
 * Sends `data` to every connection of the stage in `group` (null: all of them), across every hub but `skip` (a
 * hub broadcasting for one of its own connections serves its own members itself).
 */
export async function broadcast(w: Where, hubs: number, group: string | null, data: string, skip?: number): Promise<OpResult<{ delivered: number }>> {
  if (group !== null && !GROUP_NAME.test(group)) return { v: HUB_CONTRACT, ok: false, status: 400, message: `invalid group name: must match ${GROUP_NAME.source}` };
  const replies = await fanOut(w.env, w.api, w.stage, hubs, (hub, shard) =>
    shard === skip ? Promise.resolve<BroadcastReply>({ v: HUB_CONTRACT, ok: true, delivered: 0 }) : (hub.broadcast({ v: HUB_CONTRACT, group, data }) as Promise<BroadcastReply>),
  );
  let delivered = 0;
  for (const reply of replies) if (reply.ok) delivered += reply.delivered;
  return { ok: true, value: { delivered } };
}

/** Live connections of a stage (at most `limit`, newest hubs first in no particular order) and counts over every hub. */
export async function listConnections(w: Where, hubs: number, group: string | null, limit: number): Promise<OpResult<{ connections: ConnectionInfo[]; stats: HubStats & { hubs: number } }>> {
  const replies = await fanOut(w.env, w.api, w.stage, hubs, (hub) => hub.list({ v: HUB_CONTRACT, group, limit }) as Promise<ListReply>);
  const stats: HubStats & { hubs: number } = { connections: 0, byVersion: {}, groups: {}, hubs };
  const connections: ConnectionInfo[] = [];
  for (const reply of replies) {
    if (!reply.ok) continue;
    stats.connections += reply.stats.connections;
    for (const [k, n] of Object.entries(reply.stats.byVersion)) stats.byVersion[k] = (stats.byVersion[k] ?? 0) + n;
    for (const [k, n] of Object.entries(reply.stats.groups)) stats.groups[k] = (stats.groups[k] ?? 0) + n;
    connections.push(...reply.connections);
  }
  connections.sort((a, b) => (a.connectedAt < b.connectedAt ? 1 : -1));
  return { ok: true, value: { connections: connections.slice(0, limit), stats } };
}
