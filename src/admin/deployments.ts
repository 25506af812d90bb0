/**
 * Admin routes for deployments: validate and publish definitions, list stages and history, roll back, and run
 * canaries (set, promote, delete, automated) with per-version metrics. Handlers check input with field paths,
 * then make one Registry call that does the work in one transaction.
 */
import type { Hono } from "hono";
import { canonicalJson } from "../config/bundle.ts";
import { compileDefinition, type CompiledDefinition } from "../config/compile.ts";
import { DefinitionError, type FieldError } from "../config/field-errors.ts";
import { parseDefinitionText } from "../config/load.ts";
import { definitionWarnings } from "../config/warnings.ts";
import { storeBundle } from "../deploy/bundle-store.ts";
import { ownershipConflict, type DomainOwners } from "../deploy/domain-ownership.ts";
import { domainIndex, registryFor } from "../deploy/registry-client.ts";
import type { AutoCanaryConfig, DeploymentRecord, DomainRow, HistoryEntry, ServingState, StickyKey } from "../deploy/types.ts";
import type { ShadowGate } from "../../durable-objects/registry/contract.ts";
import type { Env } from "../env.ts";
import { isLocalDev } from "../security/outbound.ts";
import { flushShadow, type ShadowBuffer } from "../observability/shadow/buffer.ts";
import { REGISTRY_CONTRACT } from "../../durable-objects/registry/contract.ts";
import { AdminError, FieldChecker, readJsonObject, param, registryAnswer, API_NAME, ITEM_NAME } from "./http.ts";

const V = REGISTRY_CONTRACT;

/** Largest compiled bundle: the Registry's copy lives in one SQLite row (2 MB), with room to spare. */
export const MAX_BUNDLE_BYTES = 1_900_000;
const STAGE_NAME = ITEM_NAME;
const VARIABLE_NAME = /^[A-Za-z0-9_]{1,64}$/;
const STICKY_KINDS = ["none", "apiKey", "sub", "header", "cookie", "ip"];

type AdminApp = Hono<{ Bindings: Env }>;



/** Compiled under this Worker's rules: loopback and private targets only when it runs with PORTICO_LOCAL_DEV. */
async function compileBodyDefinition(definition: unknown, env: Env): Promise<CompiledDefinition & { warnings: FieldError[] }> {
  const options = { localDev: isLocalDev(env) };
  let value = definition;
  if (typeof definition === "string") {
    const parsed = parseDefinitionText(definition);
    if (parsed.errors.length) throw new AdminError(400, "invalid API definition", parsed.errors.map((e) => ({ path: ["definition", ...e.path], message: e.message })));
    value = parsed.value;
  }
  try {
    const compiled = await compileDefinition(value, options);
    return { ...compiled, warnings: definitionWarnings(value).map((w) => ({ path: ["definition", ...w.path], message: w.message })) };
  } catch (err) {
    if (err instanceof DefinitionError)
      throw new AdminError(400, "invalid API definition", err.errors.map((e) => ({ path: ["definition", ...e.path], message: e.message })));
    throw err;
  }
}

async function knownApi(env: Env, api: string) {
  const registry = registryFor(env, api);
  const state = registryAnswer<ServingState>(await registry.serving({ v: V, api }));
  if (!state.api) throw new AdminError(404, `no API "${api}" has been deployed`);
  return { registry, state };
}

/**
 * `shadow`: the app's unsent shadow results, sent before a canary gated on a clean shadow report is judged (none: an
 * admin API alone, as in tests).
 */
