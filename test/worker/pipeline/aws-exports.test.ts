/**
 * Amazon's own published example APIs (test/fixtures/aws, sources in its README), imported as `portico import`
 * imports them and served through the whole pipeline: the PetStore example (Swagger 2: a MOCK root with an HTML
 * template, HTTP integrations with parameter mapping and integration responses, OPTIONS mocks for CORS), the
 * PetStore with a proxy resource (OpenAPI 3 and Swagger 2), the request-validation sample, the HTTP API PetStore
 * (HTTP_PROXY, x-amazon-apigateway-cors), an HTTP API with JWT authorizers and Lambda integrations (a template
 * SAM generated) and SAM's inline-Swagger example. Amazon's demo PetStore backend is the local stand-in
 * (test/support/backend-server.ts `/petstore/…`), reached through the import's `backends` replacement; Lambda
 * functions are the test's Lambda-style Workers, through the import's Lambda mapping.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { checkImport, importApi, importText, type ImportOptions } from "../../../src/config/import/index.ts";
import type { ApiDefinition } from "../../../src/config/types.ts";
import petstoreExample from "../../fixtures/aws/petstore-example.swagger2.json";
import proxyOas3 from "../../fixtures/aws/petstore-proxy.oas30.json";
import proxySwagger2 from "../../fixtures/aws/petstore-proxy.swagger2.json";
import reqValidators from "../../fixtures/aws/reqvalidators.swagger2.json";
import httpPetstore from "../../fixtures/aws/petstore-http-api.oas30.json";
import jwtLambda from "../../fixtures/aws/http-api-jwt-lambda.cfn.json";
import samInline from "../../fixtures/aws/sam-inline-swagger.yaml?raw";
import { claims as baseClaims, sign, signingKey } from "../identity/jwt-tokens.ts";
import { uid } from "../identity/support.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";

/** Imports a fixture as the CLI would, requiring that nothing in it would serve wrongly. */
function imported(value: unknown, options: ImportOptions): ApiDefinition {
  const result = importApi(structuredClone(value), options);
  const { errors } = checkImport(result, { localDev: true });
  expect(errors).toEqual([]);
  return result.definition!;
}

const DEMO = "http://petstore-demo-endpoint.execute-api.com";
const last = async (path: string) => (await (await fetch(`${backendUrl()}/__last?path=${encodeURIComponent(path)}`)).json()) as { method: string; headers: Record<string, string> };

describe("Amazon's PetStore example API (Swagger 2)", async () => {
  const gw = await gatewayFor(imported(petstoreExample, { name: `petstore-${uid()}`, stages: ["test"], backends: { "http://petstore.execute-api.us-east-1.amazonaws.com": backendUrl() } }));

  it("GET / is the MOCK with its HTML template: the stage substituted, Content-Type from the response parameter", async () => {
    const res = await gw.fetch("/test/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html");
    const html = await res.text();
    expect(html).toContain("<h1>Welcome to your Pet Store API</h1>");
    expect(html).toContain('<a href="/test/pets/" target="_blank">');
  });

  it("GET /pets maps the query strings the integration names onto the backend request, and adds the CORS header", async () => {
    const res = await gw.fetch("/test/pets?type=cat&page=1&other=x");
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(await res.json()).toEqual([{ id: 2, type: "cat", price: 124.99 }]);
  });

  it("GET /pets/{petId} maps the path parameter into the URI; a backend 404 still answers 200, as Amazon's default integration response does", async () => {
    const found = await gw.fetch("/test/pets/3");
    expect(found.status).toBe(200);
    expect(await found.json()).toEqual({ id: 3, type: "fish", price: 0.99 });
    const missing = await gw.fetch("/test/pets/9");
    expect(missing.status).toBe(200);
    expect(await missing.json()).toEqual({ message: "no pet 9" });
  });

  it("POST /pets passes the body through (WHEN_NO_MATCH) with its content type", async () => {
    const res = await gw.fetch("/test/pets", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type: "dog", price: 249.99 }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ pet: { type: "dog", price: 249.99 }, message: "success" });
    expect((await last("/petstore/pets")).method).toBe("POST");
  });

  it("OPTIONS mocks answer the CORS headers the export maps; an unknown route is Amazon's 403", async () => {
    const res = await gw.fetch("/test/pets/1", { method: "OPTIONS" });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-methods")).toBe("GET,OPTIONS");
    expect(res.headers.get("access-control-allow-headers")).toBe("Content-Type,X-Amz-Date,Authorization,X-Api-Key");
    const unknown = await gw.fetch("/test/dogs");
    expect(unknown.status).toBe(403);
    expect(await unknown.text()).toBe('{"message":"Missing Authentication Token"}');
  });
});

