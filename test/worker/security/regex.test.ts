/**
 * Regular expressions from configuration run on the linear-time engine, through the whole pipeline: an evil
 * pattern (`^(a+)+$`, which backtracks for seconds on 26 characters) answers at once with the right result, in a
 * model's `pattern`, in `patternProperties` and in a custom authorizer's `validationExpression`; a pattern the
 * engine cannot run is a `validate` error at its own field path; the input a pattern sees is bounded.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { checkDefinition } from "../../../src/config/compile.ts";
import { formatFieldError } from "../../../src/config/field-errors.ts";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";
import { nodeHits, uniqueSegment } from "../integrations/backends.ts";

const EVIL = "^(a+)+$";
/** Far past where a backtracking engine would never finish (2^5000 paths). */
const ATTACK = "a".repeat(5000) + "!";

function api(u: string, models: Record<string, unknown>, settings: Record<string, unknown> = {}): ApiDefinition {
  return {
    name: "regex",
    settings,
    stages: { prod: { variables: { backend: backendUrl() } } },
    models: models as ApiDefinition["models"],
    routes: { [`POST /${u}`]: { validate: { body: "Input" }, integration: { type: "http_proxy", uri: `\${stageVariables.backend}/echo/${u}` } } },
  };
}

const post = (gw: Awaited<ReturnType<typeof gatewayFor>>, u: string, body: unknown) =>
  gw.fetch(`/prod/${u}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });

describe("an evil pattern answers at once, correctly", () => {
  it("in a model's pattern", async () => {
    const u = uniqueSegment();
    const gw = await gatewayFor(api(u, { Input: { type: "object", properties: { s: { type: "string", pattern: EVIL } } } }));
    const refused = await post(gw, u, { s: ATTACK });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toBe('{"message":"Invalid request body"}');
    expect((await post(gw, u, { s: "a".repeat(5000) })).status).toBe(200);
    expect(await nodeHits(`/echo/${u}`)).toBe(1);
  });

  it("in patternProperties", async () => {
    const u = uniqueSegment();
    const gw = await gatewayFor(api(u, { Input: { type: "object", patternProperties: { [EVIL]: { type: "integer" } } } }));
    // The attack key does not match, so its string value is fine; a matching key must hold an integer.
    expect((await post(gw, u, { [ATTACK.slice(4000)]: "x" })).status).toBe(200);
    expect((await post(gw, u, { aaaa: "x" })).status).toBe(400);
    expect((await post(gw, u, { aaaa: 1 })).status).toBe(200);
    expect(await nodeHits(`/echo/${u}`)).toBe(2);
  });

  it("in a custom authorizer's validationExpression (401 without asking the authorizer)", async () => {
    const u = uniqueSegment();
    const gw = await gatewayFor({
      name: "regex-auth",
      stages: { prod: {} },
      authorizers: { gate: { type: "custom", service: "AUTHORIZER", validationExpression: "allow:(a+)+", resultTtlSeconds: 0 } },
      routes: { "GET /x": { authorizer: "gate", integration: { type: "http_proxy", uri: `${backendUrl()}/echo/${u}` } } },
    });
    const token = `allow:${ATTACK}`;
    const res = await gw.fetch("/prod/x", { headers: { authorization: token } });
    expect(res.status).toBe(401);
    const asked = await (env as unknown as { AUTHORIZER: Fetcher }).AUTHORIZER.fetch(`http://authorizer/count?token=${encodeURIComponent(token)}`);
    expect(((await asked.json()) as { count: number }).count).toBe(0);
    expect((await gw.fetch("/prod/x", { headers: { authorization: `allow:${"a".repeat(100)}` } })).status).toBe(200);
    expect(await nodeHits(`/echo/${u}`)).toBe(1);
  });
});

describe("what JavaScript means is what runs", () => {
  it("keeps ECMA-262's `.` (no \\r) and `\\s` (Unicode spaces)", async () => {
    const u = uniqueSegment();
    const gw = await gatewayFor(api(u, { Input: { type: "object", properties: { line: { type: "string", pattern: "^.+$" }, gap: { type: "string", pattern: "^\\s$" } } } }));
    expect((await post(gw, u, { line: "a\rb" })).status).toBe(400);
    expect((await post(gw, u, { line: "a b", gap: "\u00a0" })).status).toBe(200);
    expect((await post(gw, u, { gap: "x" })).status).toBe(400);
  });
});

describe("patterns the engine cannot run are validate errors at their field path", () => {
  it("in models, inline route schemas and validationExpression", () => {
    const definition = {
      name: "regex-check",
      stages: { prod: {} },
      models: {
        Pet: {
          type: "object",
          properties: { code: { type: "string", pattern: "^(?=[A-Z])\\w+$" }, tags: { type: "array", items: { pattern: "(a)\\1" } } },
          patternProperties: { "^x-(?!internal)": {} },
          default: { pattern: "(?=not-a-schema)" },
        },
      },
      authorizers: { gate: { type: "custom", service: "AUTHORIZER", validationExpression: "Bearer (?<t>.+)\\k<t>" } },
      routes: {
        "POST /x": { validate: { body: { type: "object", properties: { name: { pattern: "^\\p{Letter}+$" } } } }, integration: { type: "mock" } },
        "GET /y": { authorizer: "gate", integration: { type: "mock" } },
      },
    };
    expect(checkDefinition(definition).map(formatFieldError)).toEqual([
      expect.stringMatching(/^models\.Pet\.properties\.code\.pattern: cannot run on the linear-time regex engine \(RE2\): lookahead/),
      expect.stringMatching(/^models\.Pet\.properties\.tags\.items\.pattern: cannot run .*backreference/),
      expect.stringMatching(/^models\.Pet\.patternProperties\["\^x-\(\?!internal\)"\]: cannot run .*lookahead/),
      expect.stringMatching(/^authorizers\.gate\.validationExpression: cannot run .*backreference/),
      expect.stringMatching(/^routes\["POST \/x"\]\.validate\.body\.properties\.name\.pattern: cannot run .*\\p\{L\}/),
    ]);
  });
});

describe("settings.jsonLimits.maxPatternInputLength", () => {
  it("fails a pattern on a longer string (400) instead of matching it, and takes the API's bound", async () => {
    const u = uniqueSegment();
    const model = { Input: { type: "object", properties: { b64: { type: "string", pattern: "^[A-Za-z0-9+/]*$" } } } };
    const short = await gatewayFor(api(u, model, { jsonLimits: { maxPatternInputLength: 100 } }));
    expect((await post(short, u, { b64: "A".repeat(100) })).status).toBe(200);
    expect((await post(short, u, { b64: "A".repeat(101) })).status).toBe(400);
    const roomy = await gatewayFor(api(u, model));
    expect((await post(roomy, u, { b64: "A".repeat(65_536) })).status).toBe(200);
    expect((await post(roomy, u, { b64: "A".repeat(65_537) })).status).toBe(400);
    expect(await nodeHits(`/echo/${u}`)).toBe(2);
  });
});
