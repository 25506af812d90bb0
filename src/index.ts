/**
 * The Worker entry: the default export serves every request through the app (src/app.ts); Durable Object classes are
 * re-exported here for their bindings.
 */
import embedded from "@portico/embedded-bundle";
import { createApp } from "./app.ts";
import type { ServerFacts } from "./admin/server.ts";
import type { Bundle } from "./config/bundle.ts";
import { upgradeBundle } from "./config/bundle-upgrade.ts";
import { EmbeddedConfigSource, type ConfigSource } from "./deploy/config-source.ts";
import { DevFileConfigSource, devFileOptions } from "./deploy/dev-file-source.ts";
import { RegistryConfigSource } from "./deploy/registry-source.ts";
import type { Env } from "./env.ts";
import { prepareExecutors } from "./steps/executors.ts";

/** The embedded default bundle, written at build time by `portico embed` (see wrangler.toml's alias). */
const EMBEDDED = embedded as { id: string; bundle: Bundle; others?: { id: string; bundle: Bundle }[] };
/** APIs embedded beside the default one (served on their domains), upgraded like it. */
const OTHERS = (EMBEDDED.others ?? []).map((o) => ({ id: o.id, bundle: upgradeBundle(o.bundle) }));

let app: ReturnType<typeof createApp> | undefined;

export default {
  fetch(request, env, ctx) {
    // Built on the first request: the source needs the environment, which only arrives with a request.
    app ??= buildApp(env);
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;

function buildApp(env: Env): ReturnType<typeof createApp> {
  const dev = devFileOptions(env);
  // In `portico dev` the file's API is the one served on the Worker's own host names, whatever PORTICO_API says.
  const file = new EmbeddedConfigSource(EMBEDDED.id, upgradeBundle(EMBEDDED.bundle), dev ? undefined : env.PORTICO_API, OTHERS);
  const registry = new RegistryConfigSource(env, file, undefined, prepareExecutors);
  const source: ConfigSource = dev ? new DevFileConfigSource(registry, file, dev) : registry;
  const facts: ServerFacts = {
    defaultApi: source.defaultApi(),
    embedded: {
      api: file.bundle.bundle.api.name,
      flavor: file.bundle.bundle.api.flavor,
      version: file.bundle.id,
      stages: Object.keys(file.bundle.bundle.stages),
      domains: file.bundle.bundle.domains.map((d) => ({ host: d.host, basePath: d.basePath, stage: d.stage })),
    },
    others: OTHERS.map((o) => ({
      api: o.bundle.api.name,
      flavor: o.bundle.api.flavor,
      version: o.id,
      stages: Object.keys(o.bundle.stages),
      domains: o.bundle.domains.map((d) => ({ host: d.host, basePath: d.basePath, stage: d.stage })),
    })),
    dev: dev ? { file: dev.file, published: dev.published === "all" ? "all" : [...dev.published] } : null,
  };
  return createApp({ source, facts: () => facts });
}

export { ConnectionHub } from "../durable-objects/connection-hub/index.ts";
export { KeyStore } from "../durable-objects/key-store/index.ts";
export { MetricsStore } from "../durable-objects/metrics-store/index.ts";
export { RateLimiter } from "../durable-objects/rate-limiter/index.ts";
export { Registry } from "../durable-objects/registry/index.ts";
export { UsageQuota } from "../durable-objects/usage-quota/index.ts";
