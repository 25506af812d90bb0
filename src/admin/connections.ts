/**
 * Admin routes for WebSocket connections — the `@connections` operations with the admin token instead of SigV4,
 * plus what Amazon has no call for: live connections and counts per stage (every hub asked at once) and
 * broadcasts. The stage's version is resolved as the data plane resolves it (published, else embedded), so the
 * example chat served by `npm run dev` is reachable too.
 *
 * GET    /apis/{api}/stages/{stage}/connections[?group=&limit=]    → {stats: {connections, byVersion, groups, hubs}, connections}
 * GET    /apis/{api}/stages/{stage}/connections/{id}                 → the connection (Amazon's GetConnection, and more)
 * POST   /apis/{api}/stages/{stage}/connections/{id}   {data}        → {sent: true}
 * DELETE /apis/{api}/stages/{stage}/connections/{id}                 → {closed: true} (the client sees close 1000)
 * PUT|DELETE /apis/{api}/stages/{stage}/connections/{id}/groups/{group} → {groups}
 * POST   /apis/{api}/stages/{stage}/broadcast          {data, group?} → {delivered}
 */
import type { Context, Hono } from "hono";
import type { BundleWebSocket } from "../config/bundle.ts";
import type { ConfigSource } from "../deploy/config-source.ts";
import type { Env } from "../env.ts";
import { broadcast, changeGroups, deleteConnection, getConnection, listConnections, postToConnection, type OpResult } from "../websocket/operations.ts";
import { AdminError, FieldChecker, readJsonObject, param, API_NAME, ITEM_NAME } from "./http.ts";

type AdminApp = Hono<{ Bindings: Env }>;
const MAX_LIST = 1000;

async function webSocketStage(c: Context<{ Bindings: Env }>, source: ConfigSource): Promise<{ api: string; stage: string; settings: BundleWebSocket }> {
  const api = param(c.req.param("api"), API_NAME, "api");
  const stage = param(c.req.param("stage"), ITEM_NAME, "stage");
  const found = source.resolveStage(api, stage, { request: c.req.raw, clientIp: "" });
  const resolution = found instanceof Promise ? await found : found;
  if (!resolution) throw new AdminError(404, `no stage ${api}/${stage}`);
  const settings = resolution.bundle.bundle.websocket;
  if (!settings) throw new AdminError(409, `${api} is not a WebSocket API (flavor ${resolution.bundle.bundle.api.flavor})`);
  return { api, stage, settings };
}

function unwrapOp<T>(result: OpResult<T>): T {
  if (result.ok) return result.value;
  throw new AdminError(result.status === 501 || result.status === 403 ? 409 : result.status, result.message);
}

export function connectionRoutes(admin: AdminApp, source: ConfigSource): void {
  const base = "/apis/:api/stages/:stage";
  const where = (c: Context<{ Bindings: Env }>, s: { api: string; stage: string }) => ({ env: c.env, api: s.api, stage: s.stage });

  admin.get(`${base}/connections`, async (c) => {
    const s = await webSocketStage(c, source);
    const group = c.req.query("group") ?? null;
    const limitText = c.req.query("limit");
    const limit = limitText === undefined ? 100 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LIST) throw new AdminError(400, "invalid request", [{ path: ["limit"], message: `must be an integer from 0 to ${MAX_LIST}` }]);
    return c.json(unwrapOp(await listConnections(where(c, s), s.settings.hubs, group, limit)));
  });

  admin.get(`${base}/connections/:id`, async (c) => {
    const s = await webSocketStage(c, source);
    return c.json(unwrapOp(await getConnection(where(c, s), c.req.param("id"))));
  });

  admin.post(`${base}/connections/:id`, async (c) => {
    const s = await webSocketStage(c, source);
    const check = new FieldChecker(await readJsonObject(c.req.raw));
    const data = check.string("data", { required: true, max: s.settings.limits.maxMessageBytes });
    check.done();
    unwrapOp(await postToConnection(where(c, s), c.req.param("id"), data!));
    return c.json({ sent: true });
  });

  admin.delete(`${base}/connections/:id`, async (c) => {
    const s = await webSocketStage(c, source);
    unwrapOp(await deleteConnection(where(c, s), c.req.param("id")));
    return c.json({ closed: true });
  });

  for (const method of ["put", "delete"] as const)
    admin[method](`${base}/connections/:id/groups/:group`, async (c) => {
      const s = await webSocketStage(c, source);
      const group = c.req.param("group");
      const change = method === "put" ? { join: [group] } : { leave: [group] };
      return c.json({ groups: unwrapOp(await changeGroups(where(c, s), c.req.param("id"), change)) });
    });

  admin.post(`${base}/broadcast`, async (c) => {
    const s = await webSocketStage(c, source);
    const check = new FieldChecker(await readJsonObject(c.req.raw));
    const data = check.string("data", { required: true, max: s.settings.limits.maxMessageBytes });
    const group = check.string("group");
    check.done();
    return c.json(unwrapOp(await broadcast(where(c, s), s.settings.hubs, group ?? null, data!)));
  });
}
