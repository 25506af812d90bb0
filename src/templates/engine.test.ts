/**
 * The mapping-template engine with plain values: Amazon's VTL semantics (printing, null, equality, methods, $util,
 * $input), the compile-time checks with their positions, and the bounds a template runs under.
 */
import { describe, expect, it } from "vitest";
import { compileTemplate, InputObject, OpaqueMap, TemplateLimitError, TemplateRuntimeError, type TemplateLimits } from "./index.ts";
import { compileJsonPath, evaluateJsonPath } from "./jsonpath.ts";
import { parseJson, toJson } from "./json.ts";

const params = (path: Record<string, string> = {}, query: Record<string, string> = {}, header: Record<string, string> = {}) => ({
  path: new Map(Object.entries(path)),
  querystring: new Map(Object.entries(query)),
  header: new Map(Object.entries(header)),
});

function render(source: string, body = "", opts: { context?: Map<string, unknown>; stage?: Record<string, string>; limits?: TemplateLimits; p?: ReturnType<typeof params> } = {}): string {
  const compiled = compileTemplate(source);
  if ("problems" in compiled) throw new Error(JSON.stringify(compiled.problems));
  return compiled.template.render(
    { input: new InputObject(body, opts.p ?? params()), context: opts.context ?? new Map(), stageVariables: new Map(Object.entries(opts.stage ?? {})) },
    opts.limits,
  );
}

const problems = (source: string) => {
  const compiled = compileTemplate(source);
  return "problems" in compiled ? compiled.problems : [];
};

describe("printing, as Amazon's Java objects print", () => {
  it("prints parsed maps Java-style, parsed lists as compact JSON, template lists as ArrayLists", () => {
    expect(render("$input.path('$')", '{"b": "x", "a": [1, {"c": true}], "n": null}')).toBe('{b=x, a=[1,{"c":true}], n=null}');
    expect(render("$input.path('$.a')", '{"a": [{"x": "y"}]}')).toBe('[{"x":"y"}]');
    expect(render('#set($l = ["a", 1, true])$l')).toBe("[a, 1, true]");
    expect(render('#set($m = {"k": "v"})$m')).toBe("{k=v}");
  });

  it("keeps document key order, numeric-looking keys too, and integers past 2^53 exactly", () => {
    expect(render("$input.json('$')", '{"b": 1, "10": 2, "a": 12345678901234567890, "d": 1.0, "e": 2.5e10}')).toBe('{"b":1,"10":2,"a":12345678901234567890,"d":1.0,"e":2.5E10}');
  });

  it("prints a null or unresolved reference as nothing, and null equals both $null and the empty string", () => {
    expect(render("[$nothing][$input.path('$.missing')][$!quiet]")).toBe("[][][]");
    expect(render("#if($nothing == $null)a#end#if($nothing == \"\")b#end#if($nothing == \"x\")c#end")).toBe("ab");
  });

  it("is Velocity 1.7 about truth (the empty string is true) and about #set with null (the variable keeps its value)", () => {
    expect(render('#if("")yes#end#if(!$missing)no-value#end')).toBe("yesno-value");
    expect(render("#set($a = 1)#set($a = $missing)$a")).toBe("1");
  });

  it("does integer arithmetic on integers, double arithmetic otherwise, and concatenates strings with +", () => {
    expect(render("#set($a = 7 / 2)#set($b = 7.0 / 2)#set($c = 1.5 + 0.5)#set($s = \"a\" + 1)$a $b $c $s")).toBe("3 3.5 2.0 a1");
  });

  it("gobbles the newline after directives and the indentation of a #set line, as Velocity 1.7", () => {
    expect(render("  #set($a = 1)\n#if(true)\n  x\n#end\ny")).toBe("  x\ny");
  });
});

