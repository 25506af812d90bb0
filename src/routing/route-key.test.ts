/** `parseRouteKey`: route keys as users write them, shared by the compiler and the router. */
import { describe, expect, it } from "vitest";
import { DEFAULT_ROUTE, parameterNames, parseRouteKey, templatePath, type ParsedRouteKey } from "./route-key.ts";

function parsed(key: string): ParsedRouteKey {
  const result = parseRouteKey(key);
  if ("error" in result) throw new Error(`${key}: ${result.error}`);
  return result;
}

function errorOf(key: string): string {
  const result = parseRouteKey(key);
  if (!("error" in result)) throw new Error(`${key} parsed, expected an error`);
  return result.error;
}

describe("parseRouteKey: valid keys", () => {
  it("parses static, parameter and greedy segments", () => {
    expect(parseRouteKey("GET /pets/{id}/files/{proxy+}")).toEqual({
      method: "GET",
      path: "/pets/{id}/files/{proxy+}",
      segments: [
        { kind: "static", value: "pets" },
        { kind: "param", name: "id" },
        { kind: "static", value: "files" },
        { kind: "greedy", name: "proxy" },
      ],
    });
  });

  it("parses the root path", () => {
    expect(parseRouteKey("GET /")).toEqual({ method: "GET", path: "/", segments: [] });
  });

  it("accepts every method and ANY", () => {
    for (const method of ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "ANY"])
      expect(parsed(`${method} /x`).method).toBe(method);
  });

  it("treats the method case-insensitively and returns it upper-case", () => {
    expect(parsed("get /pets").method).toBe("GET");
    expect(parsed("Post /pets").method).toBe("POST");
    expect(parsed("any /{proxy+}").method).toBe("ANY");
  });

  it("normalises the path: trailing and doubled slashes, surrounding and repeated whitespace", () => {
    expect(parsed("GET /pets/").path).toBe("/pets");
    expect(parsed("GET //pets//{id}").path).toBe("/pets/{id}");
    expect(parsed("  GET    /pets  ").path).toBe("/pets");
    expect(parsed("get /pets/")).toEqual(parsed("GET /pets"));
  });

  it("accepts Amazon's path characters in static segments (less ;)", () => {
    expect(parsed("GET /a.b_c~d-e/x!$&'()*+,=:@").segments).toEqual([
      { kind: "static", value: "a.b_c~d-e" },
      { kind: "static", value: "x!$&'()*+,=:@" },
    ]);
  });

  it("accepts parameter names with letters, digits, _, . and -", () => {
    expect(parameterNames(parsed("GET /{pet_id}/{a.b}/{x-1}/{rest+}").segments)).toEqual(["pet_id", "a.b", "x-1", "rest"]);
  });

  it("parses $default", () => {
    expect(parseRouteKey("$default")).toEqual({ method: "ANY", path: DEFAULT_ROUTE, segments: [] });
    expect(parseRouteKey("  $default ")).toEqual({ method: "ANY", path: "$default", segments: [] });
  });
});

describe("parseRouteKey: errors", () => {
  it("refuses an unknown method, naming it as written", () => {
    expect(errorOf("FETCH /pets")).toMatch(/^unknown method "FETCH": use one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, ANY$/);
    expect(errorOf("gett /pets")).toContain('"gett"');
    expect(errorOf("CONNECT /pets")).toContain("unknown method");
  });

  it("refuses a path without a leading slash", () => {
    expect(errorOf("GET pets")).toBe("path must start with /");
    expect(errorOf("GET pets/{id}")).toBe("path must start with /");
  });

  it("refuses keys that are not `METHOD /path`", () => {
    for (const key of ["/pets", "GET", "", "GET /pets extra", "GET /pe ts", "default", "$Default"])
      expect(errorOf(key)).toMatch(/route key must be `METHOD \/path`/);
  });

  it("refuses a greedy parameter that is not the last segment", () => {
    expect(errorOf("GET /{proxy+}/x")).toBe("greedy parameter {proxy+} must be the last segment");
    expect(errorOf("ANY /a/{p+}/{q}")).toBe("greedy parameter {p+} must be the last segment");
  });

  it("refuses a parameter name used twice (plain or greedy)", () => {
    expect(errorOf("GET /{id}/x/{id}")).toBe("parameter {id} appears twice");
    expect(errorOf("GET /{id}/{id+}")).toBe("parameter {id} appears twice");
  });

  it("refuses bad parameter names", () => {
    expect(errorOf("GET /{}")).toBe('invalid parameter name "{}"');
    expect(errorOf("GET /{+}")).toBe('invalid parameter name "{}"');
    expect(errorOf("GET /{a$b}")).toBe('invalid parameter name "{a$b}"');
  });

  it("refuses bad characters in static segments", () => {
    for (const key of ["GET /admin;x", "GET /a%2Fb", "GET /a\\b", "GET /a{b}", "GET /{a}b", "GET /a#b", "GET /a?b", "GET /a\"b"])
      expect(errorOf(key)).toMatch(/^invalid path segment "/);
    expect(errorOf("GET /pets;x")).toBe('invalid path segment "pets;x"');
  });
});

describe("helpers", () => {
  it("templatePath writes segments back as a template", () => {
    expect(templatePath(parsed("GET /pets/{id}/{rest+}").segments)).toBe("/pets/{id}/{rest+}");
    expect(templatePath([])).toBe("/");
  });

  it("parameterNames lists parameters in order, greedy included", () => {
    expect(parameterNames(parsed("GET /a/{x}/b/{y}/{z+}").segments)).toEqual(["x", "y", "z"]);
    expect(parameterNames(parsed("GET /a/b").segments)).toEqual([]);
  });
});
