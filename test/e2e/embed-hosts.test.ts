/**
 * Definitions embedded beside each other (`portico embed --with`, as `build` and `dev` do) share hosts by the
 * published index's rules: one API per host + base path, and a host's routing rules belong to one API, the only
 * one mapping that host. A conflict is exit 2 with one line, and nothing is written.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, runCli } from "./support/checkout.ts";

const CLI = join(REPO_ROOT, "cli", "portico.mjs");
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "portico-embed-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rules = "domainRouting:\n  shop.example.com:\n    routingMode: ROUTING_RULE_ONLY\n    rules:\n      - { priority: 1, actions: [{ invokeApi: { stage: prod } }] }\n";
function write(name: string, api: string, more = "") {
  writeFileSync(join(dir, name), `name: ${api}\nstages: { prod: {} }\nroutes:\n  GET /a: { integration: { type: mock } }\n${more}`);
  return join(dir, name);
}

describe("portico embed --with: hosts", () => {
  it("refuses a second API's rules for a host, and a mapping on a host whose rules are another API's", async () => {
    const out = join(dir, "embedded.json");
    const shop = write("shop.yaml", "shop", rules);
    const rival = write("rival.yaml", "rival", rules);
    const mapper = write("mapper.yaml", "mapper", "domains: [{ host: shop.example.com, basePath: m, stage: prod }]\n");
    expect(await runCli(CLI, ["embed", shop, out, "--with", rival], dir)).toEqual({ status: 2, stdout: "", stderr: `${rival}: host shop.example.com already has routing rules of API shop\n` });
    expect(await runCli(CLI, ["embed", shop, out, "--with", mapper], dir)).toEqual({ status: 2, stdout: "", stderr: `${mapper}: host shop.example.com has routing rules of API shop: only that API may map it\n` });
    expect(existsSync(out)).toBe(false);
    // Hosts of their own: embedded side by side.
    const other = write("other.yaml", "other", "domains: [{ host: other.example.com, stage: prod }]\n");
    expect((await runCli(CLI, ["embed", shop, out, "--with", other], dir)).status).toBe(0);
    expect(existsSync(out)).toBe(true);
  });
});
