/**
 * The route table with plain values: Amazon's precedence (static → param → greedy, exact method → ANY,
 * backtracking to a less specific resource that has the method, `$default` last) and every recorded routing case
 * from the conformance set (Amazon API Gateway recordings, area "routing"), each named by its id.
 */
import { describe, expect, it } from "vitest";
import { normalizePath } from "./path.ts";
import { parseRouteKey } from "./route-key.ts";
import { Router, type RouteEntry } from "./router.ts";

/** A router whose values are the route keys themselves, so a match says which route was selected. */
function routerFor(keys: readonly string[]): Router<string> {
  const entries: RouteEntry<string>[] = keys.map((key) => {
    const parsed = parseRouteKey(key);
    if ("error" in parsed) throw new Error(`bad key in test: ${key}: ${parsed.error}`);
    return { method: parsed.method, path: parsed.path, segments: parsed.segments, value: key };
  });
  return new Router(entries);
}

/** Segments as the pipeline gives them to the router: normalised, stage already removed when `stage` is set. */
function segmentsOf(path: string, stage?: string): string[] {
  const normal = normalizePath(path);
  if (!normal.ok) throw new Error(`path refused in test: ${path}`);
  if (stage === undefined) return normal.segments;
  expect(normal.segments[0]).toBe(stage);
  return normal.segments.slice(1);
}

const selected = (router: Router<string>, method: string, path: string, stage?: string) =>
  router.match(method, segmentsOf(path, stage))?.value;