describe("the PetStore with a proxy resource", () => {
  for (const [form, doc] of [["OpenAPI 3", proxyOas3], ["Swagger 2", proxySwagger2]] as const)
    it(`(${form}) mirrors the backend under the export's stage through ANY /{proxy+}`, async () => {
      const gw = await gatewayFor(imported(doc, { name: `proxy-${uid()}`, backends: { [DEMO]: backendUrl() } }));
      const list = await gw.fetch("/test/pets?type=dog");
      expect(list.status).toBe(200);
      expect(await list.json()).toEqual([{ id: 1, type: "dog", price: 249.99 }]);
      const created = await gw.fetch("/test/pets", { method: "POST", headers: { "content-type": "application/json" }, body: '{"type":"cat"}' });
      expect(await created.json()).toEqual({ pet: { type: "cat" }, message: "success" });
      expect((await gw.fetch("/test/pets/2")).status).toBe(200);
      expect((await gw.fetch("/test/nothing/here")).status).toBe(404);
    });
});

describe("the request-validation sample", async () => {
  const name = `validators-${uid()}`;
  const gw = await gatewayFor(imported(reqValidators, { name, backends: { [DEMO]: backendUrl() } }));
  const created = await SELF.fetch("http://localhost/_portico/keys", {
    method: "POST",
    headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
    body: JSON.stringify({ name: "validators", stages: [`${name}/v1`] }),
  });
  const key = ((await created.json()) as { value: string }).value;
  const keyed = (init: RequestInit = {}) => ({ ...init, headers: { "x-api-key": key, ...(init.headers as Record<string, string>) } });

  it("requires the API key its security names (api_key), before anything else", async () => {
    expect((await gw.fetch("/v1/validation?q1=cat")).status).toBe(403);
  });

  it("GET: the params-only validator requires q1, which is mapped onto the backend's type", async () => {
    const missing = await gw.fetch("/v1/validation", keyed());
    expect(missing.status).toBe(400);
    expect(await missing.text()).toBe('{"message":"Missing required request parameters: [q1]"}');
    const ok = await gw.fetch("/v1/validation?q1=cat", keyed());
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual([{ id: 2, type: "cat", price: 124.99 }]);
  });

  it("POST: the all validator checks the header and the model; the header is mapped; failures take the default 400 response", async () => {
    const pet = { name: "Rex", type: "dog", price: 100 };
    const post = (body: unknown, headers: Record<string, string> = { h1: "v" }) => gw.fetch("/v1/validation", keyed({ method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) }));
    expect(await (await post(pet, {})).text()).toBe('{"message":"Missing required request parameters: [h1]"}');
    const invalid = await post({ ...pet, price: 5 });
    expect(invalid.status).toBe(400);
    expect(await invalid.text()).toBe('{"message":"Invalid request body"}');
    const ok = await post(pet);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ pet, message: "success" });
    expect((await last("/petstore/pets")).headers.custom_h1).toBe("v");
  });
});

