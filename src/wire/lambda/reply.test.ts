import { describe, it, expect } from "vitest";
import { parseReply } from "./reply.ts";

const JSON_CT: [string, string] = ["content-type", "application/json"];

describe("parseReply 1.0", () => {
  it.each([
    ["a bare string", "hello"],
    ["a number", 200],
    ["an array", [{ statusCode: 200 }]],
    ["null", null],
    ["undefined", undefined],
    ["a boolean", true],
  ])("rejects %s", (_, value) => {
    expect(parseReply(value, "1.0")).toBeNull();
  });

  it("rejects unknown top-level keys (recorded)", () => {
    expect(parseReply({ statusCode: 200, wrongValue: "value" }, "1.0")).toBeNull();
    expect(parseReply({ statusCode: 200, cookies: ["a=1"] }, "1.0")).toBeNull();
  });

  it("accepts a numeric-string statusCode (recorded)", () => {
    expect(parseReply({ statusCode: "201" }, "1.0")?.status).toBe(201);
  });

  it.each([99, 600, "abc", 1.5, "1.5", "", " 200", true, {}, [], "2000"])("rejects statusCode %j", (statusCode) => {
    expect(parseReply({ statusCode }, "1.0")).toBeNull();
  });

  it("accepts the status range's ends, and refuses interim (1xx) statuses a reply cannot end with", () => {
    expect(parseReply({ statusCode: 200 }, "1.0")?.status).toBe(200);
    expect(parseReply({ statusCode: 599 }, "1.0")?.status).toBe(599);
    expect(parseReply({ statusCode: 100 }, "1.0")).toBeNull();
    expect(parseReply({ statusCode: 199 }, "2.0")).toBeNull();
  });

  it("defaults statusCode to 200, body to '' and content-type to JSON", () => {
    expect(parseReply({}, "1.0")).toEqual({ status: 200, headers: [JSON_CT], body: "" });
    expect(parseReply({ headers: null, body: null, multiValueHeaders: null, isBase64Encoded: null }, "1.0"))
      .toEqual({ status: 200, headers: [JSON_CT], body: "" });
  });

  it("keeps a content-type the handler set, whatever its casing", () => {
    const r = parseReply({ statusCode: 200, headers: { "Content-Type": "text/plain" }, body: "hi" }, "1.0");
    expect(r).toEqual({ status: 200, headers: [["Content-Type", "text/plain"]], body: "hi" });
  });

  it("rejects headers of the wrong shape", () => {
    expect(parseReply({ headers: "x" }, "1.0")).toBeNull();
    expect(parseReply({ headers: ["a"] }, "1.0")).toBeNull();
    expect(parseReply({ headers: { a: { b: 1 } } }, "1.0")).toBeNull();
    expect(parseReply({ headers: { a: ["1"] } }, "1.0")).toBeNull();
    expect(parseReply({ headers: { a: null } }, "1.0")).toBeNull();
  });

  it("rejects multiValueHeaders whose values aren't arrays (recorded)", () => {
    expect(parseReply({ statusCode: 200, multiValueHeaders: { "test-multi-invalid": "value1" } }, "1.0"))
      .toBeNull();
    expect(parseReply({ multiValueHeaders: { a: [{}] } }, "1.0")).toBeNull();
  });

  it("rejects header names and values Fetch can't send", () => {
    expect(parseReply({ headers: { "bad name": "v" } }, "1.0")).toBeNull();
    expect(parseReply({ headers: { "x-a": "v\r\nx-b: injected" } }, "1.0")).toBeNull();
  });

  it("stringifies number and boolean header values", () => {
    const r = parseReply({ headers: { "x-n": 5, "x-b": false }, multiValueHeaders: { "x-m": [1, true] } }, "1.0");
    expect(r?.headers).toEqual([["x-m", "1, true"], ["x-n", "5"], ["x-b", "false"], JSON_CT]);
  });

  it("rejects a non-string body and a non-boolean isBase64Encoded", () => {
    expect(parseReply({ body: { a: 1 } }, "1.0")).toBeNull();
    expect(parseReply({ body: 12 }, "1.0")).toBeNull();
    expect(parseReply({ body: "x", isBase64Encoded: "true" }, "1.0")).toBeNull();
  });

  it("merges multiValueHeaders then headers case-insensitively (recorded)", () => {
    const r = parseReply(
      { statusCode: 200, multiValueHeaders: { "tesT-Multi": ["value-multi"] }, headers: { "test-multi": "value-solo" } },
      "1.0",
    );
    expect(r?.headers).toEqual([["tesT-Multi", "value-multi, value-solo"], JSON_CT]);
  });

  it("keeps set-cookie values as separate entries", () => {
    const r = parseReply(
      {
        multiValueHeaders: { "Set-Cookie": ["a=1; Path=/", "b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT"] },
        headers: { "set-cookie": "c=3", "content-type": "text/html" },
      },
      "1.0",
    );
    expect(r?.headers).toEqual([
      ["Set-Cookie", "a=1; Path=/"],
      ["Set-Cookie", "b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT"],
      ["Set-Cookie", "c=3"],
      ["content-type", "text/html"],
    ]);
  });

  it("drops a header whose multi-value list is empty", () => {
    expect(parseReply({ multiValueHeaders: { "x-empty": [] } }, "1.0")?.headers).toEqual([JSON_CT]);
  });

  it("returns a base64 body as-is without binary media types (recorded)", () => {
    const r = parseReply({ statusCode: 200, body: "dGVzdC1kYXRh", isBase64Encoded: true }, "1.0");
    expect(r).toEqual({ status: 200, headers: [JSON_CT], body: "dGVzdC1kYXRh" });
  });

  it("decodes a base64 body when the caller says the media type is binary", () => {
    const r = parseReply({ body: "AP8BgAo=", isBase64Encoded: true }, "1.0", { decodeBase64: true });
    expect(r?.body).toEqual(new Uint8Array([0, 255, 1, 128, 10]));
    expect(parseReply({ body: "not base64!", isBase64Encoded: true }, "1.0", { decodeBase64: true })).toBeNull();
    expect(parseReply({ body: "plain", isBase64Encoded: false }, "1.0", { decodeBase64: true })?.body).toBe("plain");
  });
});

