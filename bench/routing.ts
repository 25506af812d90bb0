/**
 * The CPU half of the benchmark, in Node (V8, as in workerd): how long a 1,000-route definition takes to compile,
 * and what matching one request against its route table costs.
 *
 * The route table is built exactly as `CompiledBundle` builds it (`parseRouteKey` over the bundle's routes into a
 * `Router`); `CompiledBundle` itself also constructs integrations, which is not routing. A request's routing cost
 * is what resolve-stage and match-route do with its pathname: one `normalizePath`, drop the stage, `match`.
 */
import { compileDefinition } from "../src/config/compile.ts";
import { parseRouteKey, type ParsedRouteKey } from "../src/routing/route-key.ts";
import { normalizePath } from "../src/routing/path.ts";
import { Router } from "../src/routing/router.ts";

export interface RoutingResult {
  routes: number;
  compile: { runs: number; medianMs: number; minMs: number; maxMs: number; targetMs: number };
  routerBuildMs: number;
  match: {
    paths: number;
    /** How many of the paths name no route (wrong path or method). */
    misses: number;
    matchesPerRun: number;
    runs: number;
    /** normalizePath + stage + Router.match, per request. */
    medianNsPerRequest: number;
    /** Router.match alone, on segments split beforehand. */
    medianNsPerMatchOnly: number;
    targetNs: number;
  };
}

const SERVICES = 50;

/** 20 route shapes per service × 50 services: statics, parameters, nested parameters, greedy paths, all methods. */
export function thousandRouteDefinition(): Record<string, unknown> {
  const mock = (s: number, what: string) => ({ integration: { type: "mock", body: { s, what } } });
  const proxy = (s: number, path: string) => ({ integration: { type: "http_proxy", uri: `\${stageVariables.upstream}/s${s}${path}` } });
  const routes: Record<string, unknown> = {};
  for (let s = 0; s < SERVICES; s++) {
    const r = (key: string, route: unknown) => (routes[key.replace("{S}", `s${s}`)] = route);
    r("GET /{S}/items", proxy(s, "/items"));
    r("POST /{S}/items", { validate: { body: { type: "object", required: ["name"], properties: { name: { type: "string" } } } }, ...proxy(s, "/items") });
    r("OPTIONS /{S}/items", mock(s, "options"));
    r("GET /{S}/items/{id}", proxy(s, "/items/{id}"));
    r("HEAD /{S}/items/{id}", mock(s, "head"));
    r("PUT /{S}/items/{id}", proxy(s, "/items/{id}"));
    r("PATCH /{S}/items/{id}", proxy(s, "/items/{id}"));
    r("DELETE /{S}/items/{id}", proxy(s, "/items/{id}"));
    r("GET /{S}/items/{id}/tags", mock(s, "tags"));
    r("POST /{S}/items/{id}/tags", proxy(s, "/items/{id}/tags"));
    r("GET /{S}/items/{id}/tags/{tag}", mock(s, "tag"));
    r("DELETE /{S}/items/{id}/tags/{tag}", proxy(s, "/items/{id}/tags/{tag}"));
    r("GET /{S}/users/{user}/orders", proxy(s, "/users/{user}/orders"));
    r("POST /{S}/users/{user}/orders", proxy(s, "/users/{user}/orders"));
    r("GET /{S}/users/{user}/orders/{order}", proxy(s, "/users/{user}/orders/{order}"));
    r("GET /{S}/search", { validate: { query: ["q"] }, ...proxy(s, "/search") });
    r("GET /{S}/health", mock(s, "health"));
    r("GET /{S}/v2/reports/{year}/{month}", mock(s, "report"));
    r("GET /{S}/files/{proxy+}", { integration: { type: "service", service: "FILES", path: "/files/{proxy}" } });
    r("ANY /{S}/legacy/{proxy+}", proxy(s, "/legacy/{proxy}"));
  }
  // 1,000 routes are past Amazon's default quota of 300 resources per API, which validate enforces: raised, as Amazon
  // raises it on request.
  return { name: "thousand", settings: { quotas: { resourcesPerApi: 5000 } }, stages: { bench: { variables: { upstream: "http://upstream.internal" } } }, routes };
}

/** A small deterministic PRNG (mulberry32), so every run draws the same paths (and cache.ts the same mix). */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Probe {
  method: string;
  pathname: string;
  /** The route key it must match, or null for a miss. */
  expected: string | null;
}

