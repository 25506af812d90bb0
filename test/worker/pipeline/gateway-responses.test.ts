/** Gateway responses: Amazon's defaults byte-exact, and the API's overrides (status, headers, body templates). */
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";
import { REQUEST_ID } from "../integrations/backends.ts";

function api(extra: Partial<ApiDefinition> = {}): ApiDefinition {
  return {
    name: "errors",
    stages: { prod: { variables: { env: "production", note: "line1\r\nx-evil: 1" } } },
    routes: {
      "GET /pets": { integration: { type: "mock", body: { ok: true } }, validate: { query: ["q"] } },
      "POST /pets": { integration: { type: "mock", body: { ok: true } }, validate: { body: { type: "object", required: ["name"] } } },
      "GET /slow": { integration: { type: "http_proxy", uri: `${backendUrl()}/hang`, timeoutMs: 200 } },
      "GET /down": { integration: { type: "http_proxy", uri: `${backendUrl()}/reset` } },
    },
    ...extra,
  };
}

const json = { "content-type": "application/json" };

describe("Amazon's default gateway responses", () => {
  it("answers an unknown path with 403 Missing Authentication Token, byte-exact (rest-routing-unknown-path-403)", async () => {
    const res = await (await gatewayFor(api())).fetch("/prod/random-non-existing");
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("x-amzn-ErrorType")).toBe("MissingAuthenticationTokenException");
    const body = await res.text();
    expect(body).toBe('{"message":"Missing Authentication Token"}');
    expect(new TextEncoder().encode(body).byteLength).toBe(42); // the recorded Content-Length
  });

  it("answers a known path with an unrouted method the same way", async () => {
    const res = await (await gatewayFor(api())).fetch("/prod/pets", { method: "DELETE" });
    expect(res.status).toBe(403);
    expect(await res.text()).toBe('{"message":"Missing Authentication Token"}');
  });

  it("answers an unknown stage with 403 Forbidden (rest-routing-unknown-stage-forbidden)", async () => {
    const res = await (await gatewayFor(api())).fetch("/not-a-stage/anything");
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.text()).toBe('{"message":"Forbidden"}');
  });

  it("answers an unknown route with 404 Not Found in the http flavour (http-routing-not-found)", async () => {
    const res = await (await gatewayFor(api({ flavor: "http" }))).fetch("/prod/cats");
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('{"message":"Not Found"}');
  });

  it("spells integration errors with a space after the colon", async () => {
    const res = await (await gatewayFor(api())).fetch("/prod/slow");
    expect(res.status).toBe(504);
    expect(await res.text()).toBe('{"message": "Endpoint request timed out"}');
  });
});

