/**
 * The Worker entry: the default export serves every request through the app (src/app.ts); Durable Object classes are
 * re-exported here for their bindings.
 */
import embedded from "@portico/embedded-bundle";
import { createApp } from "./app.ts";
import { upgradeBundle, type Bundle } from "./config/bundle.ts";
import { EmbeddedConfigSource } from "./deploy/config-source.ts";
import { RegistryConfigSource } from "./deploy/registry-source.ts";
import type { Env } from "./env.ts";

/** The embedded default bundle, written at build time by `portico embed` (see wrangler.toml's alias). */
const EMBEDDED = embedded as { id: string; bundle: Bundle; others?: { id: string; bundle: Bundle }[] };
/** APIs embedded beside the default one (served on their domains), upgraded like it. */
const OTHERS = (EMBEDDED.others ?? []).map((o) => ({ id: o.id, bundle: upgradeBundle(o.bundle) }));

let app: ReturnType<typeof createApp> | undefined;

export default {
  fetch(request, env, ctx) {
    // Built on the first request: the source needs the environment, which only arrives with a request.
    app ??= createApp({ source: new RegistryConfigSource(env, new EmbeddedConfigSource(EMBEDDED.id, upgradeBundle(EMBEDDED.bundle), env.PORTICO_API, OTHERS)) });
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;

export { ConnectionHub } from "../durable-objects/connection-hub/index.ts";
export { RateLimiter } from "../durable-objects/rate-limiter/index.ts";
export { Registry } from "../durable-objects/registry/index.ts";
export { UsageQuota } from "../durable-objects/usage-quota/index.ts";