describe("methods and loops", () => {
  it("offers Java's String, List and Map methods", () => {
    expect(render("#set($s = \"a,b,,c\")$s.length() $s.split(\",\").size() $s.toUpperCase() $s.contains(\"b\") $s.replaceAll(\"[,]+\", \"-\") $s.substring(2)")).toBe("6 4 A,B,,C true a-b-c b,,c");
    expect(render('#set($m = {"a": 1})$m.put("b", 2)$m.keySet() $m.size() $m.containsKey("b") $m.get("b") $m.isEmpty()')).toBe("[a, b] 2 true 2 false");
    expect(render("#set($l = [3, 1])$l.add(2)$l $l.size() $l.contains(1) $l.get(0)")).toBe("true[3, 1, 2] 3 true 3");
  });

  it("fails the template when a Java method would throw (an index out of range)", () => {
    expect(() => render('#set($s = "abc")$s.substring(5)')).toThrow(TemplateRuntimeError);
  });

  it("gives #foreach $foreach.hasNext, $foreach.index and $velocityCount, and stops after 1,000 iterations (Amazon's limit)", () => {
    expect(render('#foreach($x in ["a", "b"])$foreach.index:$x:$velocityCount#if($foreach.hasNext),#end#end')).toBe("0:a:1,1:b:2");
    const list = JSON.stringify(Array.from({ length: 1500 }, (_, i) => i));
    expect(render("#set($n = 0)#foreach($x in $input.path('$'))#set($n = $n + 1)#end$n", list)).toBe("1000");
  });

  it("supports #break, #macro and #define, and prints a call to an undefined macro as written", () => {
    expect(render('#foreach($x in [1..5])$x#if($x == 2)#break#end#end #macro(hi $n)<$n>#end#hi("a") #define($d)D#end$d #nope(1)')).toBe("12 <a> D #nope(1)");
  });
});

describe("$util and $input", () => {
  it("escapes as Commons Lang's escapeJavaScript and encodes as Java's URLEncoder", () => {
    expect(render('$util.escapeJavaScript("it\'s \\"q\\" / é\n")')).toBe("it\\'s \\\"q\\\" \\/ \\u00E9\\n");
    expect(render('$util.urlEncode("a b&c=d~*")|$util.urlDecode("a+b%26c")')).toBe("a+b%26c%3Dd%7E*|a b&c");
    expect(render('$util.base64Encode("hé")|$util.base64Decode("aMOp")')).toBe("aMOp|hé");
  });

  it("parses JSON with $util.parseJson, and fails on text that is not JSON", () => {
    expect(render("#set($o = $util.parseJson($input.path('$.s')))$o.k[1]", '{"s": "{\\"k\\": [1, 2]}"}')).toBe("2");
    expect(() => render('$util.parseJson("{oops")')).toThrow(TemplateRuntimeError);
    expect(() => render('$util.base64Decode("not base64!")')).toThrow(TemplateRuntimeError);
  });

  it("reads an empty payload as {}, a non-JSON payload as one string, and params from path, then query, then headers", () => {
    expect(render("$input.body|$input.json('$')")).toBe("{}|{}");
    expect(render("$input.path('$')|$input.json('$.a')", "plain text")).toBe("plain text|null");
    const p = params({ id: "p" }, { id: "q", q: "1" }, { id: "h", "x-h": "hv" });
    expect(render("$input.params('id') $input.params('q') $input.params('X-H') [$input.params('none')]", "", { p })).toBe("p 1 hv []");
    expect(render("$input.params()", "", { p: params({ a: "1" }, { b: "2" }, { c: "3" }) })).toBe("{path={a=1}, querystring={b=2}, header={c=3}}");
  });

  it("reads $context maps and lets templates write into them; opaque maps print as nothing", () => {
    const overrides = new OpaqueMap([["header", new OpaqueMap()]]);
    const context = new Map<string, unknown>([["stage", "prod"], ["responseOverride", overrides]]);
    expect(render('#set($context.responseOverride.status = 404)#set($context.responseOverride.header["x-a"] = "b")$context.stage [$context.responseOverride]', "", { context })).toBe("prod []");
    expect(overrides.get("status")).toBe(404);
    expect((overrides.get("header") as Map<string, unknown>).get("x-a")).toBe("b");
  });

  it("renders an undefined stage variable, or an unknown variable, as nothing (as Amazon does)", () => {
    expect(render("[$stageVariables.v][$stageVariables.none][$unknownThing.deep]", "", { stage: { v: "1" } })).toBe("[1][][]");
    const compiled = compileTemplate("$unknownThing $input.body");
    expect("template" in compiled && compiled.template.freeVariables).toEqual(["unknownThing"]);
  });
});

