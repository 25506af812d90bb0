/**
 * The deployments section: versions published through the admin API (POST /_portico/deployments) into the
 * Registry Durable Object of the Portico Worker under test, then
 *
 * - the pair in scenarios.ts: stage `pub` (served by the published version: stage pointer memoised per isolate,
 *   bundle compiled once per isolate) against stage `bench` (the embedded bundle), same route, same run;
 * - canary split accuracy: a canary at 10% on two stages, one sticky by header, one random (sticky `none`); N
 *   requests each, every response's `x-portico-version` counted; then the first users again, each of whom must
 *   get the version it got before.
 *
 * Published definitions are bench-api.yaml as built (fixture.definition) plus the extra stages; the canary's
 * version differs only by a stage variable nothing reads, so it answers the same `hello`.
 */
import { ADMIN_TOKEN, fixture } from "./fixture.ts";
import { drive, type DriveResult } from "./harness.ts";
import type { WorkerPool } from "./pool.ts";

export const CANARY_PERCENT = 10;
export const CANARY_REQUESTS = 5000;
/** Users of the sticky pass asked again: each must keep its version. */
const STICKY_RECHECK = 1000;
const STICKY_HEADER = "x-bench-user";
const VERSION_HEADER = "x-portico-version";

interface Deployment {
  api: string;
  deployment: { id: string };
  changed: boolean;
}

