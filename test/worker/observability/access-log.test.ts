/**
 * Access logs through the whole pipeline: one line per request on the Workers log stream (console.log), in the
 * stage's format — Portico's JSON by default, Amazon's CLF preset, a custom `$context` format — with Amazon's values,
 * never a token, an API key or a secret, and escaped so a hostile header cannot break the line. Formats are checked
 * when the definition compiles.
 */
import { describe, expect, it } from "vitest";
import { compileDefinition } from "../../../src/config/compile.ts";
import { DefinitionError } from "../../../src/config/field-errors.ts";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";
import { capturingLogs, createKey, uid } from "./support.ts";

const SECRET_HEADER_VALUE = "Bearer super-secret-token-value";

function logged(api: string, format?: string, routes: ApiDefinition["routes"] = {}): ApiDefinition {
  return {
    name: api,
    stages: { prod: { accessLog: format === undefined ? {} : { format } } },
    routes: {
      "GET /items/{id}": { integration: { type: "http_proxy", uri: `${backendUrl()}/echo/${api}/{id}` } },
      "GET /keyed": { apiKeyRequired: true, integration: { type: "mock", body: { ok: true } } },
      ...routes,
    },
  };
}

/** The lines this API's requests wrote (other suites' lines in the same isolate are left out). */
const linesOf = (lines: string[], marker: string) => lines.filter((l) => l.includes(marker));

