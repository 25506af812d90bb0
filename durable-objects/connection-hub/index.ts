/**
 * ConnectionHub: holds WebSocket connections of one API × stage — one of `websocket.hubs` objects, named
 * `hub:<api>:<stage>:<n>` (STORAGE.md) — with the WebSocket Hibernation API, so an idle connection costs no
 * duration. Each socket's attachment carries everything its messages need (identity, authorizer context,
 * groups, the bundle version it connected with); a hub woken by a message reads nothing per connection.
 *
 * Messages run through the message pipeline (src/websocket/message-steps.ts). `$disconnect` is delivered at
 * most once per connection, whoever closed it (client, `@connections` DELETE, a limit, the idle or age alarm);
 * a connection lost to a restart of the hub itself (a code deploy, a runtime update) gets none — best effort.
 * RPC methods take `{ v: HUB_CONTRACT, … }` (src/websocket/hub-contract.ts).
 */
import { DurableObject } from "cloudflare:workers";
import type { BundleWebSocket } from "../../src/config/bundle.ts";
import { WEBSOCKET_DEFAULTS } from "../../src/config/compile-websocket.ts";
import { flushMetrics } from "../../src/observability/metrics.ts";
import { AppState } from "../../src/pipeline/app-state.ts";
import { ATTACHMENT_FORMAT, connectionInfo, type ConnectionAttachment } from "../../src/websocket/attachment.ts";
import { shardOf } from "../../src/websocket/connection-id.ts";
import {
  gone, HUB_CONNECT_HEADER, HUB_CONTRACT, NEED_BUNDLE_STATUS, unknownContract, type StoreBundleCall,
  type BroadcastCall, type BroadcastReply, type ConnectionCall, type GroupsCall, type GroupsReply, type HubConnect, type HubReply, type HubRpc, type InfoReply, type ListCall, type ListReply, type PostCall,
} from "../../src/websocket/hub-contract.ts";
import { CLOSE, lazyJson, runMessage, type HubActions } from "../../src/websocket/message-steps.ts";
import { broadcast as broadcastAll } from "../../src/websocket/operations.ts";
import { HubAttachments } from "./attachments.ts";
import { HubBundles } from "./bundles.ts";
import { disconnectEvent } from "./disconnect.ts";
import { HubMemory } from "./memory.ts";
import type { ConnectionHubEnv } from "./env.ts";

const DEFAULT_FLUSH_MS = 5000;
/**
 * The alarm runs at most this often: each run reads every attachment, and with many connections their deadlines
 * are spread out, so one run per deadline would sweep a big hub again and again. A deadline is met within this.
 */
const SWEEP_EVERY_MS = 5000;
/** Messages of one connection that may wait for the one before it; more are refused (see webSocketMessage). */
export const MAX_QUEUED = 64;

export class ConnectionHub extends DurableObject<ConnectionHubEnv> implements HubRpc {
  readonly #memory = new HubMemory();
  readonly #bundles: HubBundles;
  /**
   * This instance's own state, as createApp makes one per app: memos, cache tiers and unsent metrics of the
   * integrations and events it runs are never another hub's (src/pipeline/app-state.ts).
   */
  readonly #state = new AppState();
  readonly #exec: ExecutionContext;
  readonly #attachments: HubAttachments;
  /** Each connection's actions, made once while this instance lives (not per message). */
  readonly #acting = new WeakMap<WebSocket, HubActions>();
  /** Per connection: the last message still running, which the next one waits for. */
  readonly #queues = new WeakMap<WebSocket, Promise<void>>();
  readonly #waiting = new WeakMap<WebSocket, number>();
  /** The alarm as this instance knows it: undefined until read once, null when none is set. */
  #alarmAt: number | null | undefined;

  constructor(ctx: DurableObjectState, env: ConnectionHubEnv) {
    super(ctx, env);
    // Nothing read here: a hub woken by a message must cost no storage read per connection.
    this.#bundles = new HubBundles(ctx.storage.sql);
    this.#attachments = new HubAttachments(ctx);
    this.#exec = { waitUntil: (p) => ctx.waitUntil(p), passThroughOnException() {}, props: {} } as ExecutionContext;
  }

