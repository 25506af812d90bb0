/**
 * CloudFormation's intrinsic functions, resolved where a template alone says what they are: pseudo parameters,
 * parameter defaults, `Fn::Sub`/`Ref`/`Fn::GetAtt` of Lambda functions (their ARN, so the import's mapping can
 * bind them), `Fn::Join`, `Fn::Select`, `Fn::Split` and `Fn::FindInMap`. Anything else (`Fn::If` on a
 * condition, `Fn::ImportValue` from another stack, an attribute of a resource the template does not define) stays
 * as it is and is listed with its JSON path, so the part that uses it is reported rather than guessed.
 */
import type { Issues, JsonPath } from "./issues.ts";

export interface TemplateContext {
  resources: Record<string, { Type?: unknown; Properties?: Record<string, unknown> }>;
  parameters: Record<string, { Default?: unknown }>;
  mappings: Record<string, Record<string, Record<string, unknown>>>;
  region: string;
  accountId: string;
  /** Logical ids the import's Lambda mapping names: `${Name.Arn}` of such an id is that function even if undefined here. */
  mappedFunctions: ReadonlySet<string>;
}

const LAMBDA_TYPES = new Set(["AWS::Lambda::Function", "AWS::Serverless::Function"]);
const UNRESOLVED = Symbol("unresolved");
type Resolved = unknown | typeof UNRESOLVED;

/** The function name a Lambda resource gets: its `FunctionName`, else its logical id. */
export function functionName(ctx: TemplateContext, logicalId: string): string {
  const name = ctx.resources[logicalId]?.Properties?.FunctionName;
  return typeof name === "string" ? name : logicalId;
}

function isLambda(ctx: TemplateContext, id: string): boolean {
  const r = ctx.resources[id];
  return r ? LAMBDA_TYPES.has(String(r.Type)) : ctx.mappedFunctions.has(id);
}

const functionArn = (ctx: TemplateContext, id: string) => `arn:aws:lambda:${ctx.region}:${ctx.accountId}:function:${functionName(ctx, id)}`;

function pseudo(ctx: TemplateContext, name: string): Resolved {
  switch (name) {
    case "AWS::Region":
      return ctx.region;
    case "AWS::Partition":
      return "aws";
    case "AWS::AccountId":
      return ctx.accountId;
    case "AWS::URLSuffix":
      return "amazonaws.com";
    default:
      return UNRESOLVED;
  }
}

function ref(ctx: TemplateContext, name: string): Resolved {
  if (name.startsWith("AWS::")) return pseudo(ctx, name);
  const param = ctx.parameters[name];
  if (param) return param.Default !== undefined ? param.Default : UNRESOLVED;
  if (isLambda(ctx, name)) return functionName(ctx, name);
  return UNRESOLVED;
}

function getAtt(ctx: TemplateContext, id: string, attribute: string): Resolved {
  if (attribute === "Arn" && isLambda(ctx, id)) return functionArn(ctx, id);
  return UNRESOLVED;
}

function sub(ctx: TemplateContext, text: string, vars: Record<string, unknown>): Resolved {
  let failed = false;
  const out = text.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
    if (name.startsWith("!")) return `\${${name.slice(1)}}`;
    let value: Resolved;
    if (Object.hasOwn(vars, name)) value = vars[name];
    else if (name.includes(".")) {
      const dot = name.indexOf(".");
      value = getAtt(ctx, name.slice(0, dot), name.slice(dot + 1));
    } else value = ref(ctx, name);
    if (value === UNRESOLVED || (typeof value !== "string" && typeof value !== "number")) {
      failed = true;
      return whole;
    }
    return String(value);
  });
  return failed ? UNRESOLVED : out;
}

function call(ctx: TemplateContext, name: string, arg: unknown, issues: Issues, path: JsonPath): Resolved {
  switch (name) {
    case "Ref":
      return typeof arg === "string" ? ref(ctx, arg) : UNRESOLVED;
    case "Fn::GetAtt": {
      const [id, attribute] = Array.isArray(arg) ? arg : typeof arg === "string" ? arg.split(/\.(.*)/) : [];
      return typeof id === "string" && typeof attribute === "string" ? getAtt(ctx, id, attribute) : UNRESOLVED;
    }
    case "Fn::Sub": {
      const [text, vars] = Array.isArray(arg) ? [arg[0], resolveIntrinsics(arg[1] ?? {}, ctx, issues, [...path, 1])] : [arg, {}];
      return typeof text === "string" && vars && typeof vars === "object" ? sub(ctx, text, vars as Record<string, unknown>) : UNRESOLVED;
    }
    case "Fn::Join": {
      const [sep, list] = Array.isArray(arg) ? arg : [];
      if (typeof sep !== "string" || !Array.isArray(list)) return UNRESOLVED;
      const parts = list.map((p, i) => resolveIntrinsics(p, ctx, issues, [...path, 1, i]));
      return parts.every((p) => typeof p === "string" || typeof p === "number") ? parts.join(sep) : UNRESOLVED;
    }
    case "Fn::Select": {
      const [index, list] = Array.isArray(arg) ? arg : [];
      const items = resolveIntrinsics(list, ctx, issues, [...path, 1]);
      return Array.isArray(items) && Number.isInteger(Number(index)) && Number(index) < items.length ? items[Number(index)] : UNRESOLVED;
    }
    case "Fn::Split": {
      const [sep, text] = Array.isArray(arg) ? arg : [];
      const value = resolveIntrinsics(text, ctx, issues, [...path, 1]);
      return typeof sep === "string" && typeof value === "string" ? value.split(sep) : UNRESOLVED;
    }
    case "Fn::FindInMap": {
      const [map, top, second] = Array.isArray(arg) ? arg.map((a, i) => resolveIntrinsics(a, ctx, issues, [...path, i])) : [];
      const found = typeof map === "string" && typeof top === "string" && typeof second === "string" ? ctx.mappings[map]?.[top]?.[second] : undefined;
      return found === undefined ? UNRESOLVED : found;
    }
    default:
      return UNRESOLVED;
  }
}

const INTRINSIC = /^(Ref|Condition|Fn::[A-Za-z]+)$/;

/**
 * A copy of `value` with every intrinsic function it can resolve replaced by its value; the others are left as
 * written and listed (a warning: where the value matters — an integration's URI — its converter reports the error).
 */
export function resolveIntrinsics(value: unknown, ctx: TemplateContext, issues: Issues, path: JsonPath): unknown {
  if (Array.isArray(value)) return value.map((v, i) => resolveIntrinsics(v, ctx, issues, [...path, i]));
  if (!value || typeof value !== "object") return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && INTRINSIC.test(keys[0]!)) {
    const name = keys[0]!;
    const result = call(ctx, name, (value as Record<string, unknown>)[name], issues, [...path, name]);
    if (result !== UNRESOLVED) return result;
    // The document's title and description are only names for people: an unresolved one says nothing worth listing.
    if (path.includes("info")) return value;
    issues.warn(path, `${name} ${JSON.stringify((value as Record<string, unknown>)[name])} cannot be resolved from the template alone: the part that uses it is not carried over`);
    return value;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = resolveIntrinsics(v, ctx, issues, [...path, k]);
  return out;
}

/** Whether a value is still an intrinsic function (one that could not be resolved). */
export const isIntrinsic = (value: unknown): boolean =>
  !!value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && INTRINSIC.test(Object.keys(value)[0]!);