describe("access log", () => {
  it("writes one JSON line per request with Amazon's values, and numbers as numbers", async () => {
    const api = `log-${uid()}`;
    const gw = await gatewayFor(logged(api));
    const { lines, result } = await capturingLogs(async () => {
      const res = await gw.fetch("/prod/items/7?secret=query-value", { headers: { "user-agent": "obs-test/1", authorization: SECRET_HEADER_VALUE, "cf-connecting-ip": "203.0.113.9" } });
      await res.text();
      return res;
    });
    const mine = lines.filter((l) => l.includes(result.headers.get("x-amzn-requestid")!));
    expect(mine).toHaveLength(1);
    const line = JSON.parse(mine[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({
      requestId: result.headers.get("x-amzn-requestid"),
      ip: "203.0.113.9",
      userAgent: "obs-test/1",
      httpMethod: "GET",
      routeKey: "GET /items/{id}",
      path: "/prod/items/7",
      status: 200,
      integrationStatus: 200,
      stage: "prod",
      version: result.headers.get("x-portico-version"),
      canary: false,
      apiKeyId: "-",
      errorType: "-",
    });
    expect(typeof line.responseLatency).toBe("number");
    expect(typeof line.integrationLatency).toBe("number");
    expect(line.requestTime).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(line.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(line.xrayTraceId).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    // Never the credentials the caller sent, nor the query string.
    expect(mine[0]).not.toContain("super-secret");
    expect(mine[0]).not.toContain("query-value");
  });

  it("logs the key's id, never the key, and the gateway's refusals with their type and message", async () => {
    const api = `logk-${uid()}`;
    const gw = await gatewayFor(logged(api));
    const { key, value } = await createKey([`${api}/prod`]);
    const { lines } = await capturingLogs(async () => {
      await (await gw.fetch("/prod/keyed", { headers: { "x-api-key": value } })).text();
      await (await gw.fetch("/prod/keyed", { headers: { "x-api-key": "ptk_not-a-real-key-at-all-0000000000000000" } })).text();
      await (await gw.fetch("/prod/nowhere")).text();
    });
    const mine = linesOf(lines, '"stage":"prod"').map((l) => JSON.parse(l) as Record<string, unknown>);
    const accepted = mine.find((l) => l.routeKey === "GET /keyed" && l.status === 200)!;
    expect(accepted.apiKeyId).toBe(key.id);
    const refused = mine.find((l) => l.routeKey === "GET /keyed" && l.status === 403)!;
    expect(refused).toMatchObject({ errorType: "INVALID_API_KEY", errorMessage: "Forbidden", apiKeyId: "-" });
    const unknown = mine.find((l) => l.path === "/prod/nowhere")!;
    expect(unknown).toMatchObject({ status: 403, routeKey: "-", errorType: "MISSING_AUTHENTICATION_TOKEN", errorMessage: "Missing Authentication Token" });
    for (const l of lines) expect(l).not.toContain(value);
  });

  it("writes Amazon's CLF preset, with a hostile User-Agent escaped inside its quotes", async () => {
    const api = `clf-${uid()}`;
    const gw = await gatewayFor(logged(api, '$context.identity.sourceIp [$context.requestTime] "$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength $context.requestId "$context.identity.userAgent"'));
    const { lines, result } = await capturingLogs(async () => {
      const res = await gw.fetch("/prod/items/1", { headers: { "user-agent": 'evil" 200 - injected\\', "cf-connecting-ip": "198.51.100.4" } });
      await res.text();
      return res;
    });
    const [line] = lines.filter((l) => l.includes(result.headers.get("x-amzn-requestid")!));
    expect(line).toMatch(/^198\.51\.100\.4 \[[^\]]+\] "GET \/items\/\{id\} HTTP\/1\.1" 200 (\d+|-) [0-9a-f-]{36} "evil\\" 200 - injected\\\\"$/);
  });

  it("the clf preset by name, and nothing at all for a stage without accessLog", async () => {
    const api = `pre-${uid()}`;
    const gw = await gatewayFor({ ...logged(api, "clf"), stages: { prod: { accessLog: { format: "clf" } }, dev: {} } });
    const { lines } = await capturingLogs(async () => {
      const a = await gw.fetch("/prod/items/2", { headers: { "cf-connecting-ip": "192.0.2.1" } });
      const b = await gw.fetch("/dev/items/2", { headers: { "cf-connecting-ip": "192.0.2.1" } });
      await Promise.all([a.text(), b.text()]);
      return [a.headers.get("x-amzn-requestid"), b.headers.get("x-amzn-requestid")];
    }).then(({ lines, result }) => ({ lines: lines.filter((l) => result.some((id) => l.includes(id!))) }));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^192\.0\.2\.1 - - \[.+\] "GET \/items\/\{id\} HTTP\/1\.1" 200 /);
  });

  it("a custom JSON format: bare variables are JSON values (null when missing), quoted ones text", async () => {
    const api = `cus-${uid()}`;
    const gw = await gatewayFor(logged(api, '{"id":"$context.requestId","s":$context.status,"key":$context.identity.apiKeyId,"claim":"$context.authorizer.claims.sub","ua":"$context.identity.userAgent"}'));
    const { lines, result } = await capturingLogs(async () => {
      const res = await gw.fetch("/prod/items/3", { headers: { "user-agent": 'a "quoted" \\ line' } });
      await res.text();
      return res;
    });
    const [line] = lines.filter((l) => l.includes(result.headers.get("x-amzn-requestid")!));
    expect(line!.split("\n")).toHaveLength(1);
    expect(JSON.parse(line!)).toEqual({ id: result.headers.get("x-amzn-requestid"), s: 200, key: null, claim: "-", ua: 'a "quoted" \\ line' });
  });

  it("is refused at compile time with a field path: unknown variables, no request id, invalid JSON, two lines", async () => {
    const bad = async (format: string) => {
      try {
        await compileDefinition({ name: "bad", stages: { prod: { accessLog: { format } } }, routes: { "GET /a": { integration: { type: "mock" } } } });
      } catch (err) {
        return (err as DefinitionError).errors.map((e) => `${e.path.join(".")}: ${e.message}`);
      }
      return [];
    };
    expect(await bad("$context.requestId $context.stauts")).toEqual(["stages.prod.accessLog.format: unknown variable $context.stauts"]);
    expect(await bad("$context.status")).toEqual(["stages.prod.accessLog.format: must include $context.requestId or $context.extendedRequestId"]);
    expect(await bad('{"id": "$context.requestId",}')).toEqual([
      'stages.prod.accessLog.format: is not valid JSON once its variables are filled in (quote text variables: "$context.requestId")',
    ]);
    expect(await bad("$context.requestId\n$context.status")).toEqual(["stages.prod.accessLog.format: must be one line (each request is logged as one line)"]);
    expect(await bad("$context.requestid")).toContain("stages.prod.accessLog.format: unknown variable $context.requestid (did you mean $context.requestId?)");
  });
});
