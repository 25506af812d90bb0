/** Amazon's documented quotas as validate errors, in Amazon's words; the adjustable ones raised in settings.quotas. */
import { describe, expect, it } from "vitest";
import { checkDefinition } from "./compile.ts";
import { resourceCount } from "./compile-quotas.ts";
import { formatFieldError } from "./field-errors.ts";
import type { ApiDefinition, RouteDefinition } from "./types.ts";
import { definitionWarnings } from "./warnings.ts";

const mock: RouteDefinition = { integration: { type: "mock" } };
const api = (more: Partial<ApiDefinition> = {}): ApiDefinition => ({ name: "quotas", stages: { prod: {} }, routes: { "GET /a": mock }, ...more });
const errors = (def: ApiDefinition) => checkDefinition(def).map(formatFieldError);
const many = <T>(n: number, f: (i: number) => [string, T]) => Object.fromEntries(Array.from({ length: n }, (_, i) => f(i)));

describe("Amazon's quotas", () => {
  it("resources per API (REST) counts every path and its parents, the root included", () => {
    expect(resourceCount(["GET /pets/{id}", "POST /pets", "ANY /a/b/c"])).toBe(6);
    const routes = many(299, (i) => [`GET /r${i}`, mock]);
    expect(errors(api({ routes }))).toEqual([]);
    expect(errors(api({ routes: { ...routes, "GET /x": mock } }))).toEqual([
      "routes: 301 resources (paths, each parent counted): Resources per API is 300 (Amazon API Gateway quota; settings.quotas.resourcesPerApi raises it, as Amazon does on request)",
    ]);
    expect(errors(api({ routes: { ...routes, "GET /x": mock }, settings: { quotas: { resourcesPerApi: 400 } } }))).toEqual([]);
  });

  it("routes per API (HTTP), stages per API, authorizers per API", () => {
    expect(errors(api({ flavor: "http", routes: many(301, (i) => [`GET /r${i}`, mock]) }))[0]).toMatch(/^routes: 301 routes: Routes per API is 300 \(Amazon API Gateway quota; settings\.quotas\.routesPerApi/);
    expect(errors(api({ stages: many(11, (i) => [`s${i}`, {}]) }))).toEqual([
      "stages: 11 stages: Stages per API is 10 (Amazon API Gateway quota; settings.quotas.stagesPerApi raises it, as Amazon does on request)",
    ]);
    expect(errors(api({ stages: many(11, (i) => [`s${i}`, {}]), settings: { quotas: { stagesPerApi: 11 } } }))).toEqual([]);
    const authorizers = many(11, (i) => [`a${i}`, { type: "mtls" as const }]);
    expect(errors(api({ authorizers }))[0]).toMatch(/^authorizers: 11 authorizers: Authorizers per API is 10/);
  });

  it("stage variables: count and value length (fixed)", () => {
    expect(errors(api({ stages: { prod: { variables: many(101, (i) => [`v${i}`, "x"]) } } }))).toEqual(["stages.prod.variables: 101 variables: Stage variables per stage is 100 (Amazon API Gateway quota, fixed)"]);
    expect(errors(api({ stages: { prod: { variables: { long: "x".repeat(513), ok: "x".repeat(512) } } } }))).toEqual([
      "stages.prod.variables.long: 513 characters: Length, in characters, of the value in a stage variable is 512 (Amazon API Gateway quota, fixed)",
    ]);
  });

  it("mapping templates up to 300 KB (bytes: multi-byte characters count as Amazon counts them)", () => {
    const big = "é".repeat(160_000); // 320,000 bytes in 160,000 characters
    expect(errors(api({ routes: { "GET /a": { integration: { type: "mock", requestTemplates: { "application/json": big } } } } }))).toEqual([
      'routes["GET /a"].integration.requestTemplates["application/json"]: 320000 bytes: The maximum size of a mapping template is 300 KB (Amazon API Gateway quota, fixed)',
    ]);
  });

  it("integration timeouts: over 30 s is an error on HTTP APIs; over 29 s a warning on REST APIs (Amazon raises it only on request)", () => {
    const route = (timeoutMs: number): Record<string, RouteDefinition> => ({ "GET /a": { integration: { type: "http_proxy", uri: "https://b.example.com/", timeoutMs } } });
    expect(errors(api({ flavor: "http", routes: route(30_001) }))).toEqual(['routes["GET /a"].integration.timeoutMs: Maximum integration timeout is 30 seconds for HTTP APIs (Amazon API Gateway quota, fixed)']);
    expect(errors(api({ flavor: "http", routes: route(30_000) }))).toEqual([]);
    expect(errors(api({ routes: route(60_000) }))).toEqual([]);
    expect(definitionWarnings(api({ routes: route(60_000) })).map(formatFieldError)).toEqual([
      'routes["GET /a"].integration.timeoutMs: over 29 seconds: Amazon\'s integration timeout is 50 milliseconds - 29 seconds, raised on request for Regional and private REST APIs only',
    ]);
  });

  it("audiences per authorizer, scopes per route, route throttles per usage plan", () => {
    const jwt = { type: "jwt" as const, issuer: "https://i.example.com/", jwksUrl: "https://i.example.com/jwks", audience: many(51, (i) => [String(i), `a${i}`]) };
    const def = api({
      authorizers: { users: { ...jwt, audience: Object.values(jwt.audience) } },
      routes: { "GET /a": { authorizer: { name: "users", scopes: Array.from({ length: 11 }, (_, i) => `s${i}`) }, integration: { type: "mock" } } },
      usagePlans: { basic: { stages: ["prod"], routeThrottles: many(21, (i) => [`GET /t${i}`, { rate: 1, burst: 1 }]) } },
    });
    const found = errors(def);
    expect(found).toContain("authorizers.users.audience: 51 audiences: Audiences per authorizer is 50 (Amazon API Gateway quota, fixed)");
    expect(found).toContain('routes["GET /a"].authorizer.scopes: 11 scopes: Scopes per route is 10 (Amazon API Gateway quota, fixed)');
    expect(found).toContain("usagePlans.basic.routeThrottles: 21 route throttles: Method-level throttling settings for a stage in a usage plan is 20 (Amazon API Gateway quota, fixed)");
  });

  it("routing rules per domain", () => {
    const rules = Array.from({ length: 51 }, (_, i) => ({ priority: i + 1, actions: [{ invokeApi: { stage: "prod" } }] }));
    expect(errors(api({ domainRouting: { "api.example.com": { routingMode: "ROUTING_RULE_ONLY", rules } } }))).toEqual([
      'domainRouting["api.example.com"].rules: 51 rules: Routing rules per domain is 50 (Amazon API Gateway quota; settings.quotas.routingRulesPerDomain raises it, as Amazon does on request)',
    ]);
  });
});
