/**
 * `GET /server`: what this Worker serves without anything being published — the API on its own host names, the
 * embedded bundle (API, version, stages, domains) and, in a `portico dev` session, the definition file it
 * serves and the stages it serves from it. The CLI reads it so that `stages` and `history` tell the truth
 * before any deploy, and so that a `deploy` this server would not serve is refused with the reason.
 */
import type { Hono } from "hono";
import type { Env } from "../env.ts";
import type { ServerFacts } from "./server-facts.ts";

export type { ServerFacts } from "./server-facts.ts";

export function serverRoutes(app: Hono<{ Bindings: Env }>, facts: (() => ServerFacts) | undefined): void {
  app.get("/server", (c) => {
    if (!facts) return c.json({ message: "this app was built without server facts" }, 404);
    return c.json(facts());
  });
}
