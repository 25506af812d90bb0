/**
 * Amazon's integration model through the whole pipeline, beyond the recorded cases (test/worker/conformance): what
 * `validate` reports (field paths, a template's line and column), what a failing mapping answers (Amazon's status
 * and body, nothing of the template or the value), parameter mapping in both flavours, content handling, Lambda
 * custom invocations, the client-header rules as mapping sees them, and a backend that answers a final 1xx.
 */
import { describe, expect, it } from "vitest";
import type { Bundle } from "../../../src/config/bundle.ts";
import { upgradeBundle } from "../../../src/config/bundle-upgrade.ts";
import { checkDefinition, compileDefinition } from "../../../src/config/compile.ts";
import { formatFieldError } from "../../../src/config/field-errors.ts";
import type { ApiDefinition, RouteDefinition } from "../../../src/config/types.ts";
import { createApp } from "../../../src/app.ts";
import { EmbeddedConfigSource } from "../../../src/deploy/config-source.ts";
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import type { Env } from "../../../src/env.ts";
import { workerHits, uniqueSegment } from "../integrations/backends.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";

const api = (routes: Record<string, RouteDefinition>, more: Partial<ApiDefinition> = {}): ApiDefinition => ({ name: "mapping", stages: { prod: {} }, routes, ...more });
const errorsOf = (def: unknown) => checkDefinition(def).map(formatFieldError);
const INTERNAL = '{"message": "Internal server error"}';