describe("compile-time checks, with line and column", () => {
  it("reports a syntax error where it is", () => {
    expect(problems('{\n  "a": #set($x = )\n}')).toEqual([{ message: expect.stringContaining("syntax error"), line: 2, column: expect.any(Number) }]);
  });

  it("reports a block without #end, and an #end without a block", () => {
    expect(problems("ok\n  #if($a)\nx")).toEqual([{ message: "#if has no matching #end", line: 2, column: 3 }]);
    expect(problems("x #end")[0]!.message).toMatch(/#end without a matching/);
    expect(problems("#foreach($a in $b)x")[0]!.message).toBe("#foreach has no matching #end");
  });

  it("checks literal JSONPaths of $input.path and $input.json", () => {
    expect(problems("\n $input.path('$.a[?(@.b)]')")).toEqual([{ message: expect.stringContaining("filter expressions are not supported"), line: 2, column: 2 }]);
    expect(problems("$input.json('$.a[')")[0]!.message).toMatch(/unclosed \[/);
    expect(problems("$input.json('$.a[0]')")).toEqual([]);
  });

  it("refuses directives a mapping template has no use for, and templates over Amazon's 300 KB", () => {
    expect(problems('#include("x")')[0]!.message).toMatch(/#include is not supported/);
    expect(problems("x".repeat(300 * 1024 + 1))[0]!.message).toMatch(/longer than/);
  });
});

describe("bounds", () => {
  const small: TemplateLimits = { maxSteps: 10_000, maxChars: 100_000, maxLoop: 1000, maxDepth: 20 };

  it("stops a template that builds strings without end (characters)", () => {
    expect(() => render('#set($s = "ab")#foreach($i in [1..40])#set($s = "$s$s")#end$s', "", { limits: small })).toThrow(TemplateLimitError);
  });

  it("stops a template that loops without end (steps): nested loops of 1,000", () => {
    const list = JSON.stringify(Array.from({ length: 1000 }, (_, i) => i));
    expect(() => render("#foreach($a in $input.path('$'))#foreach($b in $input.path('$'))x#end#end", list, { limits: { ...small, maxChars: 10_000_000 } })).toThrow(TemplateLimitError);
  });

  it("stops runaway macro recursion, and ranges too large to build", () => {
    expect(() => render("#macro(f $n)#f($n)#end#f(1)", "", { limits: small })).toThrow(TemplateLimitError);
    expect(() => render("#foreach($i in [1..100000000])#end", "", { limits: small })).toThrow(TemplateLimitError);
  });

  it("refuses JSON nested deeper than 128 levels", () => {
    expect(() => parseJson("[".repeat(200) + "]".repeat(200))).toThrow(/deeper than 128/);
  });
});

describe("JSONPath (Jayway's, as Amazon evaluates it)", () => {
  const doc = parseJson('{"a": {"b": [1, 2, 3]}, "c": [{"x": 1}, {"x": 2, "y": {"x": 3}}], "k.e": "dot"}');
  const at = (path: string) => {
    const r = evaluateJsonPath(compileJsonPath(path), doc);
    return r.found ? toJson(r.value) : "(not found)";
  };

  it("selects definite paths, or nothing", () => {
    expect([at("$.a.b[0]"), at("$.a.b[-1]"), at("$['k.e']"), at("a.b"), at("$.a.z"), at("$.a.b[9]")]).toEqual(["1", "3", '"dot"', "[1,2,3]", "(not found)", "(not found)"]);
  });

  it("gives a list for wildcards, deep scans, slices and unions", () => {
    expect([at("$.c[*].x"), at("$..x"), at("$.a.b[0:2]"), at("$.a.b[0,2]"), at("$.*.missing")]).toEqual(["[1,2]", "[1,2,3]", "[1,2]", "[1,3]", "[]"]);
  });

  it("refuses what it does not support", () => {
    for (const path of ["$.a[?(@.x)]", "$.a.length()", "$.", "$[", "$.a[x]"]) expect(() => compileJsonPath(path), path).toThrow(/invalid JSONPath/);
  });
});
