/**
 * The templates section (mapping templates issue): what compiling a mapping template costs (once per bundle per
 * isolate) and what rendering one costs (per request), in Node with the product's own engine (src/templates/) —
 * the same JavaScript workerd runs on V8. The throughput pair (a mock route with request and response templates
 * against the same mock without) is in scenarios.ts.
 */
import { compileTemplate, InputObject, type CompiledTemplate } from "../src/templates/index.ts";

export interface TemplateCost {
  name: string;
  /** Characters of the template. */
  chars: number;
  compileUs: number;
  renderUs: number;
  /** Characters the render produced. */
  outputChars: number;
}

export interface TemplatesResult {
  runtime: string;
  runs: number;
  rows: TemplateCost[];
}

/** Amazon's documentation template that passes every parameter on (api-gateway-mapping-template-reference). */
const ALL_PARAMS = `#set($allParams = $input.params())
{
  "params" : {
    #foreach($type in $allParams.keySet())
    #set($params = $allParams.get($type))
    "$type" : {
      #foreach($paramName in $params.keySet())
      "$paramName" : "$util.escapeJavaScript($params.get($paramName))"
      #if($foreach.hasNext),#end
      #end
    }
    #if($foreach.hasNext),#end
    #end
  },
  "body" : $input.json('$')
}`;

/** A response template reshaping a list of 100 items. */
const RESHAPE = `#set($root = $input.path('$'))
[#foreach($item in $root.items){"id": "$item.id", "label": "$util.escapeJavaScript($item.name) ($item.kind)"}#if($foreach.hasNext),#end#end]`;

const CASES: { name: string; template: string; body: string }[] = [
  { name: "the bench route's request template", template: '{"statusCode": 200, "requestId": "$context.requestId", "q": "$util.escapeJavaScript($input.params(\'q\'))"}', body: "" },
  { name: "$input.json('$') of a 1 KB body", template: "$input.json('$')", body: JSON.stringify({ items: Array.from({ length: 20 }, (_, i) => ({ id: i, name: `item ${i}` })) }) },
  { name: "Amazon's all-parameters template", template: ALL_PARAMS, body: JSON.stringify({ a: 1, b: [1, 2, 3] }) },
  { name: "reshape a list of 100 items", template: RESHAPE, body: JSON.stringify({ items: Array.from({ length: 100 }, (_, i) => ({ id: i, name: `item ${i}`, kind: i % 2 ? "odd" : "even" })) }) },
];

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function time(ops: number, work: () => unknown): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) work();
  return Number(process.hrtime.bigint() - started) / 1000 / ops;
}

export function measureTemplates(log: (line: string) => void): TemplatesResult {
  const RUNS = 7;
  const params = {
    path: new Map([["id", "42"]]),
    querystring: new Map([["q", "cats"], ["limit", "10"]]),
    header: new Map([["accept", "application/json"], ["user-agent", "bench/1.0"], ["x-request-id", "abc"]]),
  };
  const context = new Map<string, unknown>([["requestId", "3f1c…"], ["stage", "bench"]]);
  const rows: TemplateCost[] = [];
  for (const c of CASES) {
    log(`  ${c.name}`);
    const compileRuns: number[] = [];
    const renderRuns: number[] = [];
    let compiled: CompiledTemplate | undefined;
    let output = "";
    for (let run = 0; run < RUNS; run++) {
      compileRuns.push(
        time(200, () => {
          const result = compileTemplate(c.template);
          if ("problems" in result) throw new Error(`${c.name}: ${result.problems[0]!.message}`);
          compiled = result.template;
        }),
      );
      // A fresh $input per render, as per request: the body is parsed on first use.
      renderRuns.push(time(2000, () => (output = compiled!.render({ input: new InputObject(c.body, params), context, stageVariables: new Map() }))));
    }
    rows.push({ name: c.name, chars: c.template.length, compileUs: median(compileRuns), renderUs: median(renderRuns), outputChars: output.length });
  }
  return { runtime: `Node ${process.version} (V8 ${process.versions.v8}), one thread`, runs: RUNS, rows };
}
