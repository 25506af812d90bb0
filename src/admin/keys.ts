/**
 * Admin routes for API keys: create (the value is returned once, here only), list, get, update (enable, disable,
 * rename, stages), rotate (a new value, the old one dead at once in its KeyStore shard and within the memo bound on
 * the data plane) and delete. Keys live in KeyStore shards (src/deploy/key-store-client.ts); only SHA-256 hashes
 * are stored.
 */
import type { Hono } from "hono";
import { KeyStoreClient } from "../deploy/key-store-client.ts";
import type { Env } from "../env.ts";
import { generateKeyValue, hashKey, keyHint, newKeyId } from "../security/api-keys.ts";
import { AdminError, FieldChecker, readJsonObject, unwrap } from "./http.ts";

const KEY_ID = /^[0-9a-f]{20}$/;
const STAGE_REF = /^[a-z0-9][a-z0-9-]{0,62}\/([A-Za-z0-9][A-Za-z0-9_-]{0,63}|\*)$/;
const PLAN_REF = /^[a-z0-9][a-z0-9-]{0,62}\/[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;


function keyId(value: string | undefined): string {
  if (!value || !KEY_ID.test(value)) throw new AdminError(404, `no API key ${value ?? ""}`);
  return value;
}

function checkRefs(check: FieldChecker, field: "stages" | "plans", value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const [pattern, shape] = field === "stages" ? [STAGE_REF, '"api/stage" or "api/*"'] : [PLAN_REF, '"api/plan"'];
  if (!Array.isArray(value)) {
    check.fail([field], `must be a list of ${shape}`);
    return undefined;
  }
  value.forEach((s, i) => {
    if (typeof s !== "string" || !pattern.test(s)) check.fail([field, i], `must be ${shape}`);
  });
  if (field === "plans") {
    // Amazon: a key may be in only one plan per API.
    const apis = (value as string[]).map((p) => String(p).split("/")[0]);
    if (new Set(apis).size !== apis.length) check.fail([field], "a key can be in only one usage plan per API");
  }
  return value as string[];
}

export function keyRoutes(app: Hono<{ Bindings: Env }>): void {
  app.post("/keys", async (c) => {
    const body = await readJsonObject(c.req.raw);
    const check = new FieldChecker(body);
    const name = check.string("name", { required: true, max: 128 });
    const description = check.string("description", { max: 1024 });
    const enabled = check.boolean("enabled");
    const stages = checkRefs(check, "stages", body.stages);
    const plans = checkRefs(check, "plans", body.plans);
    check.done();
    const value = await generateKeyValue();
    const key = await new KeyStoreClient(c.env).create({
      id: newKeyId(),
      name: name!,
      description: description ?? null,
      hash: await hashKey(value),
      hint: keyHint(value),
      enabled: enabled ?? true,
      stages: stages ?? [],
      plans: plans ?? [],
    });
    return c.json({ key, value, note: "The value is shown once: store it now. Portico keeps only its hash." }, 201);
  });

  app.get("/keys", async (c) => c.json({ keys: await new KeyStoreClient(c.env).list() }));

  app.get("/keys/:id", async (c) => {
    const key = await new KeyStoreClient(c.env).get(keyId(c.req.param("id")));
    if (!key) throw new AdminError(404, `no API key ${c.req.param("id")}`);
    return c.json(key);
  });

  app.patch("/keys/:id", async (c) => {
    const id = keyId(c.req.param("id"));
    const body = await readJsonObject(c.req.raw);
    const check = new FieldChecker(body);
    const name = check.string("name", { max: 128 });
    const description = check.string("description", { max: 1024 });
    const enabled = check.boolean("enabled");
    const stages = checkRefs(check, "stages", body.stages);
    const plans = checkRefs(check, "plans", body.plans);
    for (const field of Object.keys(body))
      if (!["name", "description", "enabled", "stages", "plans"].includes(field)) check.fail([field], "unknown field (name, description, enabled, stages, plans)");
    check.done();
    return c.json(
      unwrap(
        await new KeyStoreClient(c.env).update(id, {
          ...(name !== undefined ? { name } : {}),
          ...(description !== undefined ? { description } : {}),
          ...(enabled !== undefined ? { enabled } : {}),
          ...(stages !== undefined ? { stages } : {}),
          ...(plans !== undefined ? { plans } : {}),
        }),
      ),
    );
  });

  app.post("/keys/:id/rotate", async (c) => {
    const id = keyId(c.req.param("id"));
    const { key, value } = unwrap(
      await new KeyStoreClient(c.env).rotate(id, async () => {
        const value = await generateKeyValue();
        return { value, hash: await hashKey(value), hint: keyHint(value) };
      }),
    );
    return c.json({ key, value, note: "The new value is shown once; the old value no longer works." });
  });

  app.delete("/keys/:id", async (c) => c.json(unwrap(await new KeyStoreClient(c.env).remove(keyId(c.req.param("id"))))));
}