describe("validate", () => {
  it("reports template errors with the field path and the line and column inside the template", () => {
    const errors = errorsOf(
      api({
        "POST /a": {
          integration: {
            type: "http",
            uri: "https://b.example/a",
            requestTemplates: { "application/json": '{\n  "x": $input.path(\'$.a[?(@.b)]\')\n}' },
            responses: { default: { statusCode: 200, responseTemplates: { "application/json": "ok\n#if($a)\nno end" } } },
          },
        },
      }),
    );
    expect(errors).toEqual([
      'routes["POST /a"].integration.requestTemplates["application/json"]: line 2, column 8: invalid JSONPath "$.a[?(@.b)]": filter expressions are not supported',
      'routes["POST /a"].integration.responses.default.responseTemplates["application/json"]: line 2, column 1: #if has no matching #end',
    ]);
  });

  it("reports a selection pattern that does not compile, an empty one, and a bad status code", () => {
    const errors = errorsOf(api({ "GET /a": { integration: { type: "mock", responses: { "(4\\d{2}": { statusCode: 400 }, "": { statusCode: 200 }, default: { statusCode: 99 } } } } }));
    expect(errors.join("\n")).toMatch(/routes\["GET \/a"\]\.integration\.responses\["\(4\\\\d\{2\}"\]: selection pattern does not compile: .*missing closing \)/);
    expect(errors.join("\n")).toMatch(/responses\[""\]: an empty selection pattern is the default response: name it `default`/);
    expect(errors.join("\n")).toMatch(/responses\.default\.statusCode/);
  });

  it("reports parameter expressions it cannot read, and path sources that are not parameters of the route", () => {
    const errors = errorsOf(
      api({
        "GET /a/{id}": {
          integration: {
            type: "http",
            uri: "https://b.example/{other}",
            requestParameters: {
              "integration.request.path.other": "method.request.path.nope",
              "integration.request.header.x": "method.request.cookie.c",
              "integration.request.body": "'x'",
              "integration.request.querystring.q": "method.request.body.a[?(@)]",
            },
          },
        },
      }),
    );
    expect(errors).toEqual([
      'routes["GET /a/{id}"].integration.requestParameters["integration.request.path.other"]: {nope} is not a path parameter of this route',
      'routes["GET /a/{id}"].integration.requestParameters["integration.request.header.x"]: unknown source "method.request.cookie.c"',
      'routes["GET /a/{id}"].integration.requestParameters["integration.request.body"]: must be integration.request.header.<name>, integration.request.querystring.<name> or integration.request.path.<name>',
      'routes["GET /a/{id}"].integration.requestParameters["integration.request.querystring.q"]: invalid JSONPath "$.a[?(@)]": filter expressions are not supported',
    ]);
  });

  it("refuses mapping fields on proxy integrations, and the other flavour's parameter syntax", () => {
    expect(errorsOf(api({ "GET /a": { integration: { type: "http_proxy", uri: "https://b.example", requestTemplates: { "application/json": "x" } } as never } })).join("\n")).toMatch(
      /requestTemplates: proxy integrations pass requests and responses through unmapped/,
    );
    const http = errorsOf(
      api({ "GET /a": { integration: { type: "http_proxy", uri: "https://b.example", requestParameters: { "append:header.authorization": "x", "overwrite:header.x": "$request.cookie.c", "integration.request.header.y": "'v'" } } } }, { flavor: "http" }),
    ).join("\n");
    expect(http).toMatch(/append:header\.authorization"\]: authorization is a reserved header/);
    expect(http).toMatch(/overwrite:header\.x"\]: unknown reference \$request\.cookie\.c/);
    expect(http).toMatch(/integration\.request\.header\.y"\]: must be overwrite:\|append:\|remove:/);
  });
});

describe("a mapping that fails answers as Amazon does, and shows nothing of why", () => {
  const send = async (def: ApiDefinition, path: string, init: RequestInit = {}) => {
    const gw = await gatewayFor(def);
    const res = await gw.fetch(path, init);
    return { status: res.status, body: await res.text(), type: res.headers.get("x-amzn-errortype") };
  };

  it("a template past its step bound: 500, not a hang", async () => {
    const list = JSON.stringify(Array.from({ length: 1000 }, (_, i) => i));
    const template = "#foreach($a in $input.path('$'))#foreach($b in $input.path('$'))#end#end SECRET-TEMPLATE-TEXT";
    const res = await send(api({ "POST /a": { integration: { type: "mock", requestTemplates: { "application/json": template } } } }), "/prod/a", { method: "POST", headers: { "content-type": "application/json" }, body: list });
    expect(res).toEqual({ status: 500, body: INTERNAL, type: "InternalServerErrorException" });
  });

  it("a client body $util.parseJson cannot read, and a responseOverride that is not a status: 500", async () => {
    const parse = await send(api({ "POST /a": { integration: { type: "mock", requestTemplates: { "application/json": "$util.parseJson($input.body)" } } } }), "/prod/a", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    expect(parse).toEqual({ status: 500, body: INTERNAL, type: "InternalServerErrorException" });
    const override = await send(
      api({ "GET /a": { integration: { type: "mock", requestTemplates: { "application/json": '{"statusCode": 200}' }, responses: { default: { statusCode: 200, responseTemplates: { "application/json": "#set($context.responseOverride.status = \"nope\")x" } } } } } }),
      "/prod/a",
    );
    expect(override.status).toBe(500);
  });

  it("no response matches and none is the default: 500", async () => {
    const res = await send(api({ "GET /a": { integration: { type: "mock", requestTemplates: { "application/json": '{"statusCode": 404}' }, responses: { "5\\d\\d": { statusCode: 500 } } } } }), "/prod/a");
    expect(res.status).toBe(500);
  });

  it("a body no template takes under NEVER: 415 Unsupported Media Type, the backend never called", async () => {
    const res = await send(api({ "POST /a": { integration: { type: "mock", passthroughBehavior: "NEVER", requestTemplates: { "application/json": '{"statusCode": 200}' } } } }), "/prod/a", {
      method: "POST",
      headers: { "content-type": "text/xml" },
      body: "<a/>",
    });
    expect(res).toEqual({ status: 415, body: '{"message":"Unsupported Media Type"}', type: "UnsupportedMediaTypeException" });
  });

  it("a backend that answers a final 1xx status: 502, the request does not crash", async () => {
    const res = await send(api({ "GET /a": { integration: { type: "http_proxy", uri: `${backendUrl()}/raw-status/199` } } }), "/prod/a");
    expect(res).toEqual({ status: 502, body: INTERNAL, type: "InternalServerErrorException" });
  });
});

describe("parameter mapping", () => {
  it("REST http integration: mapped query, header and path; the client's own headers and query stay behind", async () => {
    const gw = await gatewayFor(
      api({
        "GET /pets/{id}": {
          integration: {
            type: "http",
            uri: `${backendUrl()}/echo/{petId}`,
            requestParameters: {
              "integration.request.path.petId": "method.request.path.id",
              "integration.request.querystring.kind": "method.request.querystring.type",
              "integration.request.header.x-from": "'portico'",
              "integration.request.header.x-stage": "context.stage",
            },
          },
        },
      }),
    );
    const res = await gw.fetch("/prod/pets/7?type=cat&other=1", { headers: { "x-client": "secret", "user-agent": "curl/8" } });
    const echo = (await res.json()) as { path: string; query: string; headers: Record<string, string> };
    expect(echo.path).toBe("/echo/7");
    expect(echo.query).toBe("?kind=cat");
    expect(echo.headers).toMatchObject({ "x-from": "portico", "x-stage": "prod", "user-agent": "AmazonAPIGateway_mapping", "x-amzn-apigateway-api-id": "mapping", accept: "application/json" });
    expect(echo.headers["x-client"]).toBeUndefined();
  });

  it("HTTP flavour http_proxy: overwrite, append and remove on headers and query, overwrite:path, and response mapping by status", async () => {
    const gw = await gatewayFor(
      api(
        {
          "GET /a/{id}": {
            integration: {
              type: "http_proxy",
              uri: `${backendUrl()}/echo/a`,
              requestParameters: {
                "overwrite:header.x-id": "id-${request.path.id}",
                "append:header.x-list": "$context.stage",
                "remove:header.x-drop": "",
                "overwrite:querystring.q": "$request.header.x-q",
                "remove:querystring.gone": "",
                "overwrite:path": "/echo/rewritten",
              },
              responseParameters: { "200": { "overwrite:statuscode": "202", "append:header.x-copied": "$response.header.x-backend", "overwrite:header.x-path": "$response.body.path" } },
            },
          },
        },
        { flavor: "http" },
      ),
    );
    const res = await gw.fetch("/prod/a/42?gone=1&keep=2", { headers: { "x-list": "client", "x-drop": "no", "x-q": "from-header" } });
    expect(res.status).toBe(202);
    expect(res.headers.get("x-copied")).toBe("test");
    expect(res.headers.get("x-path")).toBe("/echo/rewritten");
    const echo = (await res.json()) as { path: string; query: string; headers: Record<string, string> };
    expect(echo.path).toBe("/echo/rewritten");
    expect(new URLSearchParams(echo.query).toString()).toBe("keep=2&q=from-header");
    expect(echo.headers["x-id"]).toBe("id-42");
    expect(echo.headers["x-list"]).toBe("client, prod");
    expect(echo.headers["x-drop"]).toBeUndefined();
  });
});

describe("mapping and what no client may send a backend (security/client-headers.ts)", () => {
  it("a header the route maps counts as gateway-set: the client's _ and . aliases of it never reach the backend", async () => {
    const gw = await gatewayFor(
      api({ "GET /t": { integration: { type: "http_proxy", uri: `${backendUrl()}/echo/t`, requestParameters: { "integration.request.header.x-tenant": "'acme'" } } } }),
    );
    const res = await gw.fetch("/prod/t", { headers: { x_tenant: "forged", "x.tenant": "forged", "x-plain": "kept" } });
    const echo = (await res.json()) as { headers: Record<string, string> };
    expect(echo.headers["x-tenant"]).toBe("acme");
    expect(echo.headers["x_tenant"]).toBeUndefined();
    expect(echo.headers["x.tenant"]).toBeUndefined();
    expect(echo.headers["x-plain"]).toBe("kept");
  });

  it("$input.params() and method.request.header.* never show x-portico-* or other gateways' internal headers, unless the route forwards them", async () => {
    const integration = {
      type: "http" as const,
      method: "POST" as const,
      uri: `${backendUrl()}/echo/m`,
      requestTemplates: { "application/json": "#foreach($h in $input.params().header.keySet())$h,#end" },
      requestParameters: {
        "integration.request.header.x-envoy-copy": "method.request.header.x-envoy-internal",
        "integration.request.header.x-namespace-copy": "method.request.header.x-portico-payload-format",
        "integration.request.header.x-plain-copy": "method.request.header.x-plain",
      },
    };
    const gw = await gatewayFor(api({ "POST /m": { integration }, "POST /opted": { integration, forwardInternalHeaders: ["x-envoy-internal"] } }));
    const headers = { "content-type": "application/json", "x-envoy-internal": "true", "x-portico-payload-format": "1.0", "x-plain": "p" };
    const closed = (await (await gw.fetch("/prod/m", { method: "POST", headers, body: "{}" })).json()) as { body: string; headers: Record<string, string> };
    expect(closed.body.split(",")).toContain("x-plain");
    expect(closed.body).not.toMatch(/x-envoy-internal|x-portico/);
    expect(closed.headers["x-plain-copy"]).toBe("p");
    expect(closed.headers["x-envoy-copy"]).toBeUndefined();
    expect(closed.headers["x-namespace-copy"]).toBeUndefined();
    const opted = (await (await gw.fetch("/prod/opted", { method: "POST", headers, body: "{}" })).json()) as { body: string; headers: Record<string, string> };
    expect(opted.body.split(",")).toContain("x-envoy-internal");
    expect(opted.body).not.toMatch(/x-portico/);
    expect(opted.headers["x-envoy-copy"]).toBe("true");
    expect(opted.headers["x-namespace-copy"]).toBeUndefined();
  });
});

describe("content handling and Lambda custom integrations", () => {
  it("CONVERT_TO_TEXT sends a binary body base64-encoded; CONVERT_TO_BINARY decodes a base64 one", async () => {
    const bytes = new Uint8Array([0, 255, 1, 254]);
    const gw = await gatewayFor(
      api(
        {
          "POST /text": { integration: { type: "http", uri: `${backendUrl()}/echo/text`, contentHandling: "CONVERT_TO_TEXT" } },
          "POST /binary": { integration: { type: "http", uri: `${backendUrl()}/echo/binary`, contentHandling: "CONVERT_TO_BINARY" } },
        },
        { settings: { binaryMediaTypes: ["application/octet-stream"] } },
      ),
    );
    const text = (await (await gw.fetch("/prod/text", { method: "POST", headers: { "content-type": "application/octet-stream" }, body: bytes })).json()) as { body: string };
    expect(text.body).toBe("AP8B/g==");
    const binary = (await (await gw.fetch("/prod/binary", { method: "POST", headers: { "content-type": "text/plain" }, body: "aGVsbG8=" })).json()) as { body: string };
    expect(binary.body).toBe("hello");
  });

  it("an X-Amz-Invocation-Type 'Event' invocation answers at once, and the handler still runs", async () => {
    const path = `/async-${uniqueSegment()}`;
    const gw = await gatewayFor(
      api({ "POST /a": { integration: { type: "service", service: "LAMBDA_ECHO", payloadFormat: "custom", requestTemplates: { "application/json": `{"path": "${path}"}` }, requestParameters: { "integration.request.header.X-Amz-Invocation-Type": "'Event'" } } } }),
    );
    const res = await gw.fetch("/prod/a", { method: "POST" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
    expect(await workerHits("LAMBDA_ECHO", path)).toBe(1);
  });

  it("a Lambda custom handler's error message selects the response; its result never does", async () => {
    const gw = await gatewayFor(
      api({
        "GET /{statusCode}": {
          integration: {
            type: "service",
            service: "LAMBDA_SELECT",
            payloadFormat: "custom",
            requestTemplates: { "application/json": `{"statusCode": "$input.params('statusCode')"}` },
            responses: { default: { statusCode: 200 }, "Error: Raising four.*": { statusCode: 400, responseTemplates: { "application/json": '{"error": "$input.path(\'$.errorMessage\')"}' } }, "Pass": { statusCode: 418 } },
          },
        },
      }),
    );
    const failed = await gw.fetch("/prod/400");
    expect(failed.status).toBe(400);
    expect(await failed.json()).toEqual({ error: "Error: Raising four hundred from within the Lambda function" });
    const passed = await gw.fetch("/prod/200");
    expect(passed.status).toBe(200);
    expect(await passed.text()).toBe('"Pass"');
  });
});

describe("bundles from before mapping existed", () => {
  it("serve as they did: their integrations map nothing", async () => {
    const { id, bundle } = await compileDefinition(api({ "GET /a": { integration: { type: "mock", body: { ok: true } } } }));
    const old = JSON.parse(JSON.stringify(bundle)) as Bundle;
    for (const route of old.routes) delete (route.integration as { mapping?: unknown }).mapping;
    const upgraded = upgradeBundle(old);
    expect(upgraded.routes[0]!.integration).toMatchObject({ mapping: null });
    const app = createApp({ source: new EmbeddedConfigSource(id, upgraded) });
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request("https://gw.test/prod/a"), env as unknown as Env, ctx);
    await waitOnExecutionContext(ctx);
    expect(await res.json()).toEqual({ ok: true });
  });
});
