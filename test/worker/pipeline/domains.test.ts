/** Custom domains: a host (and an optional base path) picks the stage, as Amazon's base path mappings do. */
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";

interface Echo {
  rawUrl: string;
  headers: Record<string, string | undefined>;
}

const definition: ApiDefinition = {
  name: "domains",
  stages: { prod: { variables: { name: "prod" } }, beta: { variables: { name: "beta" } } },
  domains: [
    { host: "api.example.com", stage: "prod" },
    { host: "multi.example.com", basePath: "v1", stage: "prod" },
    { host: "multi.example.com", basePath: "v2", stage: "beta" },
    { host: "mixed.example.com", basePath: "beta", stage: "beta" },
    { host: "mixed.example.com", stage: "prod" },
  ],
  routes: {
    "ANY /{proxy+}": { integration: { type: "http_proxy", uri: `${backendUrl()}/echo/{proxy}`, headers: { "x-stage": "${stageVariables.name}" } } },
  },
};

const call = async (url: string) => {
  const gw = await gatewayFor(definition);
  return gw.request(new Request(url));
};

const echoed = async (url: string) => {
  const res = await call(url);
  expect(res.status, url).toBe(200);
  const echo = (await res.json()) as Echo;
  return { path: echo.rawUrl, stage: echo.headers["x-stage"] };
};

describe("custom domains", () => {
  it("maps a whole host to a stage: no stage segment in the path", async () => {
    expect(await echoed("https://api.example.com/pets/1?x=1")).toEqual({ path: "/echo/pets/1?x=1", stage: "prod" });
  });

  it("matches the host case-insensitively and whatever the port", async () => {
    expect(await echoed("https://API.Example.COM:8443/pets")).toEqual({ path: "/echo/pets", stage: "prod" });
  });

  it("maps host + base path to a stage, stripping the base path before routing", async () => {
    expect(await echoed("https://multi.example.com/v1/pets/1")).toEqual({ path: "/echo/pets/1", stage: "prod" });
    expect(await echoed("https://multi.example.com/v2/pets/1")).toEqual({ path: "/echo/pets/1", stage: "beta" });
  });

  it("answers 403 Forbidden to an unknown base path on a host mapped only by base paths", async () => {
    for (const url of ["https://multi.example.com/v3/pets", "https://multi.example.com/pets", "https://multi.example.com/"]) {
      const res = await call(url);
      expect(res.status, url).toBe(403);
      expect(await res.text()).toBe('{"message":"Forbidden"}');
    }
  });

  it("does not treat a base path as a prefix of a longer segment", async () => {
    const res = await call("https://multi.example.com/v1x/pets");
    expect(res.status).toBe(403);
  });

  it("lets a host's whole-host mapping serve paths that match none of its base paths", async () => {
    expect(await echoed("https://mixed.example.com/beta/pets")).toEqual({ path: "/echo/pets", stage: "beta" });
    expect(await echoed("https://mixed.example.com/pets")).toEqual({ path: "/echo/pets", stage: "prod" });
  });

  it("keeps serving /<stage>/ paths on hosts that have no mapping", async () => {
    expect(await echoed("https://gateway.test/beta/pets")).toEqual({ path: "/echo/pets", stage: "beta" });
    const unknown = await call("https://gateway.test/v1/pets");
    expect(unknown.status).toBe(403);
  });

  it("applies the path rules after the base path is stripped", async () => {
    const refused = await call("https://multi.example.com/v1/a%2Fb");
    expect(refused.status).toBe(400);
    expect(await echoed("https://multi.example.com//v1//pets")).toEqual({ path: "/echo/pets", stage: "prod" });
  });
});