describe("Router precedence", () => {
  it("a static segment beats a parameter, which beats a greedy parameter", () => {
    const router = routerFor(["GET /pets/mine", "GET /pets/{id}", "GET /pets/{proxy+}"]);
    expect(selected(router, "GET", "/pets/mine")).toBe("GET /pets/mine");
    expect(selected(router, "GET", "/pets/7")).toBe("GET /pets/{id}");
    expect(selected(router, "GET", "/pets/7/toys")).toBe("GET /pets/{proxy+}");
  });

  it("the order routes are added in does not change precedence", () => {
    const router = routerFor(["GET /pets/{proxy+}", "GET /pets/{id}", "GET /pets/mine"]);
    expect(selected(router, "GET", "/pets/mine")).toBe("GET /pets/mine");
    expect(selected(router, "GET", "/pets/7")).toBe("GET /pets/{id}");
    expect(selected(router, "GET", "/pets/7/toys")).toBe("GET /pets/{proxy+}");
  });

  it("a greedy parameter needs at least one segment", () => {
    const router = routerFor(["GET /pets/{proxy+}"]);
    expect(router.match("GET", ["pets"])).toBeUndefined();
    expect(router.match("GET", ["pets", "a"])).toEqual({ value: "GET /pets/{proxy+}", params: { proxy: "a" } });
  });

  it("a root /{proxy+} does not match / (Amazon needs a separate / resource)", () => {
    const router = routerFor(["ANY /{proxy+}"]);
    expect(router.match("GET", [])).toBeUndefined();
    expect(router.match("GET", segmentsOf("/"))).toBeUndefined();
    expect(router.match("GET", ["x"])?.value).toBe("ANY /{proxy+}");

    const withRoot = routerFor(["ANY /{proxy+}", "GET /"]);
    expect(withRoot.match("GET", [])?.value).toBe("GET /");
    expect(withRoot.match("POST", [])).toBeUndefined();
  });

  it("a greedy parameter captures the rest of the path joined with /", () => {
    const router = routerFor(["GET /files/{path+}"]);
    expect(router.match("GET", ["files", "a", "b", "c.txt"])).toEqual({ value: "GET /files/{path+}", params: { path: "a/b/c.txt" } });
  });

  it("on one resource an exact method beats ANY, whichever was added first", () => {
    for (const keys of [["ANY /pets", "GET /pets"], ["GET /pets", "ANY /pets"]]) {
      const router = routerFor(keys);
      expect(selected(router, "GET", "/pets")).toBe("GET /pets");
      expect(selected(router, "DELETE", "/pets")).toBe("ANY /pets");
    }
  });

  it("a resource without the method is skipped for a less specific one that has it (backtracking)", () => {
    const router = routerFor(["GET /a/b/c", "POST /a/{x}/c", "PUT /a/{proxy+}", "DELETE /{proxy+}"]);
    expect(selected(router, "GET", "/a/b/c")).toBe("GET /a/b/c");
    // static /a/b/c lacks POST → the parameter resource at the same depth has it
    expect(router.match("POST", ["a", "b", "c"])).toEqual({ value: "POST /a/{x}/c", params: { x: "b" } });
    // neither lacks-the-method resource serves PUT → the greedy under /a
    expect(router.match("PUT", ["a", "b", "c"])).toEqual({ value: "PUT /a/{proxy+}", params: { proxy: "b/c" } });
    // only the root greedy has DELETE
    expect(router.match("DELETE", ["a", "b", "c"])).toEqual({ value: "DELETE /{proxy+}", params: { proxy: "a/b/c" } });
    expect(router.match("PATCH", ["a", "b", "c"])).toBeUndefined();
  });

  it("parameters captured on an abandoned branch do not leak into the match", () => {
    const router = routerFor(["GET /{a}/x", "GET /{proxy+}"]);
    expect(router.match("GET", ["one", "y"])).toEqual({ value: "GET /{proxy+}", params: { proxy: "one/y" } });
    expect(router.match("GET", ["one", "x"])).toEqual({ value: "GET /{a}/x", params: { a: "one" } });
  });

  it("$default serves whatever nothing else matched, with no parameters", () => {
    const router = routerFor(["GET /pets", "$default"]);
    expect(selected(router, "GET", "/pets")).toBe("GET /pets");
    expect(router.match("POST", ["pets"])).toEqual({ value: "$default", params: {} });
    expect(router.match("GET", [])).toEqual({ value: "$default", params: {} });
    expect(router.match("GET", ["a", "b", "c"])).toEqual({ value: "$default", params: {} });
  });

  it("without $default nothing matches an unknown path or method", () => {
    const router = routerFor(["GET /pets"]);
    expect(router.match("GET", ["cats"])).toBeUndefined();
    expect(router.match("POST", ["pets"])).toBeUndefined();
  });

  it("returns parameters raw: percent-encodings stay as sent (%2B is not decoded to +)", () => {
    const router = routerFor(["GET /users/{email}", "GET /files/{proxy+}"]);
    expect(router.match("GET", segmentsOf("/users/test%2Balias@example.com"))?.params).toEqual({ email: "test%2Balias@example.com" });
    expect(router.match("GET", segmentsOf("/users/a+b%20c"))?.params).toEqual({ email: "a+b%20c" });
    expect(router.match("GET", segmentsOf("/files/a%20b/c%2Bd"))?.params).toEqual({ proxy: "a%20b/c%2Bd" });
  });

  it("static segments are compared raw too: an encoded spelling is a different segment", () => {
    const router = routerFor(["GET /a+b"]);
    expect(router.match("GET", ["a+b"])?.value).toBe("GET /a+b");
    expect(router.match("GET", ["a%2Bb"])).toBeUndefined();
  });

  it("trailing and doubled slashes do not matter: the router gets segments", () => {
    const router = routerFor(["GET /pets/{id}", "GET /pets"]);
    for (const path of ["/pets", "/pets/", "//pets", "/pets//", "///pets///"]) expect(selected(router, "GET", path)).toBe("GET /pets");
    for (const path of ["/pets/1", "/pets/1/", "/pets//1", "//pets//1//"])
      expect(router.match("GET", segmentsOf(path))).toEqual({ value: "GET /pets/{id}", params: { id: "1" } });
  });

  it("sibling resources share the parameter position (one name per position, as the compiler enforces)", () => {
    const router = routerFor(["GET /pets/{id}", "DELETE /pets/{id}", "GET /pets/{id}/toys"]);
    expect(router.match("DELETE", ["pets", "3"])).toEqual({ value: "DELETE /pets/{id}", params: { id: "3" } });
    expect(router.match("GET", ["pets", "3", "toys"])).toEqual({ value: "GET /pets/{id}/toys", params: { id: "3" } });
  });

  it("several parameters are all returned", () => {
    const router = routerFor(["GET /orgs/{org}/repos/{repo}/files/{path+}"]);
    expect(router.match("GET", ["orgs", "acme", "repos", "gw", "files", "src", "index.ts"])?.params).toEqual({
      org: "acme",
      repo: "gw",
      path: "src/index.ts",
    });
  });
});

