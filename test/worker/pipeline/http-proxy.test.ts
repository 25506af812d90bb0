/** http_proxy through the whole pipeline, against the real local Node backend. */
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";

interface Echo {
  method: string;
  path: string;
  rawUrl: string;
  query: string;
  headers: Record<string, string | undefined>;
  body: string;
  bodyBytes: number;
}

function api(routes: ApiDefinition["routes"], variables: Record<string, string> = {}): ApiDefinition {
  return {
    name: "proxy",
    settings: { maxBodyBytes: 8 * 1024 * 1024 },
    stages: { prod: { variables: { backend: backendUrl(), ...variables } }, dev: { variables: { backend: backendUrl(), env: "dev", dir: "dev-dir" } } },
    routes,
  };
}

const echoAll = api({ "ANY /{proxy+}": { integration: { type: "http_proxy", uri: "${stageVariables.backend}/echo/{proxy}" } } });

/** Printable ASCII in an order that catches lost, repeated or reordered chunks (the echo returns text). */
function asciiBody(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = 33 + ((i * 7919 + (i >> 10)) % 94);
  return bytes;
}

describe("http_proxy request", () => {
  it("forwards the client's method", async () => {
    const gw = await gatewayFor(echoAll);
    for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
      const echo = (await (await gw.fetch("/prod/m", { method })).json()) as Echo;
      expect(echo.method).toBe(method);
    }
  });

  it("substitutes {param} and {proxy} raw, never decoded, and merges the client's query into the URI's", async () => {
    const gw = await gatewayFor(
      api({ "ANY /items/{id}/{proxy+}": { integration: { type: "http_proxy", uri: "${stageVariables.backend}/echo/items/{id}/{proxy}?fixed=1" } } }),
    );
    const res = await gw.fetch("/prod/items/a%20b/c%2Bd/e+f/%C3%A9?x=1&y=a%20b&z=c+d");
    const echo = (await res.json()) as Echo;
    expect(echo.rawUrl).toBe("/echo/items/a%20b/c%2Bd/e+f/%C3%A9?fixed=1&x=1&y=a%20b&z=c+d");
  });

  it("passes the query through as sent when the URI has none", async () => {
    const gw = await gatewayFor(echoAll);
    const echo = (await (await gw.fetch("/prod/q?a=1&a=2&b=%2F&c")).json()) as Echo;
    expect(echo.rawUrl).toBe("/echo/q?a=1&a=2&b=%2F&c");
  });

  it("passes end-to-end headers and strips hop-by-hop ones, including those named in Connection", async () => {
    const gw = await gatewayFor(echoAll);
    const res = await gw.fetch("/prod/h", {
      headers: {
        "x-custom": "kept",
        authorization: "Bearer abc",
        accept: "text/plain",
        connection: "close, x-private",
        "keep-alive": "timeout=5",
        te: "trailers",
        "transfer-encoding": "chunked",
        upgrade: "websocket",
        "proxy-authorization": "Basic eDp5",
        "x-private": "connection-scoped",
      },
    });
    const { headers } = (await res.json()) as Echo;
    expect(headers["x-custom"]).toBe("kept");
    expect(headers.authorization).toBe("Bearer abc");
    expect(headers.accept).toBe("text/plain");
    for (const hop of ["keep-alive", "te", "upgrade", "proxy-authorization", "x-private"]) expect(headers[hop], hop).toBeUndefined();
    expect(headers.connection ?? "").not.toContain("x-private");
    expect(headers["transfer-encoding"]).toBeUndefined(); // a GET without a body: nothing to frame
  });

  it("adds X-Forwarded-For (the client's CF-Connecting-IP after any prior hops), -Proto, -Port and -Host", async () => {
    const gw = await gatewayFor(echoAll);
    const prior = await gw.request(
      new Request("https://api.example.com:8443/prod/xff", { headers: { "cf-connecting-ip": "203.0.113.9", "x-forwarded-for": "10.0.0.1, 10.0.0.2" } }),
    );
    const h1 = ((await prior.json()) as Echo).headers;
    expect(h1["x-forwarded-for"]).toBe("10.0.0.1, 10.0.0.2, 203.0.113.9");
    expect(h1["x-forwarded-proto"]).toBe("https");
    expect(h1["x-forwarded-port"]).toBe("8443");
    expect(h1["x-forwarded-host"]).toBe("api.example.com:8443");

    const fresh = await gw.request(new Request("http://gateway.test/prod/xff", { headers: { "cf-connecting-ip": "198.51.100.4" } }));
    const h2 = ((await fresh.json()) as Echo).headers;
    expect(h2["x-forwarded-for"]).toBe("198.51.100.4");
    expect(h2["x-forwarded-proto"]).toBe("http");
    expect(h2["x-forwarded-port"]).toBe("80");
  });

  it("streams a body of a few MB through byte-exact, keeping the client's Content-Length", async () => {
    const gw = await gatewayFor(echoAll);
    const body = asciiBody(3 * 1024 * 1024 + 17);
    const res = await gw.request(
      new Request("http://gateway.test/prod/upload", { method: "PUT", body, headers: { "content-length": String(body.byteLength) } }),
    );
    expect(res.status).toBe(200);
    const echo = (await res.json()) as Echo;
    expect(echo.bodyBytes).toBe(body.byteLength);
    expect(echo.headers["content-length"]).toBe(String(body.byteLength));
    expect(echo.headers["transfer-encoding"]).toBeUndefined();
    expect(echo.body === new TextDecoder().decode(body)).toBe(true);
  });

  it("streams a body without a length through whole (chunked)", async () => {
    const gw = await gatewayFor(echoAll);
    const body = asciiBody(1024 * 1024);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < body.byteLength; i += 64 * 1024) controller.enqueue(body.slice(i, i + 64 * 1024));
        controller.close();
      },
    });
    const res = await gw.request(new Request("http://gateway.test/prod/chunks", { method: "POST", body: stream, duplex: "half" } as RequestInit));
    const echo = (await res.json()) as Echo;
    expect(echo.bodyBytes).toBe(body.byteLength);
    expect(echo.body === new TextDecoder().decode(body)).toBe(true);
  });
});

