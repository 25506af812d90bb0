/**
 * Quotas: the UsageQuota object with injected clocks (durable counts, one count per request id, rollover at DAY,
 * WEEK and MONTH boundaries with offsets, grants and resets), then the admin API's GetUsage and UpdateUsage
 * (Amazon's shapes) over days seeded through the object, and their refusals of bad input.
 */
import { abortAllDurableObjects, env, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { QuotaSpec, UsageQuota } from "../../../durable-objects/usage-quota/index.ts";
import type { Env } from "../../../src/env.ts";
import { periodBounds } from "../../../src/throttle/periods.ts";

const ENV = env as unknown as Env;
const uid = () => crypto.randomUUID().replace(/-/g, "").slice(0, 10);
const at = (iso: string) => Date.parse(iso);
const quota = (name: string) => ENV.USAGE_QUOTA.get(ENV.USAGE_QUOTA.idFromName(name));
const spec = (limit: number, period: QuotaSpec["period"] = "DAY", offset = 0): QuotaSpec => ({ limit, period, offset });

/** Consumes `n` requests at `iso`, each with a fresh request id; returns whether each was allowed. */
async function consume(name: string, s: QuotaSpec, iso: string, n = 1): Promise<boolean[]> {
  const out = [];
  for (let i = 0; i < n; i++) out.push((await quota(name).consume(s, crypto.randomUUID(), at(iso))).allowed);
  return out;
}

describe("UsageQuota object", () => {
  it("counts durably: a restart loses nothing", async () => {
    const name = `q-${uid()}`;
    expect(await consume(name, spec(3), "2024-05-10T10:00:00Z", 2)).toEqual([true, true]);
    await abortAllDurableObjects();
    expect(await quota(name).status(spec(3), at("2024-05-10T20:00:00Z"))).toEqual({ allowed: true, used: 2, remaining: 1, resetAt: at("2024-05-11T00:00:00Z") });
    const rows = await runInDurableObject(quota(name), (_q, state) => state.storage.sql.exec("SELECT day, count FROM usage").toArray());
    expect(rows).toEqual([{ day: "2024-05-10", count: 2 }]);
  });

  it("never counts one request id twice, allowed or refused, even across a restart", async () => {
    const name = `q-${uid()}`;
    const now = at("2024-05-10T10:00:00Z");
    expect(await quota(name).consume(spec(1), "op-a", now)).toMatchObject({ allowed: true, used: 1, remaining: 0 });
    expect(await quota(name).consume(spec(1), "op-a", now + 1)).toMatchObject({ allowed: true, used: 1 });
    expect(await quota(name).consume(spec(1), "op-b", now + 2)).toMatchObject({ allowed: false, used: 1 });
    await abortAllDurableObjects();
    expect(await quota(name).consume(spec(1), "op-b", now + 3)).toMatchObject({ allowed: false, used: 1 });
    expect(await quota(name).consume(spec(1), "op-a", now + 4)).toMatchObject({ allowed: true, used: 1 });
    // Request ids are remembered for 10 minutes: later, the same id is a new request.
    expect(await quota(name).consume(spec(5), "op-c", now + 11 * 60_000)).toMatchObject({ allowed: true, used: 2 });
    expect(await quota(name).consume(spec(5), "op-a", now + 11 * 60_000 + 1)).toMatchObject({ allowed: true, used: 3 });
  });

  it("rolls a DAY quota over at UTC midnight", async () => {
    const name = `q-${uid()}`;
    expect(await consume(name, spec(2), "2024-05-10T23:59:59.000Z", 3)).toEqual([true, true, false]);
    const refused = await quota(name).consume(spec(2), "late", at("2024-05-10T23:59:59.999Z"));
    expect(refused).toEqual({ allowed: false, used: 2, remaining: 0, resetAt: at("2024-05-11T00:00:00Z") });
    expect(await quota(name).consume(spec(2), "early", at("2024-05-11T00:00:00Z"))).toMatchObject({ allowed: true, used: 1, remaining: 1 });
  });

  it("rolls a WEEK quota over on its offset day (1 = Monday), counting every day of the week", async () => {
    const name = `q-${uid()}`;
    const week = spec(2, "WEEK", 1);
    expect(await consume(name, week, "2024-05-07T12:00:00Z")).toEqual([true]); // Tuesday
    expect(await consume(name, week, "2024-05-12T23:00:00Z", 2)).toEqual([true, false]); // Sunday, same week
    expect((await quota(name).status(week, at("2024-05-12T23:00:00Z"))).resetAt).toBe(at("2024-05-13T00:00:00Z"));
    expect(await consume(name, week, "2024-05-13T00:00:00Z", 3)).toEqual([true, true, false]); // Monday: new week
  });

  it("rolls a MONTH quota over on its offset day (27 = the 28th), through February", async () => {
    const name = `q-${uid()}`;
    const month = spec(2, "MONTH", 27);
    expect(await consume(name, month, "2024-01-30T00:00:00Z")).toEqual([true]);
    expect(await consume(name, month, "2024-02-27T23:59:00Z", 2)).toEqual([true, false]);
    expect(await consume(name, month, "2024-02-28T00:00:00Z", 2)).toEqual([true, true]);
    expect(await quota(name).status(month, at("2024-03-27T00:00:00Z"))).toMatchObject({ used: 2, remaining: 0, resetAt: at("2024-03-28T00:00:00Z") });
  });

  it("adjusts this period only: grant adds, remaining sets", async () => {
    const name = `q-${uid()}`;
    const now = at("2024-05-10T12:00:00Z");
    await consume(name, spec(5), "2024-05-10T09:00:00Z", 3);
    expect(await quota(name).adjust(spec(5), { grant: 4 }, now)).toEqual({ allowed: true, used: 3, remaining: 6, resetAt: at("2024-05-11T00:00:00Z") });
    expect(await quota(name).adjust(spec(5), { grant: -2 }, now)).toMatchObject({ used: 3, remaining: 4 });
    expect(await quota(name).adjust(spec(5), { remaining: 1 }, now)).toMatchObject({ used: 3, remaining: 1 });
    expect(await consume(name, spec(5), "2024-05-10T13:00:00Z", 2)).toEqual([true, false]);
    expect(await quota(name).status(spec(5), at("2024-05-11T08:00:00Z"))).toMatchObject({ used: 0, remaining: 5 });
    expect(await quota(name).adjust(spec(5), { remaining: 0 }, at("2024-05-11T08:00:00Z"))).toMatchObject({ remaining: 0 });
    expect(await consume(name, spec(5), "2024-05-11T09:00:00Z")).toEqual([false]);
  });

  it("sets remaining exactly even after the limit was lowered below what was used", async () => {
    const name = `q-${uid()}`;
    const now = at("2024-05-10T12:00:00Z");
    await consume(name, spec(5), "2024-05-10T09:00:00Z", 5);
    // A new version lowers the limit to 2: 5 used, 3 over, shown as 0 remaining.
    expect(await quota(name).status(spec(2), now)).toMatchObject({ used: 5, remaining: 0 });
    expect(await quota(name).adjust(spec(2), { remaining: 2 }, now)).toMatchObject({ used: 5, remaining: 2 });
    expect(await consume(name, spec(2), "2024-05-10T13:00:00Z", 3)).toEqual([true, true, false]);
  });
});

// ---- the admin API ----

const admin = (path: string, init: { method?: string; json?: unknown } = {}) =>
  SELF.fetch(`http://localhost/_portico${path}`, {
    method: init.method ?? (init.json !== undefined ? "POST" : "GET"),
    headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
  });

async function ok<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

/** Publishes an API (on host `<api>.test`) with plans `weekly` (10 per WEEK from Monday), `free` (no quota) and optionally more. */
async function publishApi(plans: Record<string, unknown> = {}): Promise<string> {
  const api = `usage-${uid()}`;
  const definition = {
    name: api,
    domains: [{ host: `${api}.test`, stage: "prod" }],
    stages: { prod: {} },
    usagePlans: { weekly: { stages: ["prod"], quota: { limit: 10, period: "WEEK", offset: 1 } }, free: { stages: ["prod"] }, ...plans },
    routes: { "GET /a": { apiKeyRequired: true, integration: { type: "mock", body: { ok: true } } } },
  };
  await ok(await admin("/deployments", { json: { definition, stage: "prod" } }), 201);
  return api;
}

async function createKey(plans: string[]): Promise<string> {
  return (await createKeyWithValue(plans)).id;
}

async function createKeyWithValue(plans: string[]): Promise<{ id: string; value: string }> {
  const body = await ok<{ key: { id: string }; value: string }>(await admin("/keys", { json: { name: `usage ${uid()}`, plans } }), 201);
  return { id: body.key.id, value: body.value };
}

interface Usage {
  usagePlanId: string;
  startDate: string;
  endDate: string;
  position: null;
  items: Record<string, [number, number | null][]>;
}

const WEEKLY = spec(10, "WEEK", 1);

describe("GetUsage", () => {
  it("reports [used, remaining] per key per day, remaining per that day's period with grants", async () => {
    const api = await publishApi();
    const [a, b, idle] = [await createKey([`${api}/weekly`]), await createKey([`${api}/weekly`]), await createKey([`${api}/weekly`])];
    const obj = (key: string) => `${api}/weekly/${key}`;
    await consume(obj(a), WEEKLY, "2024-05-06T08:00:00Z", 2); // Monday: a new week
    await consume(obj(a), WEEKLY, "2024-05-08T08:00:00Z", 3);
    await consume(obj(a), WEEKLY, "2024-05-13T08:00:00Z", 1); // the next Monday
    await consume(obj(b), WEEKLY, "2024-05-07T08:00:00Z", 1);
    await quota(obj(a)).adjust(WEEKLY, { grant: 5 }, at("2024-05-09T08:00:00Z"));
    const usage = await ok<Usage>(await admin(`/apis/${api}/plans/weekly/usage?from=2024-05-05&to=2024-05-14`));
    expect(usage).toEqual({
      usagePlanId: `${api}/weekly`,
      startDate: "2024-05-05",
      endDate: "2024-05-14",
      position: null,
      items: {
        [a]: [[0, 10], [2, 13], [0, 13], [3, 10], [0, 10], [0, 10], [0, 10], [0, 10], [1, 9], [0, 9]],
        [b]: [[0, 10], [0, 10], [1, 9], [0, 9], [0, 9], [0, 9], [0, 9], [0, 9], [0, 10], [0, 10]],
        [idle]: Array.from({ length: 10 }, () => [0, 10]),
      },
    });
    const one = await ok<Usage>(await admin(`/apis/${api}/plans/weekly/usage?from=2024-05-08&to=2024-05-08&key=${a}`));
    expect(one.items).toEqual({ [a]: [[3, 10]] });
  });

  it("counts requests served through the gateway, on today's row", async () => {
    const api = await publishApi();
    const { id: key, value } = await createKeyWithValue([`${api}/weekly`]);
    for (let i = 0; i < 3; i++) expect(await ok(await SELF.fetch(`http://${api}.test/a`, { headers: { "x-api-key": value } }))).toEqual({ ok: true });
    const today = new Date().toISOString().slice(0, 10);
    const usage = await ok<Usage>(await admin(`/apis/${api}/plans/weekly/usage?from=${today}&to=${today}`));
    expect(usage.items[key]).toEqual([[3, 7]]);
  });

  it("reports remaining null for a plan without a quota, and one pair per day over a whole leap year", async () => {
    const api = await publishApi();
    const key = await createKey([`${api}/free`]);
    await consume(`${api}/free/${key}`, spec(100), "2024-02-29T10:00:00Z", 4); // counted while a version had a quota
    const usage = await ok<Usage>(await admin(`/apis/${api}/plans/free/usage?from=2024-01-01&to=2024-12-31`));
    expect(usage.items[key]).toHaveLength(366);
    expect(usage.items[key]![59]).toEqual([4, null]);
    expect(usage.items[key]!.filter(([used, remaining]) => used === 0 && remaining === null)).toHaveLength(365);
  });

  it("refuses bad dates with field paths", async () => {
    const api = await publishApi();
    const paths = async (query: string) => {
      const body = await ok<{ errors: { path: string; message: string }[] }>(await admin(`/apis/${api}/plans/weekly/usage${query}`), 400);
      return body.errors.map((e) => e.path).sort();
    };
    expect(await paths("")).toEqual(["from", "to"]);
    expect(await paths("?from=2024-5-1&to=2024-05-10")).toEqual(["from"]);
    expect(await paths("?from=2024-02-30&to=2024-03-01")).toEqual(["from"]);
    expect(await paths("?from=2024-05-01&to=yesterday")).toEqual(["to"]);
    expect(await paths("?from=2024-05-10&to=2024-05-09")).toEqual(["to"]);
    expect(await paths("?from=2023-01-01&to=2024-01-02")).toEqual(["to"]); // 367 days
    expect(await paths("?from=2024-05-01&to=2024-05-02&keyId=x")).toEqual(["keyId"]);
  });

  it("answers 404 for an unknown API, plan, key, or a plan only an older version had", async () => {
    const api = await publishApi({ old: { stages: ["prod"], quota: { limit: 1, period: "DAY" } } });
    const other = await createKey([`${api}/free`]);
    const range = "from=2024-05-01&to=2024-05-02";
    await ok(await admin(`/apis/${api}/plans/old/usage?${range}`));
    await ok(await admin(`/apis/nope-${uid()}/plans/weekly/usage?${range}`), 404);
    await ok(await admin(`/apis/${api}/plans/monthly/usage?${range}`), 404);
    await ok(await admin(`/apis/${api}/plans/weekly/usage?${range}&key=${other}`), 404);
    await ok(await admin(`/apis/${api}/plans/weekly/usage?${range}&key=not-a-key`), 404);
    await ok(await admin(`/apis/${api}/plans/bad.name/usage?${range}`), 400);
    // Publish a version without `old`: the stage no longer serves it.
    const definition = { name: api, stages: { prod: {} }, usagePlans: { weekly: { stages: ["prod"] } }, routes: { "GET /a": { integration: { type: "mock" } } } };
    await ok(await admin("/deployments", { json: { definition, stage: "prod" } }), 201);
    await ok(await admin(`/apis/${api}/plans/old/usage?${range}`), 404);
  });
});

describe("UpdateUsage", () => {
  it("grants or sets the current period's remaining and answers its standing", async () => {
    const api = await publishApi();
    const key = await createKey([`${api}/weekly`]);
    const resetAt = periodBounds(Date.now(), "WEEK", 1).end;
    expect(await ok(await admin(`/apis/${api}/plans/weekly/usage/${key}`, { json: { grant: 3 } }))).toEqual({ used: 0, remaining: 13, resetAt });
    expect(await ok(await admin(`/apis/${api}/plans/weekly/usage/${key}`, { json: { remaining: 4 } }))).toEqual({ used: 0, remaining: 4, resetAt });
    expect(await quota(`${api}/weekly/${key}`).status(WEEKLY)).toMatchObject({ used: 0, remaining: 4 });
    const today = new Date().toISOString().slice(0, 10);
    expect((await ok<Usage>(await admin(`/apis/${api}/plans/weekly/usage?from=${today}&to=${today}`))).items[key]).toEqual([[0, 4]]);
  });

  it("refuses bad bodies with field paths, unknown keys with 404 and a plan without quota with 409", async () => {
    const api = await publishApi();
    const key = await createKey([`${api}/weekly`]);
    const free = await createKey([`${api}/free`]);
    const url = `/apis/${api}/plans/weekly/usage/${key}`;
    const paths = async (json: unknown) => (await ok<{ errors: { path: string }[] }>(await admin(url, { json }), 400)).errors.map((e) => e.path).sort();
    expect(await paths({ grant: 1, remaining: 2 })).toEqual(["remaining"]);
    expect(await paths({})).toEqual(["grant"]);
    expect(await paths({ grant: 1.5 })).toEqual(["grant"]);
    expect(await paths({ grant: "5" })).toEqual(["grant"]);
    expect(await paths({ remaining: -1 })).toEqual(["remaining"]);
    expect(await paths({ remaining: 3, reset: true })).toEqual(["reset"]);
    await ok(await admin(`/apis/${api}/plans/weekly/usage/${free}`, { json: { grant: 1 } }), 404);
    await ok(await admin(`/apis/${api}/plans/weekly/usage/0123456789abcdef0123`, { json: { grant: 1 } }), 404);
    await ok(await admin(`/apis/${api}/plans/nope/usage/${key}`, { json: { grant: 1 } }), 404);
    await ok(await admin(`/apis/${api}/plans/free/usage/${free}`, { json: { grant: 1 } }), 409);
    expect(await quota(`${api}/weekly/${key}`).status(WEEKLY)).toMatchObject({ used: 0, remaining: 10 });
  });
});