describe("overridden gateway responses", () => {
  it("applies a type's own override: status, headers and a body template", async () => {
    const gw = await gatewayFor(
      api({
        gatewayResponses: {
          MISSING_AUTHENTICATION_TOKEN: {
            status: 404,
            headers: { "x-type": "$context.error.responseType", "x-stage": "$context.stage" },
            body: '{"error":$context.error.messageString,"raw":"$context.error.message","id":"$context.requestId","env":"$stageVariables.env"}',
          },
        },
      }),
    );
    const res = await gw.fetch("/prod/nowhere");
    expect(res.status).toBe(404);
    expect(res.headers.get("x-type")).toBe("MISSING_AUTHENTICATION_TOKEN");
    expect(res.headers.get("x-stage")).toBe("prod");
    expect(res.headers.get("x-amzn-ErrorType")).toBe("MissingAuthenticationTokenException");
    const id = res.headers.get("x-amzn-RequestId")!;
    expect(id).toMatch(REQUEST_ID);
    expect(await res.text()).toBe(`{"error":"Missing Authentication Token","raw":"Missing Authentication Token","id":"${id}","env":"production"}`);
  });

  it("renders the parameter message and the body validation error into templates", async () => {
    const gw = await gatewayFor(
      api({
        gatewayResponses: {
          BAD_REQUEST_PARAMETERS: { body: '{"problem":$context.error.messageString}' },
          // Plain text: the validation error is inserted raw and may hold quotes.
          BAD_REQUEST_BODY: { status: 422, headers: { "content-type": "text/plain" }, body: "$context.error.message; $context.error.validationErrorString" },
        },
      }),
    );
    const params = await gw.fetch("/prod/pets");
    expect(params.status).toBe(400);
    expect(await params.text()).toBe('{"problem":"Missing required request parameters: [q]"}');

    const body = await gw.fetch("/prod/pets", { method: "POST", headers: json, body: "{}" });
    expect(body.status).toBe(422);
    expect(body.headers.get("content-type")).toBe("text/plain");
    const rendered = await body.text();
    expect(rendered).toMatch(/^Invalid request body; \[.+\]$/);
    expect(rendered).toContain("name");
  });

  it("applies DEFAULT_4XX to a 4xx type that has no override of its own, and not to one that has", async () => {
    const gw = await gatewayFor(
      api({
        gatewayResponses: {
          DEFAULT_4XX: { headers: { "x-default": "4xx" }, body: '{"oops":$context.error.messageString}' },
          BAD_REQUEST_PARAMETERS: { body: '{"own":true}' },
        },
      }),
    );
    const token = await gw.fetch("/prod/nowhere");
    expect(token.status).toBe(403); // DEFAULT_4XX sets no status: the type's own stays
    expect(token.headers.get("x-default")).toBe("4xx");
    expect(await token.text()).toBe('{"oops":"Missing Authentication Token"}');

    const own = await gw.fetch("/prod/pets");
    expect(own.status).toBe(400);
    expect(own.headers.get("x-default")).toBeNull();
    expect(await own.text()).toBe('{"own":true}');

    const server = await gw.fetch("/prod/slow"); // a 5xx: DEFAULT_4XX does not apply
    expect(server.status).toBe(504);
    expect(await server.text()).toBe('{"message": "Endpoint request timed out"}');
  });

  // Recorded (rest-gateway-responses-effective-config): a custom DEFAULT_5XX's status 599 reaches every 5XX type
  // not set explicitly (INTEGRATION_TIMEOUT, INTEGRATION_FAILURE …); an explicitly set type keeps its own.
  it("applies DEFAULT_5XX's status, headers and template to 5xx types without their own override", async () => {
    const gw = await gatewayFor(
      api({
        gatewayResponses: {
          DEFAULT_5XX: { status: 599, headers: { "x-default": "5xx" }, body: '{"message":$context.error.messageString,"type":"$context.error.responseType"}' },
          INTEGRATION_FAILURE: { body: '{"own":"failure"}' },
        },
      }),
    );
    const timeout = await gw.fetch("/prod/slow");
    expect(timeout.status).toBe(599);
    expect(timeout.headers.get("x-default")).toBe("5xx");
    expect(await timeout.text()).toBe('{"message":"Endpoint request timed out","type":"INTEGRATION_TIMEOUT"}');

    const failure = await gw.fetch("/prod/down");
    expect(failure.status).toBe(504);
    expect(failure.headers.get("x-default")).toBeNull();
    expect(await failure.text()).toBe('{"own":"failure"}');
  });

  it("keeps a header single-line when a stage variable in it holds CR/LF", async () => {
    const gw = await gatewayFor(api({ gatewayResponses: { MISSING_AUTHENTICATION_TOKEN: { headers: { "x-note": "$stageVariables.note" } } } }));
    const res = await gw.fetch("/prod/nowhere");
    expect(res.status).toBe(403);
    expect(res.headers.get("x-note")).toBe("line1??x-evil: 1");
    expect(res.headers.get("x-evil")).toBeNull();
  });
});

describe("response header settings", () => {
  it("drops the error type header when errorTypeHeader is false", async () => {
    const res = await (await gatewayFor(api({ settings: { errorTypeHeader: false } }))).fetch("/prod/nowhere");
    expect(res.status).toBe(403);
    expect(res.headers.get("x-amzn-ErrorType")).toBeNull();
    expect(await res.text()).toBe('{"message":"Missing Authentication Token"}');
  });

  it("names the error type header as configured", async () => {
    const res = await (await gatewayFor(api({ settings: { errorTypeHeader: "x-error-type" } }))).fetch("/prod/nowhere");
    expect(res.headers.get("x-error-type")).toBe("MissingAuthenticationTokenException");
    expect(res.headers.get("x-amzn-ErrorType")).toBeNull();
  });

  it("carries the request id in a custom requestIdHeader, on successes and errors", async () => {
    const gw = await gatewayFor(api({ settings: { requestIdHeader: "x-request-id" } }));
    for (const path of ["/prod/pets?q=1", "/prod/nowhere", "/prod/slow"]) {
      const res = await gw.fetch(path);
      expect(res.headers.get("x-request-id"), path).toMatch(REQUEST_ID);
      expect(res.headers.get("x-amzn-RequestId"), path).toBeNull();
    }
  });
});

describe("override headers built from what the client sent", () => {
  it("hold visible ASCII only, so a quoted non-ASCII or NUL property name cannot break the response", async () => {
    const gw = await gatewayFor({
      name: "errors",
      stages: { prod: {} },
      gatewayResponses: { BAD_REQUEST_BODY: { headers: { "x-why": "$context.error.validationErrorString" } } },
      routes: {
        "POST /strict": {
          integration: { type: "mock", body: { ok: true } },
          validate: { body: { type: "object", additionalProperties: false, properties: { a: { type: "string" } } } },
        },
      },
    });
    const res = await gw.fetch("/prod/strict", { method: "POST", headers: { "content-type": "application/json" }, body: '{"\\u0000\u20ac":1}' });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('{"message":"Invalid request body"}');
    const why = res.headers.get("x-why");
    expect(why).toBeTruthy();
    expect(why).toMatch(/^[\x20-\x7e]+$/);
    expect(res.headers.get("x-amzn-RequestId")).toBeTruthy();
  });
});