  /** The upgrade, handed over by the Worker's pipeline (hub-client.ts): accept the socket, keep its attachment. */
  override async fetch(request: Request): Promise<Response> {
    let call: HubConnect;
    try {
      call = JSON.parse(decodeURIComponent(request.headers.get(HUB_CONNECT_HEADER) ?? "")) as HubConnect;
    } catch {
      return new Response(`expected a HubConnect in ${HUB_CONNECT_HEADER}`, { status: 400 });
    }
    if (call?.v !== HUB_CONTRACT) return new Response(unknownContract(call?.v).message, { status: 501 });
    const attachment = call.attachment;
    if (attachment?.f !== ATTACHMENT_FORMAT) return new Response("unknown attachment format", { status: 400 });
    const bundle = this.#bundles.holds(attachment.portico.version) ? this.#bundles.get(attachment.portico.version) : undefined;
    if (!bundle) return new Response(null, { status: NEED_BUNDLE_STATUS });

    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    // The connection id is the socket's tag: getWebSockets(id) finds it without reading any attachment.
    this.ctx.acceptWebSocket(server, [attachment.portico.id]);
    this.#attachments.save(server, attachment);
    this.#memory.lastActive.set(attachment.portico.id, attachment.portico.connectedAt);
    const limits = bundle.bundle.websocket!.limits;
    await this.#scheduleSweep(attachment.portico.connectedAt + Math.min(limits.idleTimeoutSeconds, limits.maxConnectionSeconds) * 1000);
    this.#count(attachment, { wsConnects: 1 });
    return new Response(null, { status: 101, webSocket: client });
  }

  /**
   * One connection's messages run one after another, in the order they arrived (a `send` after a `join` sees the
   * join done), while other connections' messages run meanwhile. A Durable Object delivers the next event as soon
   * as this one awaits I/O, so the order is kept here: each message waits for the one before it, of its own
   * connection only. (Objects of one Durable Object may be shared by its events, unlike a Worker's requests.)
   */
  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // A client that floods while its earlier messages wait on a slow integration must not grow the hub without
    // bound: past MAX_QUEUED waiting messages, new ones are refused at once (Amazon's throttling frame).
    const waiting = this.#waiting.get(ws) ?? 0;
    if (waiting >= MAX_QUEUED) {
      const a = this.#attachments.get(ws);
      if (a) ws.send(JSON.stringify({ message: "Too Many Requests", connectionId: a.portico.id, requestId: crypto.randomUUID() }));
      return;
    }
    this.#waiting.set(ws, waiting + 1);
    const before = this.#queues.get(ws);
    const run = before ? before.then(() => this.#message(ws, message)) : this.#message(ws, message);
    const settled = run.catch(() => {});
    this.#queues.set(ws, settled);
    try {
      await run;
    } finally {
      this.#waiting.set(ws, (this.#waiting.get(ws) ?? 1) - 1);
      if (this.#queues.get(ws) === settled) this.#queues.delete(ws);
    }
  }

  async #message(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const attachment = this.#attachments.get(ws);
    if (!attachment || attachment.portico.disconnected) return;
    const p = attachment.portico;
    const bundle = this.#bundles.get(p.version);
    if (!bundle) {
      // Only a hub whose storage lost the version could get here: say so, and let the client reconnect.
      console.error(JSON.stringify({ level: "error", event: "websocket-bundle-missing", api: p.api, stage: p.stage, version: p.version }));
      this.#close(ws, attachment, CLOSE.internal, "Internal server error");
      return;
    }
    const now = Date.now();
    this.#memory.lastActive.set(p.id, now);
    if (now - p.lastActiveAt >= 1000) {
      p.lastActiveAt = now;
      this.#attachments.save(ws, attachment);
    }
    this.#count(attachment, { wsMessages: 1 });
    const text = () => (typeof message === "string" ? message : "");
    await runMessage({
      actions: this.#actionsFor(ws, attachment, bundle.bundle.websocket!),
      attachment: this.#attachments.withIdentity(attachment),
      bundle,
      stageVariables: p.variableOverrides ? { ...bundle.bundle.stages[p.stage]?.variables, ...p.variableOverrides } : (bundle.bundle.stages[p.stage]?.variables ?? {}),
      env: this.env,
      exec: this.#exec,
      state: this.#state,
      message,
      text: "",
      json: lazyJson(text, bundle.bundle.settings.jsonLimits),
      messageId: crypto.randomUUID(),
      requestId: crypto.randomUUID(),
      receivedAt: now,
      route: undefined,
      reply: undefined,
    });
  }

