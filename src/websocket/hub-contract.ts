/**
 * The ConnectionHub's RPC contract. Every call takes one argument `{ v, ...fields }` and every reply carries
 * `v`: a Worker and a hub can run different code versions for a while after a deploy (Cloudflare rolls Durable
 * Objects over separately), so a hub refuses a contract version it does not know (`ok: false`, status 501)
 * instead of misreading it. Add fields compatibly; bump HUB_CONTRACT only when a field changes meaning.
 * Documented in durable-objects/STORAGE.md.
 *
 * The one call that is not RPC is the upgrade: a WebSocket cannot travel through an RPC call, so the Worker
 * forwards it with `fetch` (the hub's only fetch handler), its facts in the HUB_CONNECT_HEADER. A hub that does not
 * hold the connection's bundle version answers NEED_BUNDLE_STATUS; the Worker then calls `storeBundle` and retries.
 */
import type { Bundle } from "../config/bundle.ts";
import type { ConnectionAttachment, ConnectionInfo } from "./attachment.ts";

export const HUB_CONTRACT = 1;
/** The upgrade request's header carrying a {@link HubConnect} as JSON (set by the Worker, never by a client). */
export const HUB_CONNECT_HEADER = "x-portico-hub-connect";
/** The hub's 409 to an upgrade whose bundle it does not hold: the Worker sends it again with the bundle. */
export const NEED_BUNDLE_STATUS = 409;

export interface HubConnect {
  v: typeof HUB_CONTRACT;
  attachment: ConnectionAttachment;
}

/** After NEED_BUNDLE_STATUS: the version the connection needs, kept by the hub (bundles table). */
export interface StoreBundleCall {
  v: typeof HUB_CONTRACT;
  id: string;
  bundle: Bundle;
}

export type HubFailure = { v: typeof HUB_CONTRACT; ok: false; status: 400 | 403 | 404 | 410 | 413 | 501; message: string };
export type HubReply<T extends object = object> = ({ v: typeof HUB_CONTRACT; ok: true } & T) | HubFailure;

export interface PostCall {
  v: typeof HUB_CONTRACT;
  connectionId: string;
  data: string;
}
export interface ConnectionCall {
  v: typeof HUB_CONTRACT;
  connectionId: string;
}
export interface GroupsCall {
  v: typeof HUB_CONTRACT;
  connectionId: string;
  join?: string[];
  leave?: string[];
}
export interface BroadcastCall {
  v: typeof HUB_CONTRACT;
  /** null: every connection of the hub. */
  group: string | null;
  data: string;
}
export interface ListCall {
  v: typeof HUB_CONTRACT;
  group?: string | null;
  limit?: number;
}

export interface HubStats {
  connections: number;
  byVersion: Record<string, number>;
  groups: Record<string, number>;
}

export type InfoReply = HubReply<{ connection: ConnectionInfo }>;
export type BroadcastReply = HubReply<{ delivered: number }>;
export type ListReply = HubReply<{ connections: ConnectionInfo[]; stats: HubStats }>;

/**
 * The hub's RPC methods, as its callers see them: `CONNECTION_HUB` is typed by this contract rather than by the
 * ConnectionHub class, since the hub's own code (broadcasts fan out to the stage's other hubs) calls it too and the
 * class imports that code. ConnectionHub implements it, so the two cannot drift apart.
 */
export interface HubRpc extends Rpc.DurableObjectBranded {
  storeBundle(call: StoreBundleCall): HubReply;
  post(call: PostCall): HubReply;
  info(call: ConnectionCall): InfoReply;
  disconnect(call: ConnectionCall): HubReply;
  groups(call: GroupsCall): GroupsReply;
  broadcast(call: BroadcastCall): BroadcastReply;
  list(call: ListCall): ListReply;
  flushMetrics(call: { v: typeof HUB_CONTRACT }): Promise<HubReply>;
}

export const gone = (connectionId: string): HubFailure => ({ v: HUB_CONTRACT, ok: false, status: 410, message: `connection ${connectionId} is gone` });
export const unknownContract = (v: unknown): HubFailure => ({ v: HUB_CONTRACT, ok: false, status: 501, message: `hub contract ${String(v)} is not known to this hub (it speaks ${HUB_CONTRACT})` });
export type GroupsReply = HubReply<{ groups: string[] }>;
