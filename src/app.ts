/**
 * The Worker's request handling: the admin API (a Hono app) under its reserved prefix, and the data plane (the
 * request pipeline) for everything else. Data-plane requests go to the pipeline directly — the router in front
 * of it would only ever pick the pipeline, and the hot path need not pay for it.
 */
import { Hono } from "hono";
import { adminApp } from "./admin/index.ts";
import { adminHostOf, onAdminHost } from "./admin/admin-host.ts";
import { dashboardPage } from "./dashboard/index.ts";
import type { ServerFacts } from "./admin/server.ts";
import type { ConfigSource } from "./deploy/config-source.ts";
import type { Env } from "./env.ts";
import { AppState } from "./pipeline/app-state.ts";
import { RequestContext } from "./pipeline/context.ts";
import { buildPipeline } from "./pipeline/steps.ts";

/** Requests under this prefix are the admin API's; no stage can be named after it (stage names start alphanumeric). */
export const ADMIN_PREFIX = "/_portico";

export interface AppOptions {
  source: ConfigSource;
  /** What the Worker serves unpublished, for the admin API's `GET /server`. */
  facts?: () => ServerFacts;
}

export interface App {
  fetch(request: Request, env: Env, exec: ExecutionContext): Promise<Response>;
  /** What this app remembers across its requests (memos, cache memory tier, unsent metrics and shadow results): its own, no other's. */
  readonly state: AppState;
}

const notOnAdminHost = () =>
  new Response(JSON.stringify({ message: "Not Found" }), { status: 404, headers: { "content-type": "application/json", "x-content-type-options": "nosniff", "cache-control": "no-store" } });

/** Builds an app with state of its own (app-state.ts): apps made in one isolate share none. */
export function createApp({ source, facts }: AppOptions): App {
  const state = new AppState();
  const pipeline = buildPipeline({ source });
  const admin = new Hono<{ Bindings: Env }>();
  // The dashboard's page (src/dashboard/): `/_portico/`, public — it holds no data until signed in.
  admin.get(`${ADMIN_PREFIX}/`, (c) => dashboardPage(c.req.raw, c.env));
  admin.route(ADMIN_PREFIX, adminApp(ADMIN_PREFIX, { source, metrics: state.metrics, shadow: state.shadow.buffer, ...(facts ? { facts } : {}) }));
  // Anything else under the prefix is the admin API's too, never a stage of the data plane.
  admin.all("*", (c) => c.json({ message: `no admin route ${c.req.method} ${c.req.path}` }, 404));

  return {
    state,
    async fetch(request, env, exec) {
      const ctx = new RequestContext(request, env, exec, state);
      const path = ctx.url.pathname;
      if (path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`)) return admin.fetch(request, env, exec);
      // The admin host serves the admin API and the dashboard only: no API is routed there, whatever its domains say,
      // so nothing a backend returns ever shares the dashboard's origin (admin/admin-host.ts).
      if (onAdminHost(ctx.url, adminHostOf(env))) return notOnAdminHost();
      return pipeline(ctx);
    },
  };
}
