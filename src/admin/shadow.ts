/**
 * Shadow evaluation through the admin API: start one (`POST`, `{"deploymentId", "percent"}`), read its report
 * (`GET`), stop it (`DELETE`). The Registry keeps the candidate with the stage's pointers, so every isolate picks it
 * up with the stage's pointers (their KV snapshot), and the report the isolates send (docs/observability.md#shadow-evaluation).
 */
import type { Hono } from "hono";
import { REGISTRY_CONTRACT } from "../../durable-objects/registry/contract.ts";
import { registryFor } from "../deploy/registry-client.ts";
import type { ServingState, ShadowReport, StageState } from "../deploy/types.ts";
import type { Env } from "../env.ts";
import { flushShadow, type ShadowBuffer } from "../observability/shadow/buffer.ts";
import { AdminError, API_NAME, FieldChecker, ITEM_NAME, param, readJsonObject, registryAnswer } from "./http.ts";

const V = REGISTRY_CONTRACT;

type AdminApp = Hono<{ Bindings: Env }>;

async function registryOf(env: Env, name: string | undefined) {
  const api = param(name, API_NAME, "api");
  const registry = registryFor(env, api);
  if (!registryAnswer<ServingState>(await registry.serving({ v: V, api })).api) throw new AdminError(404, `no API "${api}" has been deployed`);
  return registry;
}

/** `shadow`: the serving app's unsent results (its AppState), sent before a report is read. */
export function shadowRoutes(app: AdminApp, shadow?: ShadowBuffer): void {
  const path = "/apis/:api/stages/:stage/shadow";

  app.post(path, async (c) => {
    const registry = await registryOf(c.env, c.req.param("api"));
    const check = new FieldChecker(await readJsonObject(c.req.raw));
    const deploymentId = check.string("deploymentId", { required: true, pattern: /^[0-9a-f]{6,64}$/ });
    const percent = check.number("percent", { required: true, min: 0.01, max: 100, decimals: 2 });
    check.done();
    return c.json(registryAnswer<StageState>(await registry.startShadow({ v: V, stage: param(c.req.param("stage"), ITEM_NAME, "stage"), version: deploymentId!, percent: percent! })), 201);
  });

  app.get(path, async (c) => {
    const registry = await registryOf(c.env, c.req.param("api"));
    // This app's unsent results first, so what was just evaluated shows up.
    if (shadow) await flushShadow(c.env, shadow);
    return c.json(registryAnswer<ShadowReport>(await registry.shadowReport({ v: V, stage: param(c.req.param("stage"), ITEM_NAME, "stage") })));
  });

  app.delete(path, async (c) => {
    const registry = await registryOf(c.env, c.req.param("api"));
    return c.json(registryAnswer<StageState>(await registry.stopShadow({ v: V, stage: param(c.req.param("stage"), ITEM_NAME, "stage") })));
  });
}
