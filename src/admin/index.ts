/**
 * The admin API, mounted under ADMIN_PREFIX. Every route but the health check and the OpenAPI document needs
 * `Authorization: Bearer <ADMIN_TOKEN>` (a Worker secret), compared in constant time. With no token configured
 * the admin API refuses to serve (503) and says how to set one.
 */
import { Hono } from "hono";
import type { Env } from "../env.ts";
import { constantTimeEqual } from "../security/constant-time.ts";
import type { ConfigSource } from "../deploy/config-source.ts";
import { connectionRoutes } from "./connections.ts";
import { deploymentRoutes } from "./deployments.ts";
import { keyRoutes } from "./keys.ts";
import { metricsRoutes } from "./metrics.ts";
import { shadowRoutes } from "./shadow.ts";
import { usageRoutes } from "./usage.ts";
import { AdminError, adminErrorResponse, contractError } from "./http.ts";
import { openApiDocument } from "./openapi.ts";
import { serverRoutes, type ServerFacts } from "./server.ts";
import { dashboardRoutes, hasDashboardSession } from "../dashboard/index.ts";
import type { MetricsBuffer } from "../observability/metrics.ts";
import type { ShadowBuffer } from "../observability/shadow/buffer.ts";

export const NO_TOKEN_MESSAGE =
  "The admin API is disabled: no ADMIN_TOKEN secret is configured. Set one with `wrangler secret put ADMIN_TOKEN`; " +
  "for local development copy .dev.vars.example to .dev.vars.";

export interface AdminOptions {
  /** The data plane's config source: connection routes find a stage's version as requests do. */
  source?: ConfigSource;
  /** What the Worker serves unpublished (`GET /server`). */
  facts?: () => ServerFacts;
  /** The serving app's unsent metrics (its AppState), sent before a metrics read so what was just served shows up. */
  metrics?: MetricsBuffer;
  /** The serving app's unsent shadow results (its AppState), sent before a shadow report or gate reads them. */
  shadow?: ShadowBuffer;
}

/** The admin API. createApp passes every option; without `metrics`/`shadow` (an admin API alone) nothing unsent is flushed. */
export function adminApp(prefix: string, options: AdminOptions = {}): Hono<{ Bindings: Env }> {
  const admin = new Hono<{ Bindings: Env }>();

  admin.onError((err, c) => {
    if (err instanceof AdminError) return adminErrorResponse(c, err);
    const mismatch = contractError(err);
    console.error(JSON.stringify({ level: "error", event: "admin-error", path: c.req.path, detail: `${err.name}: ${err.message}` }));
    if (mismatch) return adminErrorResponse(c, mismatch);
    return c.json({ message: "Internal error" }, 500);
  });
  admin.notFound((c) => c.json({ message: `no admin route ${c.req.method} ${c.req.path}` }, 404));

  admin.get("/health", (c) => c.json({ ok: true }));
  admin.get("/openapi.json", (c) => c.json(openApiDocument(prefix)));
  // The dashboard's page, assets and sign-in (src/dashboard/): no token needed to load a page that holds no data.
  dashboardRoutes(admin, prefix);

  admin.use("*", async function requireAdminToken(c, next) {
    const token = c.env.ADMIN_TOKEN;
    if (!token) throw new AdminError(503, NO_TOKEN_MESSAGE);
    const given = /^Bearer\s+(.+)$/i.exec(c.req.header("authorization") ?? "")?.[1]?.trim() ?? "";
    // The bearer token, or the dashboard's session cookie (with its header: dashboard/index.ts).
    if (!(given ? constantTimeEqual(given, token) : await hasDashboardSession(c.req.raw, c.env, token))) {
      c.header("www-authenticate", 'Bearer realm="portico-admin"');
      throw new AdminError(401, "Unauthorized: send Authorization: Bearer <ADMIN_TOKEN>");
    }
    await next();
  });

  deploymentRoutes(admin, options.shadow);
  metricsRoutes(admin, options.facts, options.metrics);
  shadowRoutes(admin, options.shadow);
  keyRoutes(admin);
  usageRoutes(admin);
  serverRoutes(admin, options.facts);
  if (options.source) connectionRoutes(admin, options.source);
  return admin;
}
