import { describe, expect, it } from "vitest";
import { parseRouteSelection, selectRouteKey, type RouteSelection } from "./route-selection.ts";

const parsed = (e: string) => parseRouteSelection(e) as RouteSelection;

describe("route selection expressions", () => {
  it("reads a body field, nested fields, and templates with literal text", () => {
    expect(selectRouteKey(parsed("$request.body.action"), { action: "send" })).toBe("send");
    expect(selectRouteKey(parsed("$request.body.meta.kind"), { meta: { kind: "x" } })).toBe("x");
    expect(selectRouteKey(parsed("${request.body.type}:${request.body.action}"), { type: "chat", action: "send" })).toBe("chat:send");
    expect(selectRouteKey(parsed("$request.body.n"), { n: 3 })).toBe("3");
  });

  it("selects nothing (→ $default) for a missing field, an object, a non-object body, or a field on the prototype", () => {
    const e = parsed("$request.body.action");
    for (const body of [undefined, null, "text", 42, [1], {}, { action: { a: 1 } }, { action: null }]) expect(selectRouteKey(e, body), JSON.stringify(body)).toBeUndefined();
    expect(selectRouteKey(parsed("$request.body.constructor"), {})).toBeUndefined();
    expect(selectRouteKey(parsed("${request.body.a}-${request.body.b}"), { a: "x" })).toBeUndefined();
  });

  it("refuses expressions that do not read the body, or name something else", () => {
    for (const bad of ["action", "$default", "$request.header.x", "$request.body.", "$request.body.a..b", "${request.querystring.x}", "prefix-$context.x-${request.body.a}"])
      expect(parseRouteSelection(bad), bad).toHaveProperty("error");
  });
});
