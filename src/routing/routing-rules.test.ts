/** Routing rules as a pure function: compiled rules + a request's headers and path → the API and stage, or none. */
import { describe, expect, it } from "vitest";
import type { BundleDomainRouting, BundleRoutingRule } from "../config/bundle.ts";
import { compileGlob, compileRouting, routeByRules } from "./routing-rules.ts";

const rule = (priority: number, over: Partial<BundleRoutingRule> = {}): BundleRoutingRule => ({ priority, headers: [], basePaths: [], apiId: null, stage: `s${priority}`, stripBasePath: false, ...over });
const routing = (rules: BundleRoutingRule[], routingMode: BundleDomainRouting["routingMode"] = "ROUTING_RULE_ONLY") => compileRouting({ host: "api.example.com", routingMode, rules }, "shop");
const request = (path: string, headers: Record<string, string> = {}) => {
  const h = new Headers(headers);
  return { header: (name: string) => h.get(name), segments: path.split("/").filter(Boolean) };
};

describe("value globs", () => {
  it("match the whole value: exact, prefix (beta*), suffix (*beta), infix (*beta*), anything (*); case-sensitive", () => {
    expect(compileGlob("beta")("beta")).toBe(true);
    expect(compileGlob("beta")("beta2")).toBe(false);
    expect(compileGlob("beta*")("beta-2")).toBe(true);
    expect(compileGlob("beta*")("xbeta")).toBe(false);
    expect(compileGlob("*beta")("v-beta")).toBe(true);
    expect(compileGlob("*beta")("beta-v")).toBe(false);
    expect(compileGlob("*beta*")("a-beta-b")).toBe(true);
    expect(compileGlob("*")("")).toBe(true);
    expect(compileGlob("Beta")("beta")).toBe(false);
  });
});

describe("routeByRules", () => {
  it("evaluates rules from the lowest priority value, whatever order they were written in", () => {
    const r = routing([rule(300), rule(100, { headers: [{ header: "x-version", valueGlob: "beta" }] }), rule(200)]);
    expect(routeByRules(r, request("/a", { "X-Version": "beta" }))).toMatchObject({ stage: "s100", priority: 100 });
    expect(routeByRules(r, request("/a"))).toMatchObject({ stage: "s200" });
  });

  it("ANDs two header conditions (names case-insensitive) and a base path condition (any of its paths)", () => {
    const r = routing([rule(1, { headers: [{ header: "hello", valueGlob: "World" }, { header: "x-version", valueGlob: "beta*" }], basePaths: ["users", "v2/users"] })], "ROUTING_RULE_ONLY");
    expect(routeByRules(r, request("/users/7", { Hello: "World", "x-version": "beta-1" }))).toMatchObject({ stage: "s1", consumed: 0 });
    expect(routeByRules(r, request("/v2/users", { hello: "World", "x-version": "beta" }))).toMatchObject({ stage: "s1" });
    expect(routeByRules(r, request("/users/7", { Hello: "world", "x-version": "beta" }))).toBeUndefined();
    expect(routeByRules(r, request("/users/7", { Hello: "World" }))).toBeUndefined();
    expect(routeByRules(r, request("/orders", { Hello: "World", "x-version": "beta" }))).toBeUndefined();
    // A base path matches whole segments only.
    expect(routeByRules(r, request("/usersx", { Hello: "World", "x-version": "beta" }))).toBeUndefined();
  });

  it("strips the matched base path only when the action says so; names another API when it does", () => {
    const strip = routing([rule(1, { basePaths: ["v2/orders"], stripBasePath: true, apiId: "orders-v2" })]);
    expect(routeByRules(strip, request("/v2/orders/9"))).toEqual({ api: "orders-v2", stage: "s1", consumed: 2, priority: 1 });
    const keep = routing([rule(1, { basePaths: ["orders"] })]);
    expect(routeByRules(keep, request("/orders/9"))).toEqual({ api: "shop", stage: "s1", consumed: 0, priority: 1 });
  });

  it("a rule without conditions catches everything; API_MAPPING_ONLY evaluates no rule", () => {
    expect(routeByRules(routing([rule(9)]), request("/"))).toMatchObject({ stage: "s9" });
    expect(routeByRules(routing([rule(9)], "API_MAPPING_ONLY"), request("/"))).toBeUndefined();
  });
});
