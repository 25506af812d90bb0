/**
 * `$input`: the payload and the method request's parameters, as Amazon gives them to a mapping template.
 *
 * - `$input.body` is the payload as text; an empty payload reads as `{}` (recorded on Amazon).
 * - `$input.path(p)` evaluates JSONPath `p` on the parsed payload: maps, lists and scalars, null when nothing is
 *   there. `$input.json(p)` is the same selection as compact JSON (`null` when nothing is there).
 * - `$input.params()` is `{path={…}, querystring={…}, header={…}}`; `$input.params(name)` looks in the path, then
 *   the query string, then the headers (header names in any case), and is null when none has it.
 *
 * A payload that is not JSON reads, like json-smart's permissive parse, as one string: `$input.path('$')` is the
 * text and any deeper path finds nothing. The payload is parsed once, on first use; paths once per text.
 */
import { JsonSyntaxError, parseJson, toJson } from "./json.ts";
import { compileJsonPath, evaluateJsonPath, JsonPathError, type JsonPath } from "./jsonpath.ts";
import { TemplateRuntimeError } from "./errors.ts";
import { HostObject, NO_METHOD, javaString } from "./values.ts";

export interface InputParams {
  path: Map<string, string>;
  querystring: Map<string, string>;
  /** Lower-cased names (Workers lower-case every header name). */
  header: Map<string, string>;
}

const NOT_PARSED = Symbol("not parsed");
const PATH_CACHE_MAX = 512;
const pathCache = new Map<string, JsonPath>();

/** A JSONPath compiled once per isolate (bounded), shared by every template that uses it. */
export function jsonPath(text: string): JsonPath {
  let path = pathCache.get(text);
  if (!path) {
    try {
      path = compileJsonPath(text);
    } catch (err) {
      if (err instanceof JsonPathError) throw new TemplateRuntimeError(err.message);
      throw err;
    }
    if (pathCache.size >= PATH_CACHE_MAX) pathCache.delete(pathCache.keys().next().value!);
    pathCache.set(text, path);
  }
  return path;
}

export class InputObject extends HostObject {
  readonly body: string;
  #parsed: unknown = NOT_PARSED;

  constructor(
    body: string,
    private readonly params: InputParams,
  ) {
    super();
    this.body = body === "" ? "{}" : body;
  }

  /** The payload parsed as JSON (or, when it is not JSON, the text itself). */
  document(): unknown {
    if (this.#parsed === NOT_PARSED) {
      try {
        this.#parsed = parseJson(this.body);
      } catch (err) {
        if (!(err instanceof JsonSyntaxError)) throw err;
        this.#parsed = this.body;
      }
    }
    return this.#parsed;
  }

  /** `$input.path(p)`: the selected value, or null. */
  path(p: string): unknown {
    const result = evaluateJsonPath(jsonPath(p), this.document());
    return result.found ? result.value : null;
  }

  property(name: string): unknown {
    return name === "body" ? this.body : undefined;
  }

  method(name: string, args: unknown[]): unknown {
    const arg = args[0];
    switch (`${name}/${args.length}`) {
      case "path/1":
        return arg === null || arg === undefined ? null : this.path(javaString(arg));
      case "json/1": {
        if (arg === null || arg === undefined) return null;
        const value = this.path(javaString(arg));
        return toJson(value);
      }
      case "params/0":
        return new Map<string, unknown>([
          ["path", new Map(this.params.path)],
          ["querystring", new Map(this.params.querystring)],
          ["header", new Map(this.params.header)],
        ]);
      case "params/1": {
        if (arg === null || arg === undefined) return null;
        const key = javaString(arg);
        return this.params.path.get(key) ?? this.params.querystring.get(key) ?? this.params.header.get(key.toLowerCase()) ?? null;
      }
      case "getBody/0":
        return this.body;
      default:
        return NO_METHOD;
    }
  }
}