describe("parseReply 2.0", () => {
  it("sends a JSON string as the body itself (recorded)", () => {
    expect(parseReply("Hello from Lambda!", "2.0")).toEqual({
      status: 200,
      headers: [JSON_CT],
      body: "Hello from Lambda!",
    });
  });

  it.each([
    [{ message: "hi", body: "ignored key" }, '{"message":"hi","body":"ignored key"}'],
    [[1, "two"], '[1,"two"]'],
    [42, "42"],
    [false, "false"],
    [null, "null"],
  ])("infers %j without statusCode as a JSON body", (value, body) => {
    expect(parseReply(value, "2.0")).toEqual({ status: 200, headers: [JSON_CT], body });
  });

  it("rejects undefined and values without JSON", () => {
    expect(parseReply(undefined, "2.0")).toBeNull();
    expect(parseReply(() => 1, "2.0")).toBeNull();
    expect(parseReply(10n, "2.0")).toBeNull();
  });

  it("treats an object with statusCode like 1.0", () => {
    const r = parseReply({ statusCode: "404", headers: { "x-a": "1" }, body: "nope" }, "2.0");
    expect(r).toEqual({ status: 404, headers: [["x-a", "1"], JSON_CT], body: "nope" });
    expect(parseReply({ statusCode: 200, wrongValue: "value" }, "2.0")).toBeNull();
    expect(parseReply({ statusCode: 600 }, "2.0")).toBeNull();
    expect(parseReply({ statusCode: 200, body: 5 }, "2.0")).toBeNull();
  });

  it("sends each cookie as its own set-cookie", () => {
    const r = parseReply(
      { statusCode: 200, headers: { "Set-Cookie": "a=1", "content-type": "text/plain" }, cookies: ["b=2", "c=3; Secure"] },
      "2.0",
    );
    expect(r?.headers).toEqual([
      ["Set-Cookie", "a=1"],
      ["content-type", "text/plain"],
      ["set-cookie", "b=2"],
      ["set-cookie", "c=3; Secure"],
    ]);
    expect(parseReply({ statusCode: 200, cookies: "a=1" }, "2.0")).toBeNull();
    expect(parseReply({ statusCode: 200, cookies: [1] }, "2.0")).toBeNull();
  });

  it("always decodes isBase64Encoded bodies", () => {
    const r = parseReply({ statusCode: 200, body: "dGVzdC1kYXRh", isBase64Encoded: true }, "2.0");
    expect(r?.body).toEqual(new TextEncoder().encode("test-data"));
    expect(parseReply({ statusCode: 200, body: "%%%", isBase64Encoded: true }, "2.0")).toBeNull();
  });
});