/** A realistic mix: 90% requests for real routes (parameters filled, greedy tails 1–4 deep), 10% misses. */
export function requestMix(routeKeys: string[], count: number): Probe[] {
  const random = prng(20260420);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const word = () => Math.floor(random() * 1e6).toString(36);
  const probes: Probe[] = [];
  while (probes.length < count) {
    if (random() < 0.1) {
      const s = Math.floor(random() * SERVICES);
      probes.push(
        pick([
          { method: "GET", pathname: `/bench/s${s}/unknown/${word()}`, expected: null },
          { method: "PUT", pathname: `/bench/s${s}/items`, expected: null },
          { method: "GET", pathname: `/bench/s${SERVICES + s}/items`, expected: null },
          { method: "POST", pathname: `/bench/s${s}/items/${word()}/tags/${word()}`, expected: null },
        ]),
      );
      continue;
    }
    const key = pick(routeKeys);
    const [keyMethod, template] = key.split(" ") as [string, string];
    const method = keyMethod === "ANY" ? pick(["GET", "POST", "DELETE"]) : keyMethod;
    const path = template
      .split("/")
      .map((part) => (part.endsWith("+}") ? Array.from({ length: 1 + Math.floor(random() * 4) }, word).join("/") : part.startsWith("{") ? word() : part))
      .join("/");
    probes.push({ method, pathname: `/bench${path}${random() < 0.05 ? "/" : ""}`, expected: key });
  }
  return probes;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function measureRouting(log: (line: string) => void): Promise<RoutingResult> {
  const definition = thousandRouteDefinition();
  const routeCount = Object.keys(definition.routes as object).length;

  log(`  compiling a ${routeCount}-route definition`);
  const times: number[] = [];
  let compiled = await compileDefinition(structuredClone(definition)); // warm-up
  await compileDefinition(structuredClone(definition));
  for (let i = 0; i < 9; i++) {
    const input = structuredClone(definition);
    const started = performance.now();
    compiled = await compileDefinition(input);
    times.push(performance.now() - started);
  }
  if (compiled.bundle.routes.length !== routeCount) throw new Error(`compiled ${compiled.bundle.routes.length} routes, expected ${routeCount}`);

  const buildStarted = performance.now();
  const router = new Router(
    compiled.bundle.routes.map((spec) => {
      const parsed = parseRouteKey(spec.key) as ParsedRouteKey;
      return { method: parsed.method, path: parsed.path, segments: parsed.segments, value: spec.key };
    }),
  );
  const routerBuildMs = performance.now() - buildStarted;

  const probes = requestMix(compiled.bundle.routes.map((r) => r.key), 10_000);
  const split = probes.map((p) => {
    const path = normalizePath(p.pathname);
    if (!path.ok) throw new Error(`probe ${p.pathname} refused: ${path.reason}`);
    return path.segments.slice(1);
  });
  // The benchmark is only worth its numbers if every probe lands where it should.
  probes.forEach((p, i) => {
    const got = router.match(p.method, split[i]!)?.value ?? null;
    if (got !== p.expected) throw new Error(`${p.method} ${p.pathname} matched ${got}, expected ${p.expected}`);
  });
  const misses = probes.filter((p) => p.expected === null).length;

  log(`  matching ${probes.length} paths`);
  const rounds = 20;
  const perRequest: number[] = [];
  const matchOnly: number[] = [];
  let sink = 0;
  for (let run = 0; run < 7; run++) {
    let started = process.hrtime.bigint();
    for (let round = 0; round < rounds; round++)
      for (const probe of probes) {
        const path = normalizePath(probe.pathname);
        if (path.ok && router.match(probe.method, path.segments.slice(1))) sink++;
      }
    perRequest.push(Number(process.hrtime.bigint() - started) / (rounds * probes.length));

    started = process.hrtime.bigint();
    for (let round = 0; round < rounds; round++) for (let i = 0; i < probes.length; i++) if (router.match(probes[i]!.method, split[i]!)) sink++;
    matchOnly.push(Number(process.hrtime.bigint() - started) / (rounds * probes.length));
  }
  if (sink !== 7 * 2 * rounds * (probes.length - misses)) throw new Error(`match count ${sink} is off`);

  return {
    routes: routeCount,
    compile: { runs: times.length, medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times), targetMs: 50 },
    routerBuildMs,
    match: {
      paths: probes.length,
      misses,
      matchesPerRun: rounds * probes.length,
      runs: perRequest.length,
      medianNsPerRequest: median(perRequest),
      medianNsPerMatchOnly: median(matchOnly),
      targetNs: 10_000,
    },
  };
}
