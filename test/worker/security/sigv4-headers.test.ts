/**
 * SigV4: only what the signature covers reaches the backend. A header added to a signed request on its way (not
 * in SignedHeaders) is dropped before the backend, through the whole pipeline against the real echo backend;
 * `forwardUnsignedHeaders: true` is the documented way to keep them.
 */
import { AwsClient } from "aws4fetch";
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";
import { uid } from "../identity/support.ts";

const ACCESS_KEY = "AKIDHEADERS00000TEST";
const SECRET = "headers-secret-access-key";
const ENV = { HEADERS_SIGV4_SECRET: SECRET };

function api(path: string, forwardUnsignedHeaders?: boolean): ApiDefinition {
  return {
    name: `sig-${uid()}`,
    stages: { prod: {} },
    authorizers: { iam: { type: "sigv4", credentials: { [ACCESS_KEY]: "HEADERS_SIGV4_SECRET" }, ...(forwardUnsignedHeaders === undefined ? {} : { forwardUnsignedHeaders }) } },
    routes: {
      "POST /x": {
        authorizer: "iam",
        integration: { type: "http_proxy", uri: `${backendUrl()}/echo/${path}`, headers: { "x-configured": "by-the-route" } },
      },
    },
  };
}

/** A request signed over x-signed and the body, then given headers on its way that no one signed. */
async function signedThenTampered(): Promise<Request> {
  const signer = new AwsClient({ accessKeyId: ACCESS_KEY, secretAccessKey: SECRET, service: "execute-api", region: "us-east-1" });
  const signed = await signer.sign("http://gateway.test/prod/x", { method: "POST", headers: { "x-signed": "yes", "content-type": "application/json" }, body: '{"a":1}' });
  const headers = new Headers(signed.headers);
  headers.set("x-injected", "evil");
  headers.set("x-user-id", "admin");
  headers.set("x-configured", "from-the-client");
  return new Request(signed.url, { method: "POST", headers, body: '{"a":1}' });
}

interface Echo {
  headers: Record<string, string | undefined>;
  body: string;
}

describe("sigv4 and unsigned headers", () => {
  it("drops headers outside SignedHeaders before the backend, keeping the signed ones, the signature and the route's own", async () => {
    const path = `sig-${uid()}`;
    const gw = await gatewayFor(api(path), ENV);
    const res = await gw.request(await signedThenTampered());
    expect(res.status).toBe(200);
    const echo = (await res.json()) as Echo;
    expect(echo.headers["x-injected"]).toBeUndefined();
    expect(echo.headers["x-user-id"]).toBeUndefined();
    expect(echo.headers["x-signed"]).toBe("yes");
    expect(echo.headers["content-type"]).toBe("application/json");
    expect(echo.headers["authorization"]).toMatch(/^AWS4-HMAC-SHA256 /);
    expect(echo.headers["x-amz-date"]).toBeDefined();
    expect(echo.headers["x-configured"]).toBe("by-the-route");
    expect(echo.headers["x-forwarded-host"]).toBe("gateway.test");
    expect(echo.body).toBe('{"a":1}');
  });

  it("forwards them when the authorizer says forwardUnsignedHeaders: true", async () => {
    const path = `sig-${uid()}`;
    const gw = await gatewayFor(api(path, true), ENV);
    const echo = (await (await gw.request(await signedThenTampered())).json()) as Echo;
    expect(echo.headers["x-injected"]).toBe("evil");
    expect(echo.headers["x-user-id"]).toBe("admin");
  });
});
