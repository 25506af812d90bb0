/**
 * Lambda functions in Amazon's URIs, and the service bindings they become. An integration or authorizer URI names
 * a function (`arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:…:function:Name/invocations`,
 * `…/2021-11-15/functions/…/response-streaming-invocations` for response streaming, or the function ARN itself on HTTP
 * APIs); the import's mapping (`--lambda Name=BINDING`) says which Worker
 * stands in for it. A function the mapping does not name gets a binding named after it, which `validate` then
 * checks against wrangler.toml like any other.
 */

export interface LambdaFunction {
  /** The function's name (`HelloWorld`), as the ARN gives it. */
  name: string;
  /** The whole function ARN, qualifier included. */
  arn: string;
  /** A version or alias (`:live`), if any; may be a stage variable reference. */
  qualifier: string | null;
}

const INVOCATION = /^arn:aws[a-z-]*:apigateway:[^:]*:lambda:path\/[0-9-]+\/functions\/(.+)\/(?:response-streaming-)?invocations$/;
const FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[^:]*:[^:]*:function:([^:/]+)(?::([^/]+))?$/;

/** The function an integration or authorizer URI invokes, or null when it is not a Lambda URI. */
export function lambdaOf(uri: string): LambdaFunction | null {
  const inner = INVOCATION.exec(uri)?.[1] ?? uri;
  const m = FUNCTION_ARN.exec(inner);
  if (!m) return null;
  return { name: m[1]!, arn: inner, qualifier: m[2] ?? null };
}

/** Whether a URI names an AWS service action or path (`arn:aws:apigateway:{region}:{service}:action|path/…`) other than Lambda. */
export function isAwsServiceUri(uri: string): boolean {
  return /^arn:aws[a-z-]*:apigateway:[^:]*:[a-z0-9.-]+:(action|path)\//.test(uri) && !INVOCATION.test(uri);
}

/** `HelloWorld` → `HELLO_WORLD`, `my-function` → `MY_FUNCTION`: a binding name (`^[A-Z_][A-Z0-9_]*$`). */
export function bindingName(name: string): string {
  const snake = name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toUpperCase();
  return /^[A-Z_]/.test(snake) ? snake : `_${snake}`;
}

/**
 * The binding for a function: the mapping's entry for its ARN, `name:qualifier`, name or (templates) logical id,
 * else one named after it. `mapped` says whether the mapping named it.
 */
export function bindingFor(fn: LambdaFunction, mapping: Readonly<Record<string, string>>, logicalId?: string): { binding: string; mapped: boolean } {
  const keys = [fn.arn, fn.qualifier ? `${fn.name}:${fn.qualifier}` : undefined, fn.name, logicalId].filter((k): k is string => !!k);
  for (const key of keys) if (Object.hasOwn(mapping, key)) return { binding: mapping[key]!, mapped: true };
  return { binding: bindingName(logicalId ?? fn.name), mapped: false };
}
