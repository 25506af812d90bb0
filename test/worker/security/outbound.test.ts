/**
 * Where the gateway may send requests of its own (security/outbound.ts): refused at `validate` and publish with
 * field paths, and again when a stage variable renders the host (500 with Amazon's body, no request sent). A
 * production Worker is the app on the test environment without PORTICO_LOCAL_DEV; the test Worker itself runs
 * with it, since its backend is on loopback.
 */
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { appOn, ENV, TOKEN, uniqueApi } from "../deploy/support.ts";
import { nodeHits, uniqueSegment } from "../integrations/backends.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";

const production = appOn({ ...ENV, PORTICO_LOCAL_DEV: "" });
const localDev = appOn(ENV);

const adminOn = (app: typeof production, path: string, json: unknown) =>
  app(`http://localhost/_portico${path}`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(json) });

function withUri(uri: string, extra: Record<string, unknown> = {}): ApiDefinition {
  return {
    name: uniqueApi("out"),
    stages: { prod: { variables: { backend: "https://api.example.com" } } },
    routes: { "GET /{proxy+}": { integration: { type: "http_proxy", uri, ...extra } } },
  } as ApiDefinition;
}

const URI_PATH = 'definition.routes["GET /{proxy+}"].integration.uri';

/** The admin API's field errors: `path` formatted as in the CLI (`definition.routes["GET /x"].integration.uri`). */
type Errors = { path: string; message: string }[];

async function validateErrors(app: typeof production, definition: unknown): Promise<Errors> {
  const res = await adminOn(app, "/validate", { definition });
  expect(res.status).toBe(200);
  return ((await res.json()) as { errors: Errors }).errors;
}

describe("backend URIs refused at validate and publish, with field paths", () => {
  it.each([
    ["the cloud metadata address", "http://169.254.169.254/latest/meta-data/", /cloud metadata/],
    ["AWS metadata over IPv6", "http://[fd00:ec2::254]/latest/", /cloud metadata/],
    ["GCP's metadata name", "http://metadata.google.internal/computeMetadata/v1/", /cloud metadata/],
    ["Alibaba's metadata address", "http://100.100.100.200/latest/", /cloud metadata/],
    ["loopback", "http://127.0.0.1:8080/{proxy}", /loopback/],
    ["localhost", "http://localhost/{proxy}", /loopback/],
    ["IPv6 loopback", "http://[::1]/{proxy}", /loopback/],
    ["IPv4-mapped IPv6 loopback", "http://[::ffff:127.0.0.1]/{proxy}", /loopback/],
    ["loopback spelled as one decimal number", "http://2130706433/{proxy}", /four decimal numbers \(127\.0\.0\.1\)/],
    ["loopback spelled in octal", "http://0177.0.0.1/{proxy}", /four decimal numbers/],
    ["loopback spelled in hex", "http://0x7f.0.0.1/{proxy}", /four decimal numbers/],
    ["loopback in a short form", "http://127.1/{proxy}", /four decimal numbers/],
    ["a public address in hex", "http://0x08080808/{proxy}", /four decimal numbers \(8\.8\.8\.8\)/],
    ["an RFC 1918 address", "http://10.1.2.3/{proxy}", /private-network/],
    ["another RFC 1918 address", "http://192.168.0.10/{proxy}", /private-network/],
    ["credentials in the URL", "https://user:secret@api.example.com/{proxy}", /credentials/],
    ["a path parameter in the host", "https://{proxy}.example.com/", /cannot be part of the host/],
    ["a path parameter glued to the host", "https://api.example.com{proxy}", /cannot be part of the host/],
    ["a path parameter glued to a stage variable host", "${stageVariables.backend}{proxy}", /must follow a `\/`/],
  ])("%s", async (_what, uri, message) => {
    for (const path of ["/validate", "/deployments"]) {
      const res = await adminOn(production, path, { definition: withUri(uri), stage: "prod" });
      const body = (await res.json()) as { valid?: boolean; errors: Errors };
      if (path === "/deployments") expect(res.status).toBe(400);
      else expect(body.valid).toBe(false);
      expect(body.errors.some((e) => e.path === URI_PATH && message.test(e.message)), JSON.stringify(body.errors)).toBe(true);
    }
  });

  it("never allows metadata addresses, even in local development", async () => {
    const errors = await validateErrors(localDev, withUri("http://169.254.169.254/latest/"));
    expect(errors.map((e) => e.message).join()).toMatch(/cloud metadata/);
  });

  it("allows loopback and private backends only in local development (PORTICO_LOCAL_DEV)", async () => {
    for (const uri of ["http://127.0.0.1:8080/{proxy}", "http://localhost:3000/{proxy}", "http://10.0.0.8/{proxy}"]) {
      expect(await validateErrors(localDev, withUri(uri))).toEqual([]);
      expect((await validateErrors(production, withUri(uri))).length).toBeGreaterThan(0);
    }
  });

  it("accepts public hosts, stage-variable hosts with the path after a `/`, and any host behind a service binding", async () => {
    for (const definition of [
      withUri("https://api.example.com/{proxy}"),
      withUri("http://203.0.113.9:8080/{proxy}"),
      withUri("${stageVariables.backend}/{proxy}"),
      withUri("http://pets.internal/{proxy}", { service: "DEMO_BACKEND" }),
    ])
      expect(await validateErrors(production, definition)).toEqual([]);
  });
});

