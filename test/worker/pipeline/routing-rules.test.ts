/**
 * Routing rules for custom domains through the pipeline: evaluated before the host's base path mappings in the
 * modes that use them, choosing the stage by header and base path; and the definition's checks, in Amazon's words.
 */
import { describe, expect, it } from "vitest";
import { checkDefinition } from "../../../src/config/compile.ts";
import { formatFieldError } from "../../../src/config/field-errors.ts";
import type { ApiDefinition, DomainRoutingDefinition } from "../../../src/config/types.ts";
import { definitionWarnings } from "../../../src/config/warnings.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";

const api = (routing: Record<string, DomainRoutingDefinition>): ApiDefinition => ({
  name: "routed",
  stages: { prod: { variables: { name: "prod" } }, beta: { variables: { name: "beta" } }, canary: { variables: { name: "canary" } } },
  domains: [
    { host: "api.example.com", stage: "prod" },
    { host: "api.example.com", basePath: "b", stage: "beta" },
  ],
  domainRouting: routing,
  routes: { "ANY /{proxy+}": { integration: { type: "http_proxy", uri: `${backendUrl()}/echo/{proxy}`, headers: { "x-stage": "${stageVariables.name}" } } } },
});

const rules: DomainRoutingDefinition["rules"] = [
  { priority: 200, conditions: [{ matchBasePaths: { anyOf: ["orders"] } }], actions: [{ invokeApi: { stage: "canary", stripBasePath: true } }] },
  { priority: 100, conditions: [{ matchHeaders: { anyOf: [{ header: "x-version", valueGlob: "beta*" }] } }], actions: [{ invokeApi: { stage: "beta" } }] },
];

async function served(definition: ApiDefinition, url: string, headers: Record<string, string> = {}) {
  const gw = await gatewayFor(definition);
  const res = await gw.request(new Request(url, { headers }));
  if (res.status !== 200) return { status: res.status, body: await res.text() };
  const echo = (await res.json()) as { rawUrl: string; headers: Record<string, string> };
  return { status: 200, path: echo.rawUrl, stage: echo.headers["x-stage"] };
}

describe("routing rules through the pipeline", () => {
  it("ROUTING_RULE_THEN_API_MAPPING: rules first (by priority), then the base path mappings", async () => {
    const def = api({ "api.example.com": { routingMode: "ROUTING_RULE_THEN_API_MAPPING", rules } });
    // The header rule (100) wins over the base path one (200), even for /orders and /b.
    expect(await served(def, "https://api.example.com/orders/1", { "x-version": "beta-2" })).toEqual({ status: 200, path: "/echo/orders/1", stage: "beta" });
    expect(await served(def, "https://api.example.com/b/x", { "x-version": "beta" })).toEqual({ status: 200, path: "/echo/b/x", stage: "beta" });
    // The base path rule, its base path stripped.
    expect(await served(def, "https://api.example.com/orders/1")).toEqual({ status: 200, path: "/echo/1", stage: "canary" });
    // No rule: the mappings (base path b → beta, else prod).
    expect(await served(def, "https://api.example.com/b/x")).toEqual({ status: 200, path: "/echo/x", stage: "beta" });
    expect(await served(def, "https://API.example.com:8443/pets")).toEqual({ status: 200, path: "/echo/pets", stage: "prod" });
  });

  it("ROUTING_RULE_ONLY: no matching rule is 403 Forbidden, the mappings are not used", async () => {
    const def = api({ "api.example.com": { routingMode: "ROUTING_RULE_ONLY", rules } });
    expect(await served(def, "https://api.example.com/orders/1")).toMatchObject({ stage: "canary" });
    expect(await served(def, "https://api.example.com/pets")).toEqual({ status: 403, body: '{"message":"Forbidden"}' });
  });

  it("API_MAPPING_ONLY (the default): the rules are there but not evaluated", async () => {
    const def = api({ "api.example.com": { rules } });
    expect(await served(def, "https://api.example.com/orders/1", { "x-version": "beta" })).toEqual({ status: 200, path: "/echo/orders/1", stage: "prod" });
    expect(definitionWarnings(def).map(formatFieldError)).toContain(
      'domainRouting["api.example.com"].routingMode: API_MAPPING_ONLY (the default): the rules are not evaluated; choose ROUTING_RULE_ONLY or ROUTING_RULE_THEN_API_MAPPING',
    );
  });

  it("a wildcard host's rules, and hosts without rules as before", async () => {
    const def = api({ "*.example.com": { routingMode: "ROUTING_RULE_ONLY", rules: [{ priority: 1, actions: [{ invokeApi: { stage: "beta" } }] }] } });
    expect(await served(def, "https://tenant.example.com/x")).toMatchObject({ stage: "beta" });
    expect(await served(def, "https://gateway.test/prod/x")).toMatchObject({ stage: "prod", path: "/echo/x" });
  });
});