async function admin<T>(url: URL, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(new URL(`/_portico${path}`, url), {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`admin API ${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

async function publish(url: URL, definition: unknown, stage: string, canary?: number): Promise<string> {
  const reply = await admin<Deployment>(url, "POST", "/deployments", {
    definition,
    stage,
    description: `npm run bench: ${stage}${canary !== undefined ? ` canary ${canary}%` : ""}`,
    ...(canary !== undefined ? { canary } : {}),
  });
  fixture.lastAdminChangeAt = Date.now();
  return reply.deployment.id.slice(0, 12);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Requests `path` until it answers 200 `hello` from `version` (a publish takes up to REGISTRY_MEMO_MS to show). */
async function waitForVersion(url: URL, path: string, version: string): Promise<void> {
  const deadline = Date.now() + fixture.registryMemoMs + 3000;
  let last = "";
  while (Date.now() < deadline) {
    const res = await fetch(new URL(path, url));
    const body = await res.text();
    last = `${res.status} ${VERSION_HEADER}: ${res.headers.get(VERSION_HEADER)} ${JSON.stringify(body.slice(0, 100))}`;
    if (res.status === 200 && body === "hello" && res.headers.get(VERSION_HEADER) === version) return;
    await sleep(100);
  }
  throw new Error(`${path} never answered 200 "hello" from version ${version}; last: ${last}`);
}

/**
 * The deployments scenario's setup: publishes version A (bench-api.yaml + stages pub, canary, canary-random) to
 * those three stages, then version B (A with one stage variable changed) as a 10% canary of `canary` (sticky by
 * header) and of `canary-random` (sticky none), and waits until `pub` is served by A.
 */
export async function publishVersions(url: URL): Promise<void> {
  const embedded = await fetch(new URL("/bench/hello", url));
  await embedded.text();
  fixture.versions.embedded = embedded.headers.get(VERSION_HEADER) ?? undefined;
  if (!fixture.versions.embedded) throw new Error(`/bench/hello has no ${VERSION_HEADER} header`);

  const base = structuredClone(fixture.definition) as { stages: Record<string, { variables: Record<string, string> }> };
  for (const stage of ["pub", "canary", "canary-random"]) base.stages[stage] = structuredClone(base.stages.bench!);
  const next = structuredClone(base);
  for (const stage of Object.values(next.stages)) stage.variables.edition = "canary";

  const a = await publish(url, base, "pub");
  if (a === fixture.versions.embedded) throw new Error("the published version has the embedded bundle's id: it would prove nothing");
  for (const stage of ["canary", "canary-random"]) if ((await publish(url, base, stage)) !== a) throw new Error("one definition, two ids");
  const b = await publish(url, next, "canary", CANARY_PERCENT);
  if ((await publish(url, next, "canary-random", CANARY_PERCENT)) !== b) throw new Error("one definition, two ids");
  await admin(url, "PUT", "/apis/bench/stages/canary/canary", { sticky: { kind: "header", name: STICKY_HEADER } });
  fixture.lastAdminChangeAt = Date.now();
  fixture.versions.published = fixture.versions.canaryStable = a;
  fixture.versions.canary = b;
  await waitForVersion(url, "/pub/hello", a);
}

export interface SplitResult {
  requests: number;
  canary: number;
  stable: number;
  /** canary ÷ requests × 100. */
  observedPercent: number;
  /** Half-width of the 95% interval of a fair 10% coin over that many requests, in percentage points. */
  expectedSpreadPoints: number;
  withinSpread: boolean;
  valid: boolean;
  statusCodes: Record<string, number>;
  invalid: Record<string, number>;
}

export interface CanaryResult {
  percent: number;
  stableVersion: string;
  canaryVersion: string;
  /** Sticky by header, one distinct value per request. */
  sticky: SplitResult & { header: string };
  /** The first users of the sticky pass, asked again. */
  stickiness: { rechecked: number; same: number; moved: number; valid: boolean };
  /** Sticky `none`: a random draw per request. */
  random: SplitResult;
}

function split(run: DriveResult): SplitResult {
  const canary = run.counts.canary ?? 0;
  const stable = run.counts.stable ?? 0;
  const n = canary + stable;
  const p = CANARY_PERCENT / 100;
  const observedPercent = n ? (canary / n) * 100 : 0;
  const expectedSpreadPoints = n ? 1.96 * Math.sqrt((p * (1 - p)) / n) * 100 : 0;
  return {
    requests: run.requests,
    canary,
    stable,
    observedPercent,
    expectedSpreadPoints,
    withinSpread: Math.abs(observedPercent - CANARY_PERCENT) <= expectedSpreadPoints,
    valid: run.valid,
    statusCodes: run.statusCodes,
    invalid: run.invalid,
  };
}

export async function measureCanarySplit(pool: WorkerPool, connections: number, log: (line: string) => void): Promise<CanaryResult> {
  const url = await pool.url("portico");
  const { canaryStable: stableVersion, canary: canaryVersion } = fixture.versions;
  if (!stableVersion || !canaryVersion) throw new Error("the canary split needs the deployments scenario's setup (publishVersions) first");
  // Every isolate's memo of the stage pointers must have been refreshed since the last admin change.
  const wait = fixture.lastAdminChangeAt + fixture.registryMemoMs + 500 - Date.now();
  if (wait > 0) {
    log(`  waiting ${(wait / 1000).toFixed(1)} s for the canary settings to reach every request (REGISTRY_MEMO_MS)`);
    await sleep(wait);
  }
  const role = (status: number, body: string, version: string | undefined) => {
    if (status !== 200 || body !== "hello") return { invalid: `${status} ${body.slice(0, 60)}` };
    if (version === stableVersion) return "stable";
    if (version === canaryVersion) return "canary";
    return { invalid: `${VERSION_HEADER}: ${version}` };
  };

  log(`  canary split, sticky by header: ${CANARY_REQUESTS} requests, one ${STICKY_HEADER} value each`);
  const seen = new Map<string, string>();
  const sticky = await drive({
    url,
    connections,
    amount: CANARY_REQUESTS,
    next: (i) => ({ path: "/canary/hello", headers: { [STICKY_HEADER]: `user-${i}` } }),
    classify: (status, body, header, request) => {
      const verdict = role(status, body, header(VERSION_HEADER));
      if (typeof verdict === "string") seen.set(request.headers![STICKY_HEADER]!, verdict);
      return verdict;
    },
  });

  log(`  stickiness: the first ${STICKY_RECHECK} users again`);
  const users = [...seen.keys()].slice(0, STICKY_RECHECK);
  const again = await drive({
    url,
    connections,
    amount: users.length,
    next: (i) => ({ path: "/canary/hello", headers: { [STICKY_HEADER]: users[i % users.length]! } }),
    classify: (status, body, header, request) => {
      const verdict = role(status, body, header(VERSION_HEADER));
      if (typeof verdict !== "string") return verdict;
      return seen.get(request.headers![STICKY_HEADER]!) === verdict ? "same" : "moved";
    },
  });

  log(`  canary split, sticky none (random): ${CANARY_REQUESTS} requests`);
  const random = await drive({
    url,
    connections,
    amount: CANARY_REQUESTS,
    next: () => ({ path: "/canary-random/hello" }),
    classify: (status, body, header) => role(status, body, header(VERSION_HEADER)),
  });

  return {
    percent: CANARY_PERCENT,
    stableVersion,
    canaryVersion,
    sticky: { ...split(sticky), header: STICKY_HEADER },
    stickiness: { rechecked: again.requests, same: again.counts.same ?? 0, moved: again.counts.moved ?? 0, valid: again.valid },
    random: split(random),
  };
}
