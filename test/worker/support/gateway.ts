/**
 * Test helpers inside workerd: serve any definition through the Worker's own app (the same `createApp` the
 * entry uses) and reach the real local backend started by the global setup.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { inject } from "vitest";
import { createApp, type App } from "../../../src/app.ts";
import { compileDefinition } from "../../../src/config/compile.ts";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { EmbeddedConfigSource } from "../../../src/deploy/config-source.ts";
import type { Env } from "../../../src/env.ts";
import type { AppState } from "../../../src/pipeline/app-state.ts";
import { isLocalDev } from "../../../src/security/outbound.ts";

/** The real local backend's base URL, e.g. http://127.0.0.1:40123. */
export const backendUrl = (): string => inject("backendUrl");

export interface TestGateway {
  id: string;
  /** Sends a request to the gateway; `path` includes the stage (`/prod/pets`). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  request(request: Request): Promise<Response>;
  /** The app's own state (its memos, cache memory tier, unsent metrics): src/pipeline/app-state.ts. */
  state: AppState;
  /** The same app — the same state — serving with other values in its environment (a rotated secret, say). */
  withEnv(extraEnv: Partial<Env>): TestGateway;
}

/**
 * Serves `definition`, compiled as this Worker would compile it: the test Worker runs with PORTICO_LOCAL_DEV (its
 * backend is on loopback), unless `extraEnv` turns it off.
 */
export async function gatewayFor(definition: ApiDefinition, extraEnv: Partial<Env> = {}): Promise<TestGateway> {
  const merged = { ...(env as unknown as Env), ...extraEnv };
  const { id, bundle } = await compileDefinition(definition, { localDev: isLocalDev(merged) });
  return serving(id, createApp({ source: new EmbeddedConfigSource(id, bundle) }), merged);
}

function serving(id: string, app: App, appEnv: Env): TestGateway {
  const request = async (req: Request) => {
    const ctx = createExecutionContext();
    const res = await app.fetch(req, appEnv, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
  return {
    id,
    request,
    fetch: (path, init) => request(new Request(`http://gateway.test${path}`, init)),
    state: app.state,
    withEnv: (extraEnv) => serving(id, app, { ...appEnv, ...extraEnv }),
  };
}
