import { describe, it, expect } from "vitest";
import { buildEventV1, buildEventV2, formatRequestTime, parseQuery, type LambdaRequestFacts } from "./event.ts";

// 2015-04-09T12:34:56.789Z
const EPOCH = Date.UTC(2015, 3, 9, 12, 34, 56, 789);

function facts(over: Partial<LambdaRequestFacts> = {}): LambdaRequestFacts {
  return {
    method: "GET",
    path: "/pets/1",
    requestPath: "/prod/pets/1",
    resource: "/pets/{id}",
    routeKey: "GET /pets/{id}",
    rawQuery: "",
    headers: new Headers({ host: "abc123.example.com", "user-agent": "curl/8.0" }),
    pathParameters: { id: "1" },
    stageVariables: {},
    stage: "prod",
    requestId: "req-1",
    apiId: "abc123",
    domainName: "abc123.example.com",
    sourceIp: "203.0.113.7",
    requestTimeEpochMs: EPOCH,
    body: null,
    isBinaryBody: false,
    ...over,
  };
}

const utf8 = (s: string) => new TextEncoder().encode(s);

describe("formatRequestTime", () => {
  it("uses AWS's UTC format", () => {
    expect(formatRequestTime(EPOCH)).toBe("09/Apr/2015:12:34:56 +0000");
    expect(formatRequestTime(Date.UTC(2024, 11, 1, 3, 4, 5))).toBe("01/Dec/2024:03:04:05 +0000");
  });
});

describe("parseQuery", () => {
  it("form-decodes keys and values, keeping order and repeats", () => {
    expect(parseQuery("a=1&a=2&b=x+y&c=%41%20z&flag")).toEqual([
      ["a", "1"], ["a", "2"], ["b", "x y"], ["c", "A z"], ["flag", ""],
    ]);
  });
  it("keeps malformed percent-escapes as written instead of throwing", () => {
    expect(parseQuery("a=%&b=%zz&c=100%&d=%E2%82&e=%E2%82%AC")).toEqual([
      ["a", "%"], ["b", "%zz"], ["c", "100%"], ["d", "%E2%82"], ["e", "€"],
    ]);
  });
  it("skips empty segments", () => {
    expect(parseQuery("")).toEqual([]);
    expect(parseQuery("&a=1&&")).toEqual([["a", "1"]]);
  });
});

