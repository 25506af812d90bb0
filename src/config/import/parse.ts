/**
 * Reading an export or a template: JSON or YAML, with CloudFormation's short-form tags (`!Sub`, `!Ref`, `!GetAtt`
 * …) read as the long forms they stand for (`{"Fn::Sub": …}`), so a SAM template parses rather than failing on its
 * first tag. What the tags mean is resolved later (template.ts), where it can be.
 */
import { parseDocument, type CollectionTag, type ScalarTag } from "yaml";
import { MAX_DEFINITION_BYTES } from "../load.ts";
import type { FieldError } from "../field-errors.ts";

/** CloudFormation's intrinsic functions with a short form (`!Name`); `Ref` and `Condition` have no `Fn::`. */
const FUNCTIONS = [
  "Ref", "Condition", "Sub", "GetAtt", "Join", "Select", "Split", "If", "Equals", "And", "Or", "Not", "FindInMap",
  "ImportValue", "Base64", "Cidr", "GetAZs", "Transform", "Length", "ToJsonString",
];

function longForm(name: string, value: unknown): Record<string, unknown> {
  if (name === "Ref" || name === "Condition") return { [name]: value };
  // `!GetAtt Res.Attr` is the scalar form of `Fn::GetAtt: [Res, Attr]`.
  if (name === "GetAtt" && typeof value === "string") {
    const dot = value.indexOf(".");
    return { "Fn::GetAtt": dot > 0 ? [value.slice(0, dot), value.slice(dot + 1)] : [value] };
  }
  return { [`Fn::${name}`]: value };
}

const CLOUDFORMATION_TAGS: (ScalarTag | CollectionTag)[] = FUNCTIONS.flatMap((name) => [
  { tag: `!${name}`, resolve: (value: string) => longForm(name, value) } as ScalarTag,
  ...(["seq", "map"] as const).map((collection) => ({ tag: `!${name}`, collection, resolve: (node: { toJSON(): unknown }) => longForm(name, node.toJSON()) }) as unknown as CollectionTag),
]);

/** Parses an export's or template's text; syntax errors come back with line and column. */
export function parseExportText(text: string): { value: unknown; errors: FieldError[] } {
  if (text.length > MAX_DEFINITION_BYTES / 3 && new TextEncoder().encode(text).byteLength > MAX_DEFINITION_BYTES)
    return { value: undefined, errors: [{ path: [], message: `file is larger than ${MAX_DEFINITION_BYTES} bytes` }] };
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true, customTags: CLOUDFORMATION_TAGS });
  if (doc.errors.length)
    return {
      value: undefined,
      errors: doc.errors.map((e) => {
        const at = e.linePos?.[0];
        return { path: [], message: `${at ? `line ${at.line}, column ${at.col}: ` : ""}${e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:$/, "")}` };
      }),
    };
  try {
    return { value: doc.toJS({ maxAliasCount: 100 }), errors: [] };
  } catch (err) {
    return { value: undefined, errors: [{ path: [], message: (err as Error).message }] };
  }
}

export type ExportKind = "swagger2" | "openapi3" | "cloudformation";

/**
 * What a parsed document is, by its shape: `swagger: "2.0"`; `openapi: 3.x` (with Amazon's extensions, or
 * `x-amazon-apigateway-*` anywhere, or, when `strict` is off, any OpenAPI 3 document); a template with
 * `AWSTemplateFormatVersion`, `Transform: AWS::Serverless-*` or API Gateway resources. null: a Portico definition
 * (or nothing known).
 */
export function detectExport(value: unknown, strict = true): ExportKind | null {
  if (!value || typeof value !== "object" || Array.isArray(value)) return null;
  const doc = value as Record<string, unknown>;
  if (doc.swagger === "2.0" || doc.swagger === 2) return "swagger2";
  if (typeof doc.openapi === "string" && /^3\.0(\.\d+)?$/.test(doc.openapi)) return !strict || hasAmazonExtension(doc) ? "openapi3" : null;
  // Another OpenAPI 3 version: the import says why it cannot read it; validate and dev leave it alone.
  if (typeof doc.openapi === "string" && doc.openapi.startsWith("3.")) return strict ? null : "openapi3";
  if (doc.openapi === 3 || doc.openapi === 3.0) return "openapi3";
  const transform = doc.Transform;
  const transforms = Array.isArray(transform) ? transform : [transform];
  if (doc.AWSTemplateFormatVersion !== undefined || transforms.some((t) => typeof t === "string" && t.startsWith("AWS::Serverless-"))) return "cloudformation";
  if (doc.Resources && typeof doc.Resources === "object" && /"AWS::(ApiGateway|Serverless)/.test(JSON.stringify(doc.Resources))) return "cloudformation";
  return null;
}

function hasAmazonExtension(node: unknown, depth = 0): boolean {
  if (!node || typeof node !== "object" || depth > 8) return false;
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith("x-amazon-apigateway-")) return true;
    if (hasAmazonExtension(value, depth + 1)) return true;
  }
  return false;
}
