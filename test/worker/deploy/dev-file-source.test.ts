/**
 * `portico dev FILE` serves FILE: the dev-only source serves the file's stages from the embedded bundle even when
 * the real local Registry holds a published version of them, and only the stages named `--published` defer to
 * the Registry. Without the dev vars (a deployed Worker) the Registry source alone decides, as before.
 */
import { SELF, createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/app.ts";
import type { ServerFacts } from "../../../src/admin/server.ts";
import { compileDefinition } from "../../../src/config/compile.ts";
import { EmbeddedConfigSource, type ConfigSource } from "../../../src/deploy/config-source.ts";
import { DevFileConfigSource, devFileOptions } from "../../../src/deploy/dev-file-source.ts";
import { RegistryConfigSource } from "../../../src/deploy/registry-source.ts";
import { definition, EMBEDDED, ENV, publish, TOKEN, uniqueApi, versionOf } from "./support.ts";

const twoStages = (api: string, tag: string) => definition(api, tag, { stages: { prod: {}, dev: {} } });

async function setUp() {
  const api = uniqueApi("devfile");
  const file = await compileDefinition(twoStages(api, "file"));
  const publishedId = await publish(twoStages(api, "published"));
  await publish(twoStages(api, "published"), { stage: "dev" });
  return { api, file, publishedId, embedded: new EmbeddedConfigSource(file.id, file.bundle) };
}

function serve(source: ConfigSource, facts?: ServerFacts) {
  const app = createApp({ source, ...(facts ? { facts: () => facts } : {}) });
  return async (url: string, headers: Record<string, string> = {}) => {
    const res = await app.fetch(new Request(url, { headers }), ENV, createExecutionContext());
    return { status: res.status, version: versionOf(res), body: (await res.json()) as Record<string, unknown> };
  };
}

describe("portico dev's source", () => {
  it("serves the file's stages over published versions, on the Worker's own host and on the file's domains", async () => {
    const { api, file, publishedId, embedded } = await setUp();
    const plain = serve(new RegistryConfigSource(ENV, embedded));
    // What a deployed Worker does (and what portico dev did before): the published version wins.
    expect((await plain(`http://${api}.test/who`)).body).toEqual({ tag: "published" });

    const fetch = serve(new DevFileConfigSource(new RegistryConfigSource(ENV, embedded), embedded, { file: "api.yaml", published: new Set() }));
    for (const url of [`http://localhost/prod/who`, `http://localhost/dev/who`, `http://${api}.test/who`]) {
      const res = await fetch(url);
      expect(res, url).toMatchObject({ status: 200, body: { tag: "file" }, version: file.id.slice(0, 12) });
    }
    expect(publishedId).not.toBe(file.id);
  });

  it("serves a stage named --published from the Registry, and every stage with --published all", async () => {
    const { api, file, publishedId, embedded } = await setUp();
    const some = serve(new DevFileConfigSource(new RegistryConfigSource(ENV, embedded), embedded, { file: "api.yaml", published: new Set(["dev"]) }));
    expect(await some("http://localhost/prod/who")).toMatchObject({ body: { tag: "file" }, version: file.id.slice(0, 12) });
    expect(await some("http://localhost/dev/who")).toMatchObject({ body: { tag: "published" }, version: publishedId.slice(0, 12) });
    // The domain maps prod, which still comes from the file.
    expect((await some(`http://${api}.test/who`)).body).toEqual({ tag: "file" });

    const all = serve(new DevFileConfigSource(new RegistryConfigSource(ENV, embedded), embedded, { file: "api.yaml", published: "all" }));
    expect((await all("http://localhost/prod/who")).body).toEqual({ tag: "published" });
    expect((await all(`http://${api}.test/who`)).body).toEqual({ tag: "published" });
  });

  it("serves the file's routing rules, unless every stage is served as deployed (--published all)", async () => {
    const { api, embedded: plain } = await setUp();
    const routing = { [`${api}.test`]: { routingMode: "ROUTING_RULE_ONLY", rules: [{ priority: 1, conditions: [{ matchHeaders: { anyOf: [{ header: "x-to", valueGlob: "dev" }] } }], actions: [{ invokeApi: { stage: "dev" } }] }] } };
    const file = await compileDefinition({ ...twoStages(api, "file"), domainRouting: routing });
    const embedded = new EmbeddedConfigSource(file.id, file.bundle);
    const some = serve(new DevFileConfigSource(new RegistryConfigSource(ENV, plain), embedded, { file: "api.yaml", published: new Set(["dev"]) }));
    expect((await some(`http://${api}.test/who`)).status).toBe(403);
    expect(await some(`http://${api}.test/who`, { "x-to": "dev" })).toMatchObject({ status: 200, body: { tag: "published" } });
    // Every stage as deployed: the published versions' rules (none), so the mapping serves prod.
    const all = serve(new DevFileConfigSource(new RegistryConfigSource(ENV, plain), embedded, { file: "api.yaml", published: "all" }));
    expect(await all(`http://${api}.test/who`)).toMatchObject({ status: 200, body: { tag: "published" } });
  });

  it("leaves other APIs and unknown stages to the Registry", async () => {
    const { embedded } = await setUp();
    const other = uniqueApi("other");
    await publish(definition(other, "other"));
    const fetch = serve(new DevFileConfigSource(new RegistryConfigSource(ENV, embedded), embedded, { file: "api.yaml", published: new Set() }));
    expect((await fetch(`http://${other}.test/who`)).body).toEqual({ tag: "other" });
    expect((await fetch("http://localhost/staging/who")).status).toBe(403);
  });

  it("is on only when portico dev sets PORTICO_DEV_FILE", () => {
    expect(devFileOptions({})).toBeNull();
    expect(devFileOptions({ PORTICO_DEV_FILE: "" })).toBeNull();
    expect(devFileOptions({ PORTICO_DEV_FILE: "api.yaml", PORTICO_DEV_PUBLISHED: "" })).toEqual({ file: "api.yaml", published: new Set() });
    expect(devFileOptions({ PORTICO_DEV_FILE: "api.yaml", PORTICO_DEV_PUBLISHED: "prod, dev" })).toEqual({ file: "api.yaml", published: new Set(["prod", "dev"]) });
    expect(devFileOptions({ PORTICO_DEV_FILE: "api.yaml", PORTICO_DEV_PUBLISHED: "*" })?.published).toBe("all");
  });
});

describe("GET /_portico/server", () => {
  it("says what the Worker serves unpublished; outside portico dev, `dev` is null", async () => {
    const res = await SELF.fetch("http://localhost/_portico/server", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      defaultApi: EMBEDDED.bundle.api.name,
      embedded: { api: EMBEDDED.bundle.api.name, flavor: "rest", version: EMBEDDED.id, stages: Object.keys(EMBEDDED.bundle.stages), domains: [] },
      // The example's chat, embedded beside it (vitest.config.ts, as npm run dev's --with): reached on its domain only.
      others: [{ api: "chat", flavor: "websocket", version: EMBEDDED.others![0]!.id, stages: ["prod"], domains: [{ host: "chat.localhost", basePath: "", stage: "prod" }] }],
      dev: null,
    });
  });

  it("needs the admin token like every admin route", async () => {
    expect((await SELF.fetch("http://localhost/_portico/server")).status).toBe(401);
  });
});
