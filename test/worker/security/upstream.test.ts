/**
 * A backend that breaks HTTP, and an upload that breaks the body limit, through the whole pipeline against the
 * real local Node backend (test/support/backend-server.ts), which records what it received.
 */
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";
import { nodeHits, uniqueSegment } from "../integrations/backends.ts";

const LIMIT = 256 * 1024;

function api(flavor: "rest" | "http" = "rest"): ApiDefinition {
  return {
    name: "upstream",
    flavor,
    settings: { maxBodyBytes: LIMIT },
    stages: { prod: { variables: { backend: backendUrl() } } },
    routes: {
      "ANY /{proxy+}": { integration: { type: "http_proxy", uri: "${stageVariables.backend}/{proxy}" } },
      "GET /mapped/{proxy+}": { integration: { type: "http", uri: "${stageVariables.backend}/{proxy}" } },
    },
  };
}

describe("a backend status no client can be given", () => {
  it.each(["600", "999", "199", "100", "101", "103"])("answers 502 to a final status %s (http_proxy and http), never 500", async (status) => {
    const gw = await gatewayFor(api());
    for (const path of [`/prod/raw-status/${status}`, `/prod/mapped/raw-status/${status}`]) {
      const res = await gw.fetch(path);
      expect(res.status).toBe(502);
      expect(await res.text()).toBe('{"message": "Internal server error"}');
    }
  });

  it("answers 502 to a backend that sends 100 Continue and then closes, without failing the request", async () => {
    const gw = await gatewayFor(api("http"));
    const res = await gw.fetch("/prod/raw-status/200?interim=1", { method: "POST", body: "x" });
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ message: "Internal Server Error" });
    // The gateway still serves the next request normally.
    expect((await gw.fetch("/prod/status/201")).status).toBe(201);
  });
});

describe("an upload without a length past maxBodyBytes", () => {
  const chunked = (chunks: number, size: number) =>
    new ReadableStream<Uint8Array>({
      async pull(controller) {
        await new Promise((r) => setTimeout(r, 1));
        if (chunks-- <= 0) controller.close();
        else controller.enqueue(new Uint8Array(size).fill(0x61));
      },
    });

  it("reaches the backend only as an aborted chunked request (never complete, nothing past the limit) and answers 413", async () => {
    const tag = uniqueSegment();
    const gw = await gatewayFor(api());
    const res = await gw.request(new Request(`http://gateway.test/prod/record/${tag}`, { method: "POST", body: chunked(40, 16 * 1024), duplex: "half" } as RequestInit));
    expect(res.status).toBe(413);
    expect(await res.text()).toBe('{"message":"Request Too Long"}');
    let seen: { headers: Record<string, string>; bytes: number; complete: boolean } | null = null;
    for (let i = 0; i < 50 && !seen; i++) {
      seen = (await (await fetch(`${backendUrl()}/__record?tag=${tag}`)).json()) as typeof seen;
      if (!seen) await new Promise((r) => setTimeout(r, 20));
    }
    // The backend was contacted (the body streams), but the upload never completed.
    expect(seen).not.toBeNull();
    expect(seen!.headers["transfer-encoding"]).toBe("chunked");
    expect(seen!.headers["content-length"]).toBeUndefined();
    await new Promise((r) => setTimeout(r, 100));
    const after = (await (await fetch(`${backendUrl()}/__record?tag=${tag}`)).json()) as { bytes: number; complete: boolean };
    expect(after.complete).toBe(false);
    expect(after.bytes).toBeLessThanOrEqual(LIMIT);
  });

  it("still passes a chunked upload under the limit through whole", async () => {
    const tag = uniqueSegment();
    const gw = await gatewayFor(api());
    const res = await gw.request(new Request(`http://gateway.test/prod/record/${tag}`, { method: "POST", body: chunked(4, 16 * 1024), duplex: "half" } as RequestInit));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ bytes: 64 * 1024, complete: true });
    expect(await nodeHits(`/record/${tag}`)).toBe(1);
  });
});