describe("buildEventV1", () => {
  it("has exactly the REST proxy event's keys", () => {
    expect(Object.keys(buildEventV1(facts())).sort()).toEqual(
      [
        "resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
        "multiValueQueryStringParameters", "pathParameters", "stageVariables", "requestContext", "body",
        "isBase64Encoded",
      ].sort(),
    );
  });

  it("fills the request context", () => {
    const e = buildEventV1(facts());
    expect(e.resource).toBe("/pets/{id}");
    expect(e.httpMethod).toBe("GET");
    expect(e.requestContext).toEqual({
      resourcePath: "/pets/{id}",
      httpMethod: "GET",
      path: "/prod/pets/1",
      stage: "prod",
      requestId: "req-1",
      requestTime: "09/Apr/2015:12:34:56 +0000",
      requestTimeEpoch: EPOCH,
      identity: { sourceIp: "203.0.113.7", userAgent: "curl/8.0" },
      domainName: "abc123.example.com",
      apiId: "abc123",
      protocol: "HTTP/1.1",
      accountId: "portico",
      resourceId: "GET /pets/{id}",
    });
  });

  it("never percent-decodes path (recorded)", () => {
    const path = "/proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com";
    const e = buildEventV1(facts({ path, requestPath: `/stage${path}`, resource: "/{proxy+}" }));
    expect(e.path).toBe(path);
    expect(e.requestContext.path).toBe(`/stage${path}`);
  });

  it("keeps the received double slash in requestContext.path only (recorded)", () => {
    const e = buildEventV1(facts({ path: "/proxy-value", requestPath: "/stage//proxy-value" }));
    expect(e.path).toBe("/proxy-value");
    expect(e.requestContext.path).toBe("/stage//proxy-value");
  });

  it("copies path parameters raw; trailing slash stays in path only (recorded)", () => {
    const e = buildEventV1(
      facts({ path: "/proxy-value/", resource: "/{proxy+}", pathParameters: { proxy: "proxy-value" } }),
    );
    expect(e.path).toBe("/proxy-value/");
    expect(e.pathParameters).toEqual({ proxy: "proxy-value" });
    expect(e.requestContext.resourcePath).toBe("/{proxy+}");
  });

  it("sends null for empty path parameters and stage variables", () => {
    const e = buildEventV1(facts({ pathParameters: {}, stageVariables: {} }));
    expect(e.pathParameters).toBeNull();
    expect(e.stageVariables).toBeNull();
    expect(buildEventV1(facts({ stageVariables: { env: "blue" } })).stageVariables).toEqual({ env: "blue" });
  });

  it("sends null query maps with no query, and for an empty query string (recorded)", () => {
    const e = buildEventV1(facts({ rawQuery: "" }));
    expect(e.queryStringParameters).toBeNull();
    expect(e.multiValueQueryStringParameters).toBeNull();
  });

  it("maps ?urlparam=test (recorded)", () => {
    const e = buildEventV1(facts({ rawQuery: "urlparam=test" }));
    expect(e.queryStringParameters).toEqual({ urlparam: "test" });
    expect(e.multiValueQueryStringParameters).toEqual({ urlparam: ["test"] });
  });

  it("keeps the last value of a repeated key and all values in the multi map", () => {
    const e = buildEventV1(facts({ rawQuery: "a=1&a=2&b=x+y&c=%zz" }));
    expect(e.queryStringParameters).toEqual({ a: "2", b: "x y", c: "%zz" });
    expect(e.multiValueQueryStringParameters).toEqual({ a: ["1", "2"], b: ["x y"], c: ["%zz"] });
  });

  it("keeps hostile query keys as plain data", () => {
    const e = buildEventV1(facts({ rawQuery: "__proto__=x&constructor=y" }));
    expect(Object.getPrototypeOf(e.queryStringParameters)).toBe(Object.prototype);
    expect(Object.hasOwn(e.queryStringParameters ?? {}, "__proto__")).toBe(true);
    expect(JSON.parse(JSON.stringify(e.queryStringParameters))).toEqual(
      JSON.parse('{"__proto__":"x","constructor":"y"}'),
    );
  });

  it("maps headers single and multi, with duplicates as Fetch joined them", () => {
    const headers = new Headers([["header2", "value1"], ["header2", "value2"], ["x-a", "1"]]);
    const e = buildEventV1(facts({ headers }));
    expect(e.headers).toEqual({ header2: "value1, value2", "x-a": "1" });
    expect(e.multiValueHeaders).toEqual({ header2: ["value1, value2"], "x-a": ["1"] });
    expect(e.requestContext.identity.userAgent).toBeNull();
  });

  it("sends null headers when there are none", () => {
    const e = buildEventV1(facts({ headers: new Headers() }));
    expect(e.headers).toBeNull();
    expect(e.multiValueHeaders).toBeNull();
  });

  it("sends no body as null", () => {
    const e = buildEventV1(facts());
    expect(e.body).toBeNull();
    expect(e.isBase64Encoded).toBe(false);
    expect(buildEventV1(facts({ body: new Uint8Array(0) })).body).toBeNull();
  });

  it("sends a text body as UTF-8 text", () => {
    const e = buildEventV1(facts({ method: "POST", body: utf8('{"name":"café"}') }));
    expect(e.body).toBe('{"name":"café"}');
    expect(e.isBase64Encoded).toBe(false);
  });

  it("sends a binary body as base64", () => {
    const e = buildEventV1(facts({ body: new Uint8Array([0, 255, 1, 128, 10]), isBinaryBody: true }));
    expect(e.body).toBe("AP8BgAo=");
    expect(e.isBase64Encoded).toBe(true);
  });

  it("base64-encodes large binary bodies", () => {
    // Larger than one String.fromCharCode chunk, so chunk joins are exercised.
    const bytes = new Uint8Array(100_000).map((_, i) => (i * 7) % 256);
    const e = buildEventV1(facts({ body: bytes, isBinaryBody: true }));
    const back = Uint8Array.from(atob(e.body ?? ""), (c) => c.charCodeAt(0));
    expect(back.length).toBe(bytes.length);
    expect(back.every((b, i) => b === bytes[i])).toBe(true);
  });
});

