/**
 * Checks a value against the definition schema (`schema.ts`) and returns every error with its field path.
 *
 * A general JSON Schema validator reports `#/routes/GET ~1pets/integration` and "must match exactly one schema";
 * users need `routes["GET /pets"].integration.uri: required` and "did you mean". So this walks the subset of JSON
 * Schema the definition schema uses: type, const, enum, pattern, length and range bounds, properties, required,
 * additionalProperties, propertyNames, minProperties, items, minItems, anyOf (chosen by JSON type) and oneOf over
 * objects told apart by a `type` const (the integration kinds).
 */
import { didYouMean, type FieldError } from "./field-errors.ts";
import { DEFINITION_SCHEMA, type SchemaNode } from "./schema.ts";

type Path = (string | number)[];

export function checkDefinitionShape(value: unknown, root: SchemaNode = DEFINITION_SCHEMA): FieldError[] {
  const errors: FieldError[] = [];
  walk(value, root, [], root, errors);
  return errors;
}

function resolve(node: SchemaNode, root: SchemaNode): SchemaNode {
  const ref = node.$ref;
  if (typeof ref !== "string") return node;
  const name = ref.replace("#/$defs/", "");
  const target = (root.$defs as Record<string, SchemaNode>)[name];
  if (!target) throw new Error(`schema: unknown $ref ${ref}`);
  return target;
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function typeMatches(actual: string, expected: string): boolean {
  return actual === expected || (expected === "number" && actual === "integer");
}

function describeType(types: string[]): string {
  const words = types.map((t) => (t === "object" ? "a mapping" : t === "array" ? "a list" : t === "integer" ? "an integer" : `a ${t}`));
  return words.length === 1 ? words[0]! : `${words.slice(0, -1).join(", ")} or ${words.at(-1)}`;
}

function walk(value: unknown, nodeIn: SchemaNode, path: Path, root: SchemaNode, errors: FieldError[]): void {
  const node = resolve(nodeIn, root);
  const actual = jsonType(value);

  if (Array.isArray(node.oneOf)) return walkDiscriminated(value, node.oneOf as SchemaNode[], path, root, errors);
  if (Array.isArray(node.anyOf)) {
    const branches = (node.anyOf as SchemaNode[]).map((b) => resolve(b, root));
    const match = branches.find((b) => typeMatches(actual, b.type as string));
    if (!match) {
      errors.push({ path, message: `must be ${describeType(branches.map((b) => b.type as string))}` });
      return;
    }
    return walk(value, match, path, root, errors);
  }

  if ("const" in node) {
    if (value !== node.const) errors.push({ path, message: `must be ${JSON.stringify(node.const)}` });
    return;
  }
  if (Array.isArray(node.enum)) {
    if (!node.enum.includes(value)) {
      // Only string candidates: an enum may hold false (rateLimitHeaders), which has no spelling to suggest.
      const hint = typeof value === "string" ? didYouMean(value, (node.enum as unknown[]).filter((c): c is string => typeof c === "string")) : undefined;
      errors.push({
        path,
        message: `must be one of ${(node.enum as unknown[]).map((v) => JSON.stringify(v)).join(", ")}` +
          (hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ""),
      });
    }
    return;
  }

  if (node.type !== undefined) {
    const types = Array.isArray(node.type) ? (node.type as string[]) : [node.type as string];
    if (!types.some((t) => typeMatches(actual, t))) {
      errors.push({ path, message: `must be ${describeType(types)}, not ${actual === "integer" ? "a number" : describeType([actual])}` });
      return;
    }
  }

  switch (actual) {
    case "string":
      return checkString(value as string, node, path, errors);
    case "integer":
    case "number":
      if (typeof node.minimum === "number" && (value as number) < node.minimum)
        errors.push({ path, message: `must be at least ${node.minimum}` });
      if (typeof node.maximum === "number" && (value as number) > node.maximum)
        errors.push({ path, message: `must be at most ${node.maximum}` });
      return;
    case "array":
      return walkArray(value as unknown[], node, path, root, errors);
    case "object":
      return walkObject(value as Record<string, unknown>, node, path, root, errors);
  }
}

function checkString(value: string, node: SchemaNode, path: Path, errors: FieldError[]): void {
  if (typeof node.minLength === "number" && value.length < node.minLength)
    errors.push({ path, message: node.minLength === 1 ? "must not be empty" : `must be at least ${node.minLength} characters` });
  if (typeof node.maxLength === "number" && value.length > node.maxLength)
    errors.push({ path, message: `must be at most ${node.maxLength} characters` });
  if (typeof node.pattern === "string" && !new RegExp(node.pattern, "u").test(value))
    errors.push({ path, message: `${JSON.stringify(value.length > 80 ? value.slice(0, 80) + "…" : value)} does not match ${node.pattern}` });
}

function walkArray(value: unknown[], node: SchemaNode, path: Path, root: SchemaNode, errors: FieldError[]): void {
  if (typeof node.minItems === "number" && value.length < node.minItems)
    errors.push({ path, message: `must have at least ${node.minItems} item${node.minItems === 1 ? "" : "s"}` });
  if (node.items) value.forEach((item, i) => walk(item, node.items as SchemaNode, [...path, i], root, errors));
}

function walkObject(
  value: Record<string, unknown>,
  node: SchemaNode,
  path: Path,
  root: SchemaNode,
  errors: FieldError[],
): void {
  const properties = (node.properties ?? {}) as Record<string, SchemaNode>;
  const keys = Object.keys(value);
  for (const name of (node.required ?? []) as string[]) {
    if (value[name] === undefined) errors.push({ path: [...path, name], message: "required" });
  }
  if (typeof node.minProperties === "number" && keys.length < node.minProperties)
    errors.push({ path, message: `must have at least ${node.minProperties} entr${node.minProperties === 1 ? "y" : "ies"}` });
  const names = node.propertyNames as SchemaNode | undefined;
  for (const key of keys) {
    if (names) {
      const before = errors.length;
      walk(key, names, [...path, key], root, errors);
      if (errors.length > before) {
        // Report a bad key as a key problem, not a value problem.
        for (let i = before; i < errors.length; i++) errors[i]!.message = `invalid name: ${errors[i]!.message}`;
        continue;
      }
    }
    const prop = properties[key];
    if (prop) walk(value[key], prop, [...path, key], root, errors);
    else if (node.additionalProperties === false) {
      const hint = didYouMean(key, Object.keys(properties));
      errors.push({ path: [...path, key], message: `unknown field${hint ? ` (did you mean "${hint}"?)` : ""}` });
    } else if (node.additionalProperties && typeof node.additionalProperties === "object") {
      walk(value[key], node.additionalProperties as SchemaNode, [...path, key], root, errors);
    }
  }
}

/** oneOf over object schemas told apart by `properties.type.const` (the integration kinds). */
function walkDiscriminated(value: unknown, branchesIn: SchemaNode[], path: Path, root: SchemaNode, errors: FieldError[]): void {
  const branches = branchesIn.map((b) => resolve(b, root));
  const kinds = branches.map((b) => ((b.properties as Record<string, SchemaNode>).type!.const as string));
  if (jsonType(value) !== "object") {
    errors.push({ path, message: "must be a mapping" });
    return;
  }
  const kind = (value as Record<string, unknown>).type;
  if (kind === undefined) {
    errors.push({ path: [...path, "type"], message: `required: one of ${kinds.map((k) => JSON.stringify(k)).join(", ")}` });
    return;
  }
  const index = kinds.indexOf(kind as string);
  if (index < 0) {
    const hint = typeof kind === "string" ? didYouMean(kind, kinds) : undefined;
    errors.push({
      path: [...path, "type"],
      message: `must be one of ${kinds.map((k) => JSON.stringify(k)).join(", ")}${hint ? ` (did you mean "${hint}"?)` : ""}`,
    });
    return;
  }
  walk(value, branches[index]!, path, root, errors);
}
