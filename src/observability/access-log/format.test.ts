import { describe, expect, it } from "vitest";
import { ACCESS_LOG_PRESETS, checkFormat, compileFormat, renderFormat } from "./format.ts";
import { ACCESS_LOG_VARIABLES } from "./names.ts";
import { RESOLVERS } from "./variables.ts";

describe("access-log formats", () => {
  it("every variable a format may name has a resolver, and every resolver a name", () => {
    expect(Object.keys(RESOLVERS).sort()).toEqual([...ACCESS_LOG_VARIABLES].sort());
  });

  it("every preset passes its own check", () => {
    for (const [name, format] of Object.entries(ACCESS_LOG_PRESETS)) expect(checkFormat(format), name).toEqual([]);
  });

  it("escapes per kind, so no value breaks the line or its quoting", () => {
    const hostile = 'a"b\\c\nd<e>&\'';
    const render = (format: string) => renderFormat(compileFormat(format), () => hostile);
    expect(render('x "$context.requestId" y')).toBe('x "a\\"b\\\\c\\x0ad<e>&\'" y');
    expect(JSON.parse(render('{"v":"$context.requestId","w":$context.status}'))).toEqual({ v: hostile, w: hostile });
    expect(render("<r>$context.requestId</r>")).toBe("<r>a&quot;b\\c&#10;d&lt;e&gt;&amp;&apos;</r>");
    for (const f of ['x "$context.requestId"', '{"v":"$context.requestId"}', "<r>$context.requestId</r>"]) expect(render(f)).not.toContain("\n");
  });

  it("a missing value is `-` in text and in JSON strings, null as a bare JSON value", () => {
    const compiled = compileFormat('{"a":"$context.requestId","b":$context.status} ');
    expect(renderFormat(compiled, () => undefined)).toBe('{"a":"-","b":null} ');
    expect(renderFormat(compileFormat("$context.requestId $context.status"), (n) => (n === "status" ? 0 : null))).toBe("- 0");
  });

  it("a variable ends before a trailing full stop and reads dotted names whole", () => {
    const compiled = compileFormat("$context.requestId. $context.authorizer.claims.sub $context.identity.sourceIp");
    expect(compiled.variables.map((v) => v.name)).toEqual(["requestId", "authorizer.claims.sub", "identity.sourceIp"]);
    expect(compiled.literals).toEqual(["", ". ", " ", ""]);
  });
});