describe("http_proxy response", () => {
  it("streams a large response body back whole", async () => {
    const gw = await gatewayFor(api({ "GET /bytes/{n}": { integration: { type: "http_proxy", uri: "${stageVariables.backend}/bytes/{n}" } } }));
    const res = await gw.fetch("/prod/bytes/4194304");
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(bytes.byteLength).toBe(4194304);
    expect(bytes.every((b) => b === 0x78)).toBe(true);
  });

  it("strips hop-by-hop response headers and those named in Connection, keeping end-to-end ones", async () => {
    const gw = await gatewayFor(api({ "GET /hop": { integration: { type: "http_proxy", uri: "${stageVariables.backend}/hop-by-hop" } } }));
    const res = await gw.fetch("/prod/hop");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-end-to-end")).toBe("kept");
    for (const hop of ["connection", "keep-alive", "x-private-hop", "proxy-authenticate"]) expect(res.headers.get(hop), hop).toBeNull();
    expect(await res.text()).toBe("ok");
  });

  it.each([418, 503, 400, 201])("passes backend status %i through with its body", async (status) => {
    const gw = await gatewayFor(api({ "ANY /status/{n}": { integration: { type: "http_proxy", uri: "${stageVariables.backend}/status/{n}" } } }));
    const res = await gw.fetch(`/prod/status/${status}`, { method: "POST" });
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ status });
    expect(res.headers.get("x-amzn-ErrorType")).toBeNull(); // a backend's error is not a gateway error
  });

  it("passes a redirect back to the client instead of following it", async () => {
    const gw = await gatewayFor(api({ "GET /go": { integration: { type: "http_proxy", uri: "${stageVariables.backend}/redirect" } } }));
    const res = await gw.fetch("/prod/go");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/echo/redirected");
  });
});

describe("http_proxy stage variables", () => {
  const routes: ApiDefinition["routes"] = {
    "GET /vars": {
      integration: {
        type: "http_proxy",
        uri: "${stageVariables.backend}/echo/${stageVariables.dir}",
        headers: { "x-env": "env-${stageVariables.env}", "x-static": "s" },
      },
    },
  };

  it("renders stage variables in the URI and in header values, per stage", async () => {
    const gw = await gatewayFor(api(routes, { env: "prod", dir: "prod-dir" }));
    const prod = (await (await gw.fetch("/prod/vars")).json()) as Echo;
    expect(prod.path).toBe("/echo/prod-dir");
    expect(prod.headers["x-env"]).toBe("env-prod");
    expect(prod.headers["x-static"]).toBe("s");
    const dev = (await (await gw.fetch("/dev/vars")).json()) as Echo;
    expect(dev.path).toBe("/echo/dev-dir");
    expect(dev.headers["x-env"]).toBe("env-dev");
  });

  it("answers 500 without internal detail when an undefined stage variable leaves no URL", async () => {
    const gw = await gatewayFor(api({ "GET /broken": { integration: { type: "http_proxy", uri: "${stageVariables.nowhere}/echo/broken" } } }));
    const res = await gw.fetch("/prod/broken");
    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.text()).toBe('{"message": "Internal server error"}');
  });
});