describe("routing rules: Amazon's validation", () => {
  const errors = (routing: DomainRoutingDefinition) => checkDefinition(api({ "api.example.com": { routingMode: "ROUTING_RULE_ONLY", ...routing } }), { localDev: true }).map(formatFieldError);
  const at = 'domainRouting["api.example.com"].rules';
  const invoke = [{ invokeApi: { stage: "prod" } }];

  it("duplicate priorities, priorities out of range", () => {
    expect(errors({ rules: [{ priority: 5, actions: invoke }, { priority: 5, actions: invoke }, { priority: 0, actions: invoke }] })).toEqual([
      `${at}[1].priority: Rules can't have the same priority: 5 is also rules[0]'s`,
      `${at}[2].priority: You can set the priority from 1-1,000,000`,
    ]);
  });

  it("more than two header conditions, more than one base path condition, not exactly one action, an unknown stage", () => {
    const header = (h: string) => ({ matchHeaders: { anyOf: [{ header: h, valueGlob: "x" }] } });
    expect(errors({ rules: [{ priority: 1, conditions: [header("a"), header("b"), header("c")], actions: invoke }] })).toEqual([
      `${at}[0].conditions: Conditions can contain up to two matchHeaders conditions and one matchBasePaths conditions`,
    ]);
    expect(errors({ rules: [{ priority: 1, conditions: [{ matchBasePaths: { anyOf: ["a"] } }, { matchBasePaths: { anyOf: ["b"] } }], actions: invoke }] })).toEqual([
      `${at}[0].conditions: Conditions can contain up to two matchHeaders conditions and one matchBasePaths conditions`,
    ]);
    expect(errors({ rules: [{ priority: 1, actions: [] }, { priority: 2, actions: [{ invokeApi: { stage: "nope" } }] }] })).toEqual([
      `${at}[0].actions: Each rule can have one action`,
      `${at}[1].actions[0].invokeApi.stage: unknown stage "nope"; stages are prod, beta, canary`,
    ]);
  });

  it("header names and value globs: Amazon's characters and lengths, wildcards only at the ends", () => {
    const glob = (header: string, valueGlob: string) => errors({ rules: [{ priority: 1, conditions: [{ matchHeaders: { anyOf: [{ header, valueGlob }] } }], actions: invoke }] });
    expect(glob("x-version", "be*ta")).toEqual([`${at}[0].conditions[0].matchHeaders.anyOf[0].valueGlob: Wildcard matching is supported for header glob values but must be for prefix-match, suffix-match, or infix-match`]);
    expect(glob("x version", "beta")[0]).toMatch(/header: The header name must be less than 40 characters and the only allowed characters are/);
    expect(glob("x".repeat(40), "beta")[0]).toMatch(/less than 40 characters/);
    expect(glob("x-version", "b".repeat(128))[0]).toMatch(/valueGlob: The header glob value must be less than 128 characters/);
    expect(glob("x-version", "*beta*")).toEqual([]);
  });
});