export function deploymentRoutes(app: AdminApp, shadow?: ShadowBuffer): void {
  app.post("/validate", async (c) => {
    const body = await readJsonObject(c.req.raw);
    if (body.definition === undefined) throw new AdminError(400, "invalid request", [{ path: ["definition"], message: "required" }]);
    try {
      const { id, bundle, warnings } = await compileBodyDefinition(body.definition, c.env);
      return c.json({ valid: true, id, api: bundle.api.name, routes: bundle.routes.length, errors: [], warnings });
    } catch (err) {
      if (err instanceof AdminError && err.status === 400) return c.json({ valid: false, errors: err.errors });
      throw err;
    }
  });

  app.post("/deployments", async (c) => {
    const body = await readJsonObject(c.req.raw);
    const check = new FieldChecker(body);
    const stage = check.string("stage", { required: true, pattern: STAGE_NAME });
    const description = check.string("description", { max: 1024 });
    const canary = check.number("canary", { min: 0, max: 100, decimals: 2 });
    if (body.definition === undefined) check.fail(["definition"], "required");
    check.done();
    const { id, bundle } = await compileBodyDefinition(body.definition, c.env);
    const api = bundle.api.name;

    // A host may serve only one API: refuse before anything changes.
    const mapped = bundle.domains.filter((d) => d.stage === stage);
    for (const d of mapped) {
      const taken = registryAnswer<DomainRow[]>(await domainIndex(c.env).hostTargets({ v: V, host: d.host })).find((t) => t.basePath === d.basePath && t.api !== api);
      if (taken) throw new AdminError(409, `host ${d.host}${d.basePath ? "/" + d.basePath : ""} is already mapped to API ${taken.api}`);
    }
    // Nor may a host with another API's routing rules, and rules only on a host no other API maps (domain-ownership.ts).
    // A publish to any stage makes this version's rules the API's (the version most recently made stable).
    const routing = bundle.domainRouting ?? [];
    if (mapped.length || routing.length) {
      const owners = registryAnswer<DomainOwners & { routing?: DomainOwners["routing"] }>(await domainIndex(c.env).domainTable({ v: V }));
      const conflict = ownershipConflict({ domains: owners.domains, routing: owners.routing ?? [] }, api, mapped, routing);
      if (conflict) throw new AdminError(409, conflict.message, [{ path: ["definition", conflict.field], message: conflict.message }]);
    }

    const text = canonicalJson(bundle);
    // The Registry keeps a copy of every bundle in one SQLite row (Durable Object rows hold at most 2 MB).
    const size = new TextEncoder().encode(text).byteLength;
    if (size > MAX_BUNDLE_BYTES)
      throw new AdminError(413, `the compiled bundle is ${size} bytes; a bundle can be at most ${MAX_BUNDLE_BYTES} bytes (split the API, or trim models and descriptions)`);
    await storeBundle(c.env, id, text);
    const result = registryAnswer<{ changed: boolean }>(
      await registryFor(c.env, api).deploy({
        v: V,
        api,
        bundleId: id,
        bundleText: text,
        routes: bundle.routes.length,
        bundleStages: Object.keys(bundle.stages),
        stage: stage!,
        description: description ?? null,
        ...(canary !== undefined ? { canaryPercent: canary } : {}),
      }),
    );
    return c.json({ api, ...result }, result.changed ? 201 : 200);
  });

  app.get("/apis", async (c) => c.json({ apis: registryAnswer(await domainIndex(c.env).listApis({ v: V })) }));

  app.get("/apis/:api/stages", async (c) => {
    const { state } = await knownApi(c.env, param(c.req.param("api"), API_NAME, "api"));
    return c.json({ api: state.api, stages: Object.values(state.stages) });
  });

  app.get("/apis/:api/stages/:stage", async (c) => {
    const { state } = await knownApi(c.env, param(c.req.param("api"), API_NAME, "api"));
    const stage = param(c.req.param("stage"), STAGE_NAME, "stage");
    const found = state.stages[stage];
    if (!found) throw new AdminError(404, `API ${state.api} has no stage "${stage}"`);
    return c.json(found);
  });

  app.get("/apis/:api/history", async (c) => {
    const { registry } = await knownApi(c.env, param(c.req.param("api"), API_NAME, "api"));
    const stage = c.req.query("stage");
    if (stage !== undefined) param(stage, STAGE_NAME, "stage");
    return c.json({ history: registryAnswer<HistoryEntry[]>(await registry.listHistory({ v: V, ...(stage !== undefined ? { stage } : {}), limit: Number(c.req.query("limit") ?? 50) || 50 })) });
  });

  app.get("/apis/:api/deployments", async (c) => {
    const { registry } = await knownApi(c.env, param(c.req.param("api"), API_NAME, "api"));
    return c.json({ deployments: registryAnswer<DeploymentRecord[]>(await registry.listDeployments({ v: V, limit: Number(c.req.query("limit") ?? 50) || 50 })) });
  });

  app.get("/apis/:api/deployments/:id", async (c) => {
    const { registry } = await knownApi(c.env, param(c.req.param("api"), API_NAME, "api"));
    const id = c.req.param("id");
    const match = registryAnswer<DeploymentRecord[]>(await registry.listDeployments({ v: V, limit: 1000 })).filter((d) => d.id.startsWith(id));
    if (!/^[0-9a-f]{6,64}$/.test(id) || match.length === 0) throw new AdminError(404, `no deployment ${id}`);
    if (match.length > 1) throw new AdminError(400, `deployment prefix ${id} is ambiguous`);
    const text = registryAnswer<string | null>(await registry.bundle({ v: V, id: match[0]!.id }));
    return c.json({ deployment: match[0], bundle: JSON.parse(text!) });
  });

  app.post("/apis/:api/stages/:stage/rollback", async (c) => {
    const { registry } = await knownApi(c.env, param(c.req.param("api"), API_NAME, "api"));
    const check = new FieldChecker(await readJsonObject(c.req.raw));
    const to = check.string("to", { pattern: /^[0-9a-f]{6,64}$/ });
    check.done();
    return c.json(registryAnswer(await registry.revert({ v: V, stage: param(c.req.param("stage"), STAGE_NAME, "stage"), ...(to !== undefined ? { to } : {}) })));
  });

  app.put("/apis/:api/stages/:stage/canary", async (c) => {
    const { registry } = await knownApi(c.env, param(c.req.param("api"), API_NAME, "api"));
    const body = await readJsonObject(c.req.raw);
    const check = new FieldChecker(body);
    const deploymentId = check.string("deploymentId", { pattern: /^[0-9a-f]{6,64}$/ });
    const percent = check.number("percent", { min: 0, max: 100, decimals: 2 });
    const stageVariableOverrides = check.stringMap("stageVariableOverrides", VARIABLE_NAME);
    const useStageCache = check.boolean("useStageCache");
    const sticky = checkSticky(body.sticky, check);
    const gate = await shadowGate(check, c.env, shadow);
    check.done();
    return c.json(
      registryAnswer(
        await registry.configureCanary({
          v: V,
          stage: param(c.req.param("stage"), STAGE_NAME, "stage"),
          canary: {
            ...(deploymentId ? { deploymentId } : {}),
            ...(percent !== undefined ? { percent } : {}),
            ...(stageVariableOverrides ? { stageVariableOverrides } : {}),
            ...(useStageCache !== undefined ? { useStageCache } : {}),
            ...(sticky ? { sticky } : {}),
          },
          ...gate,
        }),
      ),
    );
  });

  app.delete("/apis/:api/stages/:stage/canary", async (c) => {
    const { registry } = await knownApi(c.env, param(c.req.param("api"), API_NAME, "api"));
    return c.json(registryAnswer(await registry.removeCanary({ v: V, stage: param(c.req.param("stage"), STAGE_NAME, "stage") })));
  });

  app.post("/apis/:api/stages/:stage/canary/promote", async (c) => {
    const { registry } = await knownApi(c.env, param(c.req.param("api"), API_NAME, "api"));
    const check = new FieldChecker(await readJsonObject(c.req.raw));
    const gate = await shadowGate(check, c.env, shadow);
    check.done();
    return c.json(registryAnswer(await registry.promote({ v: V, stage: param(c.req.param("stage"), STAGE_NAME, "stage"), ...gate })));
  });

  app.post("/apis/:api/stages/:stage/canary/auto", async (c) => {
    const { registry } = await knownApi(c.env, param(c.req.param("api"), API_NAME, "api"));
    const check = new FieldChecker(await readJsonObject(c.req.raw));
    const config: AutoCanaryConfig = {
      step: check.number("step", { min: 0.01, max: 100, decimals: 2 }) ?? 10,
      intervalSeconds: check.number("intervalSeconds", { min: 1, max: 86400, integer: true }) ?? 60,
      maxErrorRateIncrease: check.number("maxErrorRateIncrease", { min: 0, max: 100 }) ?? 1,
      maxP95Ratio: check.number("maxP95Ratio", { min: 1, max: 100 }) ?? 1.2,
      minRequests: check.number("minRequests", { min: 1, max: 1_000_000, integer: true }) ?? 100,
    };
    const gate = await shadowGate(check, c.env, shadow);
    check.done();
    return c.json(registryAnswer(await registry.automate({ v: V, stage: param(c.req.param("stage"), STAGE_NAME, "stage"), config, ...gate })));
  });

  app.post("/apis/:api/stages/:stage/cache/flush", async (c) => {
    const { registry } = await knownApi(c.env, param(c.req.param("api"), API_NAME, "api"));
    return c.json(registryAnswer(await registry.flushStageCache({ v: V, stage: param(c.req.param("stage"), STAGE_NAME, "stage") })));
  });

}

