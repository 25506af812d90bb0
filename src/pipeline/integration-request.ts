/**
 * What the transform step hands the integration: Amazon's integration request once mapped (body, headers,
 * parameters, the `$context` map shared with the response template). The request context carries it, so its types
 * live here, below both the context and the mapping code that fills it (integrations/mapping/).
 */
import type { HttpKey } from "../templates/expressions.ts";
import { OpaqueMap } from "../templates/index.ts";

/** What the integration sends, once the request is mapped. */
export interface IntegrationRequest {
  /** Text (templated or passed through), bytes (binary passthrough or converted), or null for no body. */
  body: string | Uint8Array | null;
  /** Whether a template produced the body. */
  templated: boolean;
  /** The method request's Content-Type (or `application/json` for a templated body without one). */
  contentType: string | null;
  /** Headers the mapping sets on the backend request (lower-cased names; later entries win). */
  headers: [string, string][];
  /** HTTP flavour: header and query-string operations, in order. */
  operations: { key: HttpKey; value: string }[];
  /** Query-string pairs the mapping adds. */
  query: [string, string][];
  /** Path parameters for the URI: the route's, then mapped, then overridden. */
  pathParams: Record<string, string>;
  /** `$context`: shared with the response template. */
  context: ContextMap;
  /** `$stageVariables`, made once for both templates. */
  stageVariables: Map<string, unknown>;
  params: MethodParams;
  /** X-Amz-Invocation-Type mapped to `Event`: invoke without waiting (Lambda custom). */
  asynchronous: boolean;
}

/** The method request's parameters as mapping reads them (`method.request.*`, `$input.params()`). */
export interface MethodParams {
  path: Record<string, string>;
  /** Every value of each name, in order. */
  query: Map<string, string[]>;
  header: Map<string, string>;
}

/** `$context`: a map whose `authorizer` exists even when no authorizer ran (an empty map, not in keySet()). */
export class ContextMap extends Map<string, unknown> {
  override get(key: string): unknown {
    const value = super.get(key);
    return value === undefined && key === "authorizer" ? EMPTY : value;
  }
}

const EMPTY = new OpaqueMap();