describe("recorded Amazon routing cases (aws-recorded.json, area routing)", () => {
  describe("HTTP: routes GET /pets/dog/1, GET /pets/dog/{id}, GET /pets/{proxy+}, ANY /{proxy+}, $default", () => {
    const router = routerFor(["GET /pets/dog/1", "GET /pets/dog/{id}", "GET /pets/{proxy+}", "ANY /{proxy+}", "$default"]);

    it("http-routing-pets-dog-1-get: GET /pets/dog/1 → GET /pets/dog/1", () => {
      expect(router.match("GET", segmentsOf("/pets/dog/1"))).toEqual({ value: "GET /pets/dog/1", params: {} });
    });

    it("http-routing-pets-dog-2-get: GET /pets/dog/2 → GET /pets/dog/{id}", () => {
      expect(router.match("GET", segmentsOf("/pets/dog/2"))).toEqual({ value: "GET /pets/dog/{id}", params: { id: "2" } });
    });

    it("http-routing-pets-cat-1-get: GET /pets/cat/1 → GET /pets/{proxy+}", () => {
      expect(router.match("GET", segmentsOf("/pets/cat/1"))).toEqual({ value: "GET /pets/{proxy+}", params: { proxy: "cat/1" } });
    });

    it("http-routing-test-5-post: POST /test/5 → ANY /{proxy+}", () => {
      expect(router.match("POST", segmentsOf("/test/5"))).toEqual({ value: "ANY /{proxy+}", params: { proxy: "test/5" } });
    });

    it("(same table) $default serves what even ANY /{proxy+} cannot: the root path", () => {
      expect(router.match("GET", segmentsOf("/"))).toEqual({ value: "$default", params: {} });
    });
  });

  it("http-routing-not-found: only GET /pets, no $default → no route for GET /cats (pipeline answers 404)", () => {
    const router = routerFor(["GET /pets"]);
    expect(router.match("GET", segmentsOf("/cats"))).toBeUndefined();
  });

  describe("REST: resource /existing with GET only, stage dev", () => {
    const router = routerFor(["GET /existing"]);

    it("rest-routing-existing-route-200: GET /dev/existing → GET /existing", () => {
      expect(selected(router, "GET", "/dev/existing", "dev")).toBe("GET /existing");
    });

    it("rest-routing-unknown-path-403: GET /dev/random-non-existing → no route (pipeline answers 403)", () => {
      expect(router.match("GET", segmentsOf("/dev/random-non-existing", "dev"))).toBeUndefined();
    });

    it("(same table) a wrong method on an existing resource → no route (Amazon answers the same 403)", () => {
      expect(router.match("POST", segmentsOf("/dev/existing", "dev"))).toBeUndefined();
    });
  });

  it("rest-routing-options-any-any: OPTIONS /dev/test/any → ANY /test/any, not the root OPTIONS /{proxy+}", () => {
    const router = routerFor(["POST /test", "ANY /test/any", "OPTIONS /{proxy+}"]);
    expect(selected(router, "OPTIONS", "/dev/test/any", "dev")).toBe("ANY /test/any");
    // and the recorded set's other resources behave as configured
    expect(selected(router, "POST", "/dev/test", "dev")).toBe("POST /test");
    expect(selected(router, "OPTIONS", "/dev/test", "dev")).toBe("OPTIONS /{proxy+}");
  });

  describe("REST: /part1 GET, /{param+} GET at root, /part1/hardcoded-value GET, stage dev", () => {
    const router = routerFor(["GET /part1", "GET /{param+}", "GET /part1/hardcoded-value"]);

    it("rest-routing-sibling-hardcoded-value: GET /dev/part1/hardcoded-value → GET /part1/hardcoded-value", () => {
      expect(router.match("GET", segmentsOf("/dev/part1/hardcoded-value", "dev"))).toEqual({
        value: "GET /part1/hardcoded-value",
        params: {},
      });
    });

    it("rest-routing-sibling-proxy-via-root-greedy: GET /dev/part1/random-value → the root GET /{param+}", () => {
      expect(router.match("GET", segmentsOf("/dev/part1/random-value", "dev"))).toEqual({
        value: "GET /{param+}",
        params: { param: "part1/random-value" },
      });
    });

    it("(same table) GET /dev/part1 → GET /part1", () => {
      expect(selected(router, "GET", "/dev/part1", "dev")).toBe("GET /part1");
    });
  });

  it("rest-routing-stage-root-without-method: GET /{stage} with methods only on child resources → no route (403)", () => {
    const router = routerFor(["GET /pets", "GET /pets/{id}", "ANY /{proxy+}"]);
    expect(router.match("GET", segmentsOf("/prod", "prod"))).toBeUndefined();
    expect(router.match("GET", segmentsOf("/prod/", "prod"))).toBeUndefined();
  });

  it("rest-routing-unknown-stage-forbidden: /not-a-stage/anything is decided before routing (stage 'Prod' only)", () => {
    // The first segment names the stage; it is not a stage of this API, so the resolve-stage step answers
    // 403 Forbidden and the router is never consulted — even a catch-all route table would not serve it.
    const stages = new Set(["Prod"]);
    const [stage] = segmentsOf("/not-a-stage/anything");
    expect(stage).toBe("not-a-stage");
    expect(stages.has(stage!)).toBe(false);
    // Stage names are case-sensitive on Amazon: `prod` is not `Prod` either.
    expect(stages.has(segmentsOf("/prod/anything")[0]!)).toBe(false);
  });

  it("(README) //stage/x and /stage//x both route to /x", () => {
    const router = routerFor(["GET /x"]);
    expect(selected(router, "GET", "//stage/x", "stage")).toBe("GET /x");
    expect(selected(router, "GET", "/stage//x", "stage")).toBe("GET /x");
  });
});

