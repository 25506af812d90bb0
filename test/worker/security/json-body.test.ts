/**
 * Validated JSON bodies through the whole pipeline, against the real local backend: a body the validator and a
 * backend could read differently (duplicate keys, a byte-order mark, lone surrogates) or one past the API's
 * jsonLimits is 400 Amazon's `{"message":"Invalid request body"}` and never reaches the backend.
 */
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";
import { nodeHits, uniqueSegment } from "../integrations/backends.ts";

const INVALID_BODY = '{"message":"Invalid request body"}';

function api(u: string, jsonLimits?: Record<string, number>): ApiDefinition {
  return {
    name: "json",
    ...(jsonLimits ? { settings: { jsonLimits } } : {}),
    stages: { prod: { variables: { backend: backendUrl() } } },
    models: {
      // The kind of model a duplicate key is aimed at: the validator sees role "user", a first-key backend "admin".
      Signup: { type: "object", required: ["name", "role"], properties: { name: { type: "string" }, role: { enum: ["user"] } } },
    },
    routes: {
      [`POST /${u}`]: { validate: { body: "Signup" }, integration: { type: "http_proxy", uri: `\${stageVariables.backend}/echo/${u}` } },
      [`POST /${u}/any`]: { validate: { body: {} }, integration: { type: "http_proxy", uri: `\${stageVariables.backend}/echo/${u}` } },
    },
  };
}

async function post(u: string, body: BodyInit, path = `/${u}`, limits?: Record<string, number>) {
  const gw = await gatewayFor(api(u, limits));
  return gw.fetch(`/prod${path}`, { method: "POST", body, headers: { "content-type": "application/json" } });
}

describe("ambiguous JSON on a validated route", () => {
  it.each([
    ["a duplicate key", '{"name":"bo","role":"admin","role":"user"}'],
    ["a duplicate key spelled with an escape", '{"name":"bo","role":"admin","r\\u006fle":"user"}'],
    ["a duplicate key in a nested object", '{"name":"bo","role":"user","meta":{"a":1,"a":2}}'],
    ["an escaped lone high surrogate", '{"name":"\\ud800","role":"user"}'],
    ["an escaped lone low surrogate", '{"name":"b\\udfffo","role":"user"}'],
  ])("refuses %s with 400, never calling the backend", async (_what, body) => {
    const u = uniqueSegment();
    const res = await post(u, body);
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(INVALID_BODY);
    expect(await nodeHits(`/echo/${u}`)).toBe(0);
  });

  it("refuses a body that starts with a UTF-8 byte-order mark", async () => {
    const u = uniqueSegment();
    const json = new TextEncoder().encode('{"name":"bo","role":"user"}');
    const res = await post(u, new Uint8Array([0xef, 0xbb, 0xbf, ...json]));
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(INVALID_BODY);
    expect(await nodeHits(`/echo/${u}`)).toBe(0);
  });

  it("passes the same document without the ambiguity, surrogate pairs included", async () => {
    const u = uniqueSegment();
    const res = await post(u, '{"name":"b\\ud83d\\ude00o 😀","role":"user","meta":{"role":"admin"}}');
    expect(res.status).toBe(200);
    expect(await nodeHits(`/echo/${u}`)).toBe(1);
  });
});

describe("settings.jsonLimits", () => {
  it("refuses more values than maxElements (default 100000) and accepts up to it", async () => {
    const u = uniqueSegment();
    const over = await post(u, `[${"0,".repeat(100_000)}0]`, `/${u}/any`);
    expect(over.status).toBe(400);
    expect(await over.text()).toBe(INVALID_BODY);
    const at = await post(u, `[${"0,".repeat(99_998)}0]`, `/${u}/any`);
    expect(at.status).toBe(200);
    expect(await nodeHits(`/echo/${u}`)).toBe(1);
  });

  it("refuses a key longer than maxKeyLength (default 1024)", async () => {
    const u = uniqueSegment();
    const res = await post(u, JSON.stringify({ ["k".repeat(1025)]: 1 }), `/${u}/any`);
    expect(res.status).toBe(400);
    expect((await post(u, JSON.stringify({ ["k".repeat(1024)]: 1 }), `/${u}/any`)).status).toBe(200);
    expect(await nodeHits(`/echo/${u}`)).toBe(1);
  });

  it("takes the API's own bounds", async () => {
    const u = uniqueSegment();
    const limits = { maxDepth: 3, maxElements: 5, maxKeyLength: 4 };
    for (const body of ["[[[[]]]]", "[1,2,3,4,5]", '{"abcde":1}']) {
      const res = await post(u, body, `/${u}/any`, limits);
      expect(res.status, body).toBe(400);
    }
    for (const body of ["[[[]]]", "[1,2,3,4]", '{"abcd":1}']) expect((await post(u, body, `/${u}/any`, limits)).status, body).toBe(200);
    expect(await nodeHits(`/echo/${u}`)).toBe(3);
  });
});