/**
 * `requireCleanShadow` (and `minShadowRequests`): the canary's version must have a clean shadow report first. This
 * app's unsent shadow results are sent before the Registry judges (other isolates' arrive within a flush).
 */
async function shadowGate(check: FieldChecker, env: Env, shadow: ShadowBuffer | undefined): Promise<ShadowGate> {
  const requireCleanShadow = check.boolean("requireCleanShadow");
  const minShadowRequests = check.number("minShadowRequests", { min: 1, max: 1_000_000, integer: true });
  if (requireCleanShadow && shadow) await flushShadow(env, shadow);
  return { ...(requireCleanShadow !== undefined ? { requireCleanShadow } : {}), ...(minShadowRequests !== undefined ? { minShadowRequests } : {}) };
}

function checkSticky(value: unknown, check: FieldChecker): StickyKey | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) {
    check.fail(["sticky"], "must be an object like {\"kind\": \"header\", \"name\": \"x-user\"}");
    return undefined;
  }
  const { kind, name } = value as { kind?: unknown; name?: unknown };
  if (typeof kind !== "string" || !STICKY_KINDS.includes(kind)) {
    check.fail(["sticky", "kind"], `must be one of ${STICKY_KINDS.join(", ")}`);
    return undefined;
  }
  if ((kind === "header" || kind === "cookie") && (typeof name !== "string" || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/.test(name))) {
    check.fail(["sticky", "name"], `required for kind ${kind}: a header or cookie name`);
    return undefined;
  }
  return kind === "header" || kind === "cookie" ? { kind, name: name as string } : { kind: kind as StickyKey["kind"] };
}