  // With web_socket_auto_reply_to_close (compatibility date ≥ 2026-04-07) the runtime answers the client's Close
  // frame itself; the hub never echoes the code — 1005, 1006 and 1015 are reserved and close() would throw on them.
  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    await this.#disconnected(ws, code, reason);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.#disconnected(ws, 1006, "connection error");
  }

  /** Closes connections past their idle timeout or maximum age (1001, as Amazon), then sets the next alarm. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    let next = Infinity;
    const versions = new Set<string>();
    for (const [ws, a] of this.#attachments.sockets()) {
      const limits = this.#bundles.get(a.portico.version)?.bundle.websocket?.limits ?? WEBSOCKET_DEFAULTS.limits;
      versions.add(a.portico.version);
      const idleAt = (this.#memory.lastActive.get(a.portico.id) ?? a.portico.lastActiveAt) + limits.idleTimeoutSeconds * 1000;
      const ageAt = a.portico.connectedAt + limits.maxConnectionSeconds * 1000;
      if (now >= ageAt) this.#close(ws, a, CLOSE.goingAway, "Going away: maximum connection time reached");
      else if (now >= idleAt) this.#close(ws, a, CLOSE.goingAway, "Going away: idle timeout");
      else next = Math.min(next, idleAt, ageAt);
    }
    this.#bundles.prune(versions);
    this.#alarmAt = null;
    if (next < Infinity) await this.#scheduleSweep(Math.max(next, now + SWEEP_EVERY_MS));
  }

  // --- RPC (hub-contract.ts) ---

  /** Keeps a bundle version the Worker sends after NEED_BUNDLE_STATUS (the Worker is trusted: only it can call a hub). */
  storeBundle(call: StoreBundleCall): HubReply {
    if (call?.v !== HUB_CONTRACT) return unknownContract(call?.v);
    this.#bundles.put(call.id, call.bundle);
    return { v: HUB_CONTRACT, ok: true };
  }

  post(call: PostCall): HubReply {
    if (call?.v !== HUB_CONTRACT) return unknownContract(call?.v);
    const found = this.#attachments.find(call.connectionId);
    if (!found) return gone(call.connectionId);
    found[0].send(call.data);
    this.#count(found[1], { wsMessagesOut: 1 });
    return { v: HUB_CONTRACT, ok: true };
  }

  info(call: ConnectionCall): InfoReply {
    if (call?.v !== HUB_CONTRACT) return unknownContract(call?.v);
    const found = this.#attachments.find(call.connectionId);
    if (!found) return gone(call.connectionId);
    return { v: HUB_CONTRACT, ok: true, connection: connectionInfo(found[1], this.#memory.lastActive.get(call.connectionId)) };
  }

  disconnect(call: ConnectionCall): HubReply {
    if (call?.v !== HUB_CONTRACT) return unknownContract(call?.v);
    const found = this.#attachments.find(call.connectionId);
    if (!found) return gone(call.connectionId);
    this.#close(found[0], found[1], CLOSE.normal, "Connection closed");
    return { v: HUB_CONTRACT, ok: true };
  }

  groups(call: GroupsCall): GroupsReply {
    if (call?.v !== HUB_CONTRACT) return unknownContract(call?.v);
    const found = this.#attachments.find(call.connectionId);
    if (!found) return gone(call.connectionId);
    const [ws, a] = found;
    const max = this.#bundles.get(a.portico.version)?.bundle.websocket?.limits.maxGroupsPerConnection ?? WEBSOCKET_DEFAULTS.limits.maxGroupsPerConnection;
    const next = a.app.groups.filter((g) => !(call.leave ?? []).includes(g));
    for (const g of call.join ?? []) if (!next.includes(g) && next.length < max) next.push(g);
    this.#setGroups(ws, a, next);
    return { v: HUB_CONTRACT, ok: true, groups: next };
  }

  broadcast(call: BroadcastCall): BroadcastReply {
    if (call?.v !== HUB_CONTRACT) return unknownContract(call?.v);
    let delivered = 0;
    const targets = call.group === null ? this.ctx.getWebSockets() : this.#memory.members(call.group, () => this.#attachments.sockets());
    for (const ws of targets) {
      const a = this.#attachments.get(ws);
      if (!a || a.portico.disconnected) continue;
      try {
        ws.send(call.data);
        delivered++;
      } catch {
        // closing meanwhile: its $disconnect is on its way
      }
    }
    return { v: HUB_CONTRACT, ok: true, delivered };
  }

  list(call: ListCall): ListReply {
    if (call?.v !== HUB_CONTRACT) return unknownContract(call?.v);
    const limit = Math.max(0, Math.min(call.limit ?? 100, 1000));
    const stats = { connections: 0, byVersion: {} as Record<string, number>, groups: {} as Record<string, number> };
    const connections = [];
    for (const [, a] of this.#attachments.sockets()) {
      stats.connections++;
      stats.byVersion[a.portico.version] = (stats.byVersion[a.portico.version] ?? 0) + 1;
      for (const g of a.app.groups) stats.groups[g] = (stats.groups[g] ?? 0) + 1;
      if (connections.length < limit && (!call.group || a.app.groups.includes(call.group))) connections.push(connectionInfo(a, this.#memory.lastActive.get(a.portico.id)));
    }
    return { v: HUB_CONTRACT, ok: true, connections, stats };
  }

  /** Sends the hub's batched connection and message counts to the Registry now (they go every METRICS_FLUSH_MS anyway). */
  async flushMetrics(call: { v: typeof HUB_CONTRACT }): Promise<HubReply> {
    if (call?.v !== HUB_CONTRACT) return unknownContract(call?.v);
    await flushMetrics(this.env, this.#state.metrics);
    return { v: HUB_CONTRACT, ok: true };
  }

  // --- internals ---

  /** The connection's actions, made once per connection while this instance lives (not per message). */
  #actionsFor(ws: WebSocket, a: ConnectionAttachment, settings: BundleWebSocket): HubActions {
    let actions = this.#acting.get(ws);
    if (!actions) this.#acting.set(ws, (actions = this.#actions(ws, a, settings)));
    return actions;
  }

  #actions(ws: WebSocket, a: ConnectionAttachment, settings: BundleWebSocket): HubActions {
    return {
      send: (data) => {
        try {
          ws.send(data);
          this.#count(a, { wsMessagesOut: 1 });
        } catch {
          // the client went away meanwhile
        }
      },
      close: (code, reason) => this.#close(ws, a, code, reason),
      setGroups: (groups) => this.#setGroups(ws, a, groups),
      broadcast: async (group, data) => {
        const own = shardOf(a.portico.id);
        const where = { env: this.env, api: a.portico.api, stage: a.portico.stage };
        // This hub's members are served here; the others through their own hubs, all at once.
        this.broadcast({ v: HUB_CONTRACT, group, data });
        if (settings.hubs > 1) await broadcastAll(where, settings.hubs, group, data, own);
      },
      admitMessage: () => this.#memory.admit(a.portico.id, settings.limits.messagesPerSecond, settings.limits.messageBurst, Date.now()),
    };
  }

  #setGroups(ws: WebSocket, a: ConnectionAttachment, groups: string[]): void {
    const before = a.app.groups;
    a.app.groups = groups;
    this.#attachments.save(ws, a);
    this.#memory.regroup(ws, before, groups);
  }

  /** Delivers `$disconnect` (once) and closes. Codes sent are 1000/1001/1003/1009/1011, never a reserved one. */
  #close(ws: WebSocket, a: ConnectionAttachment, code: number, reason: string): void {
    if (!a.portico.disconnected) this.ctx.waitUntil(this.#deliverDisconnect(ws, a, code, reason));
    try {
      ws.close(code, reason);
    } catch {
      // already closed
    }
  }

  async #disconnected(ws: WebSocket, code: number, reason: string): Promise<void> {
    // The runtime's copy decides (a close is rare, so reading it costs nothing that matters): whoever closed the
    // socket may have marked it without this instance's memo knowing.
    const a = this.#attachments.stored(ws) ?? this.#attachments.get(ws);
    if (a && !a.portico.disconnected && !this.#attachments.markedDisconnected(ws)) await this.#deliverDisconnect(ws, a, code, reason);
  }

  async #deliverDisconnect(ws: WebSocket, a: ConnectionAttachment, code: number, reason: string): Promise<void> {
    this.#attachments.markDisconnected(ws, a);
    this.#memory.forget(a.portico.id, ws);
    this.#count(a, { wsDisconnects: 1 });
    const identity = this.#attachments.withIdentity(a);
    this.#attachments.forgetIdentity(a);
    await disconnectEvent(this.env, this.#exec, this.#state, identity, this.#bundles.get(a.portico.version), code, reason);
  }

  /** Moves the alarm earlier when `at` comes first; the alarm time is read from storage once per instance. */
  async #scheduleSweep(at: number): Promise<void> {
    if (this.#alarmAt === undefined) this.#alarmAt = await this.ctx.storage.getAlarm();
    if (this.#alarmAt !== null && this.#alarmAt <= at) return;
    await this.ctx.storage.setAlarm(at);
    this.#alarmAt = at;
  }

  #count(a: ConnectionAttachment, counts: { wsConnects?: number; wsDisconnects?: number; wsMessages?: number; wsMessagesOut?: number }): void {
    this.#state.metrics.recordWebSocket({ api: a.portico.api, stage: a.portico.stage, version: a.portico.version, ...counts });
    if (this.#state.metrics.due(Number(this.env.METRICS_FLUSH_MS) || DEFAULT_FLUSH_MS)) this.ctx.waitUntil(flushMetrics(this.env, this.#state.metrics));
  }
}