describe("buildEventV2", () => {
  it("matches the recorded HTTP API event", () => {
    const headers = new Headers([["header1", "value1"], ["header2", "value1"], ["header2", "value2"]]);
    const e = buildEventV2(
      facts({
        path: "/my/path",
        requestPath: "/my/path",
        resource: "$default",
        routeKey: "$default",
        rawQuery: "parameter1=value1&parameter1=value2&parameter2=value",
        headers,
        pathParameters: {},
        stage: "$default",
        domainName: "id.execute-api.us-east-1.amazonaws.com",
      }),
    );
    expect(e).toEqual({
      version: "2.0",
      routeKey: "$default",
      rawPath: "/my/path",
      rawQueryString: "parameter1=value1&parameter1=value2&parameter2=value",
      headers: { header1: "value1", header2: "value1,value2" },
      queryStringParameters: { parameter1: "value1,value2", parameter2: "value" },
      requestContext: {
        accountId: "portico",
        apiId: "abc123",
        domainName: "id.execute-api.us-east-1.amazonaws.com",
        domainPrefix: "id",
        http: { method: "GET", path: "/my/path", protocol: "HTTP/1.1", sourceIp: "203.0.113.7", userAgent: "" },
        requestId: "req-1",
        routeKey: "$default",
        stage: "$default",
        time: "09/Apr/2015:12:34:56 +0000",
        timeEpoch: EPOCH,
      },
      isBase64Encoded: false,
    });
  });

  it("omits empty optional keys", () => {
    const e = buildEventV2(facts({ pathParameters: {}, stageVariables: {}, headers: new Headers() }));
    for (const key of ["cookies", "queryStringParameters", "pathParameters", "stageVariables", "body"]) {
      expect(e).not.toHaveProperty(key);
    }
    expect(e.headers).toEqual({});
    expect(e.rawQueryString).toBe("");
  });

  it("lifts cookies out of the headers", () => {
    const headers = new Headers({ cookie: "a=1; b=2;;  c=3 ", accept: "*/*" });
    const e = buildEventV2(facts({ headers }));
    expect(e.cookies).toEqual(["a=1", "b=2", "c=3"]);
    expect(e.headers).toEqual({ accept: "*/*" });
  });

  it("keeps ', ' inside headers whose single value holds it", () => {
    const ua = "Mozilla/5.0 (KHTML, like Gecko)";
    const headers = new Headers({ "user-agent": ua, "if-modified-since": "Wed, 21 Oct 2015 07:28:00 GMT" });
    const e = buildEventV2(facts({ headers }));
    expect(e.headers["user-agent"]).toBe(ua);
    expect(e.headers["if-modified-since"]).toBe("Wed, 21 Oct 2015 07:28:00 GMT");
    expect(e.requestContext.http.userAgent).toBe(ua);
  });

  it("copies path parameters and stage variables, and uses path as rawPath", () => {
    const e = buildEventV2(facts({ path: "/a%2Fb", requestPath: "/prod/a%2Fb", stageVariables: { v: "1" } }));
    expect(e.rawPath).toBe("/a%2Fb");
    expect(e.requestContext.http.path).toBe("/a%2Fb");
    expect(e.pathParameters).toEqual({ id: "1" });
    expect(e.stageVariables).toEqual({ v: "1" });
    expect(e.requestContext.stage).toBe("prod");
  });

  it("decodes query values, leaving malformed escapes", () => {
    const e = buildEventV2(facts({ rawQuery: "q=a+b%21&bad=%G1&q=c" }));
    expect(e.queryStringParameters).toEqual({ q: "a b!,c", bad: "%G1" });
    expect(e.rawQueryString).toBe("q=a+b%21&bad=%G1&q=c");
  });

  it("derives domainPrefix from the host without its port", () => {
    expect(buildEventV2(facts({ domainName: "localhost:8787" })).requestContext.domainPrefix).toBe("localhost");
    expect(buildEventV2(facts({ domainName: "api.example.com:443" })).requestContext.domainPrefix).toBe("api");
  });

  it("sends bodies as text or base64", () => {
    const text = buildEventV2(facts({ method: "POST", body: utf8("hello") }));
    expect(text.body).toBe("hello");
    expect(text.isBase64Encoded).toBe(false);
    const bin = buildEventV2(facts({ method: "POST", body: utf8("hello"), isBinaryBody: true }));
    expect(bin.body).toBe("aGVsbG8=");
    expect(bin.isBase64Encoded).toBe(true);
  });
});