describe("identity provider URLs", () => {
  const jwt = (jwksUrl: string) => ({
    name: uniqueApi("idp"),
    stages: { prod: {} },
    authorizers: { users: { type: "jwt", issuer: "https://issuer.example.com/", audience: "api", jwksUrl } },
    routes: { "GET /x": { authorizer: "users", integration: { type: "mock" } } },
  });
  const custom = (url: string) => ({
    name: uniqueApi("idp"),
    stages: { prod: {} },
    authorizers: { decide: { type: "custom", url } },
    routes: { "GET /x": { authorizer: "decide", integration: { type: "mock" } } },
  });

  it("must be https outside local development, with a field path and a hint", async () => {
    const errors = [
      ...(await validateErrors(production, jwt("http://issuer.example.com/jwks.json"))),
      ...(await validateErrors(production, custom("http://authz.example.com/decide"))),
    ];
    expect(errors).toEqual([
      { path: "definition.authorizers.users.jwksUrl", message: expect.stringMatching(/must be an https:\/\/ URL.*PORTICO_LOCAL_DEV/) },
      { path: "definition.authorizers.decide.url", message: expect.stringMatching(/must be an https:\/\/ URL.*PORTICO_LOCAL_DEV/) },
    ]);
    expect(await validateErrors(localDev, jwt(`${backendUrl()}/jwks/x`))).toEqual([]);
  });

  it("may not point at metadata or loopback addresses", async () => {
    const errors = await validateErrors(production, jwt("https://169.254.169.254/jwks"));
    expect(errors).toEqual([{ path: "definition.authorizers.users.jwksUrl", message: expect.stringMatching(/cloud metadata/) }]);
    expect((await validateErrors(production, custom("https://127.0.0.1/decide")))[0]!.message).toMatch(/loopback/);
  });
});

describe("a stage variable that renders a refused backend, at request time", () => {
  const api = (u: string, backend: string): ApiDefinition => ({
    name: "render",
    stages: { prod: { variables: { backend } } },
    routes: { "GET /{proxy+}": { integration: { type: "http_proxy", uri: `\${stageVariables.backend}/echo/${u}/{proxy}` } } },
  });

  it("answers 500 with Amazon's body, and sends nothing, when a production Worker renders a loopback backend", async () => {
    const u = uniqueSegment();
    const gw = await gatewayFor(api(u, backendUrl()), { PORTICO_LOCAL_DEV: "" });
    const res = await gw.fetch("/prod/a");
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('{"message": "Internal server error"}');
    expect(await nodeHits(`/echo/${u}/a`)).toBe(0);
    // The same definition in local development reaches it.
    const dev = await gatewayFor(api(u, backendUrl()));
    expect((await dev.fetch("/prod/a")).status).toBe(200);
    expect(await nodeHits(`/echo/${u}/a`)).toBe(1);
  });

  it("refuses the loopback backend however its address is spelled", async () => {
    const port = new URL(backendUrl()).port;
    for (const host of ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "[::ffff:7f00:1]", "localhost"]) {
      const u = uniqueSegment();
      const gw = await gatewayFor(api(u, `http://${host}:${port}`), { PORTICO_LOCAL_DEV: "" });
      const res = await gw.fetch("/prod/a");
      expect(res.status, host).toBe(500);
      expect(await nodeHits(`/echo/${u}/a`)).toBe(0);
    }
  });

  it("refuses metadata addresses and credentials even in local development", async () => {
    for (const backend of ["http://169.254.169.254", "http://[fd00:ec2::254]", "http://metadata.google.internal", `http://user:pw@127.0.0.1:${new URL(backendUrl()).port}`]) {
      const u = uniqueSegment();
      const gw = await gatewayFor(api(u, backend));
      const res = await gw.fetch("/prod/a");
      expect(res.status, backend).toBe(500);
      expect(await res.text()).toBe('{"message": "Internal server error"}');
      expect(await nodeHits(`/echo/${u}/a`)).toBe(0);
    }
  });
});
