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
import { usageRoutes } from "./usage.ts";
import { AdminError, adminErrorResponse, contractError } from "./http.ts";
import { openApiDocument } from "./openapi.ts";
import { serverRoutes, type ServerFacts } from "./server.ts";
import type { MetricsBuffer } from "../observability/metrics.ts";

export const NO_TOKEN_MESSAGE =
  "The admin API is disabled: no ADMIN_TOKEN secret is configured. Set one with `wrangler secret put ADMIN_TOKEN`; " +
  "for local development copy .dev.vars.example to .dev.vars.";

/**
 * `source` (the data plane's config source) lets connection routes find a stage's version as requests do;
 * `facts` describes what the Worker serves unpublished (`GET /server`). The Worker entry passes both.
 */
export function adminApp(prefix: string, options: { source?: ConfigSource; facts?: () => ServerFacts; metrics?: MetricsBuffer } = {}): Hono<{ Bindings: Env }> {
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

  admin.use("*", async function requireAdminToken(c, next) {
    const token = c.env.ADMIN_TOKEN;
    if (!token) throw new AdminError(503, NO_TOKEN_MESSAGE);
    const given = /^Bearer\s+(.+)$/i.exec(c.req.header("authorization") ?? "")?.[1]?.trim() ?? "";
    if (!constantTimeEqual(given, token)) {
      c.header("www-authenticate", 'Bearer realm="portico-admin"');
      throw new AdminError(401, "Unauthorized: send Authorization: Bearer <ADMIN_TOKEN>");
    }
    await next();
  });

  deploymentRoutes(admin, options.metrics);
  keyRoutes(admin);
  usageRoutes(admin);
  serverRoutes(admin, options.facts);
  if (options.source) connectionRoutes(admin, options.source);
  return admin;
}