describe("the HTTP API PetStore (OpenAPI 3, HTTP_PROXY, x-amazon-apigateway-cors)", async () => {
  const gw = await gatewayFor(imported(httpPetstore, { name: `http-petstore-${uid()}`, backends: { "http://petstore.execute-api.us-west-1.amazonaws.com": backendUrl() } }));

  it("proxies with the client's query string, and answers an unknown route as an HTTP API does", async () => {
    const res = await gw.fetch("/prod/pets?type=fish");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([{ id: 3, type: "fish", price: 0.99 }]);
    const unknown = await gw.fetch("/prod/owners");
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe('{"message":"Not Found"}');
  });

  it("answers preflights from the CORS configuration", async () => {
    const res = await gw.fetch("/prod/pets", { method: "OPTIONS", headers: { origin: "https://shop.example", "access-control-request-method": "POST" } });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toMatch(/POST/);
  });
});

describe("an HTTP API with JWT authorizers and Lambda integrations (a template SAM generated)", async () => {
  const key = await signingKey("ES256", `k-${uid()}`);
  const jwks = `jwt-lambda-${uid()}`;
  await fetch(`${backendUrl()}/jwks-config/${jwks}`, { method: "POST", body: JSON.stringify({ keys: [key.jwk] }) });
  const issuer = "https://www.example.com/v1/connect/oidc";
  const gw = await gatewayFor(
    imported(jwtLambda, {
      name: `jwt-lambda-${uid()}`,
      lambda: { HttpApiFunction: "LAMBDA_ECHO", DifferentFunction: "LAMBDA_ECHO" },
      jwks: { [issuer]: `${backendUrl()}/jwks/${jwks}` },
    }),
  );
  const token = (scope: string) => sign(key, baseClaims({ iss: issuer, aud: "MyApi", scope }));
  // The function echoes its event as the response body.
  const event = async (res: Response) => (await res.json()) as Record<string, unknown>;

  it("an open route invokes the function with the 2.0 event", async () => {
    const res = await gw.fetch("/default/get/a/with/b");
    expect(res.status).toBe(200);
    const e = await event(res);
    expect(e.version).toBe("2.0");
    expect(e.routeKey).toBe("GET /get/{something}/with/{params}");
    expect(e.pathParameters).toEqual({ something: "a", params: "b" });
  });

  it("a JWT route takes the token from the query string it names, checks its scopes, and sends the 1.0 event", async () => {
    expect((await gw.fetch("/default/integration", { method: "POST" })).status).toBe(401);
    expect((await gw.fetch(`/default/integration?param=${await token("scope9")}`, { method: "POST" })).status).toBe(403);
    const res = await gw.fetch(`/default/integration?param=${await token("scope2")}`, { method: "POST" });
    expect(res.status).toBe(200);
    const e = await event(res);
    expect(e.resource).toBe("/integration");
    expect((e.requestContext as { authorizer: { claims: { aud: string } } }).authorizer.claims.aud).toBe("MyApi");
  });

  it("$default catches the rest, behind its authorizer", async () => {
    expect((await gw.fetch("/default/anything/else")).status).toBe(401);
    const res = await gw.fetch(`/default/anything/else?param=${await token("scope1")}`);
    expect(res.status).toBe(200);
    expect((await event(res)).path).toBe("/anything/else");
  });
});

describe("SAM's inline-Swagger example", () => {
  it("serves its stage and the function its Fn::Sub names, through the Lambda mapping", async () => {
    const result = importText(samInline, { name: `sam-${uid()}`, lambda: { MyLambdaFunction: "LAMBDA_ECHO" } });
    expect(checkImport(result, { localDev: true }).errors).toEqual([]);
    const gw = await gatewayFor(result.definition!);
    const res = await gw.fetch("/prod/get");
    expect(res.status).toBe(200);
    const e = (await res.json()) as { resource: string; httpMethod: string };
    expect(e).toMatchObject({ resource: "/get", httpMethod: "GET" });
  });
});
