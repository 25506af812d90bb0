/**
 * The Hono app: the admin API under its reserved prefix, and the data plane (the request pipeline) for
 * everything else.
 */
import { Hono } from "hono";
import { adminApp } from "./admin/index.ts";
import type { ConfigSource } from "./deploy/config-source.ts";
import type { Env } from "./env.ts";
import { RequestContext } from "./pipeline/context.ts";
import { buildPipeline } from "./pipeline/stages.ts";

/** Requests under this prefix are the admin API's; no stage can be named after it (stage names start alphanumeric). */
export const ADMIN_PREFIX = "/_portico";

export interface AppOptions {
  source: ConfigSource;
}

export function createApp({ source }: AppOptions): Hono<{ Bindings: Env }> {
  const app = new Hono<{ Bindings: Env }>();
  const pipeline = buildPipeline({ source });

  app.route(ADMIN_PREFIX, adminApp(ADMIN_PREFIX));
  // Anything else under the prefix is the admin API's too, never a stage of the data plane.
  app.all(`${ADMIN_PREFIX}/*`, (c) => c.json({ message: `no admin route ${c.req.method} ${c.req.path}` }, 404));
  app.all("*", (c) => pipeline(new RequestContext(c.req.raw, c.env, c.executionCtx)));
  return app;
}