describe("a large route table", () => {
  it("builds 1,000 routes and matches each one correctly", () => {
    const keys: string[] = [];
    const probes: { method: string; segments: string[]; key: string; params: Record<string, string> }[] = [];
    for (let i = 0; i < 200; i++) {
      const r = `r${i}`;
      keys.push(`GET /${r}/items`);
      probes.push({ method: "GET", segments: [r, "items"], key: `GET /${r}/items`, params: {} });
      keys.push(`POST /${r}/items`);
      probes.push({ method: "POST", segments: [r, "items"], key: `POST /${r}/items`, params: {} });
      keys.push(`GET /${r}/items/{id}`);
      probes.push({ method: "GET", segments: [r, "items", `x${i}`], key: `GET /${r}/items/{id}`, params: { id: `x${i}` } });
      keys.push(`DELETE /${r}/items/{id}/tags/t${i}`);
      probes.push({
        method: "DELETE",
        segments: [r, "items", "9", "tags", `t${i}`],
        key: `DELETE /${r}/items/{id}/tags/t${i}`,
        params: { id: "9" },
      });
      keys.push(`ANY /${r}/files/{path+}`);
      probes.push({ method: "PATCH", segments: [r, "files", "a", `${i}.txt`], key: `ANY /${r}/files/{path+}`, params: { path: `a/${i}.txt` } });
    }
    expect(keys).toHaveLength(1000);
    expect(new Set(keys).size).toBe(1000);

    const router = routerFor(keys);
    for (const probe of probes) expect(router.match(probe.method, probe.segments)).toEqual({ value: probe.key, params: probe.params });

    // Near misses stay misses: wrong method, wrong tag for the resource, greedy with nothing after it, unknown prefix.
    expect(router.match("PUT", ["r5", "items"])).toBeUndefined();
    expect(router.match("DELETE", ["r5", "items", "9", "tags", "t6"])).toBeUndefined();
    expect(router.match("GET", ["r5", "files"])).toBeUndefined();
    expect(router.match("GET", ["r200", "items"])).toBeUndefined();
  });
});
