/**
 * One route of a bundle made ready to serve: data and pure compilation only (the route's spec, its compiled
 * mapping, header policy and resource policies, a lazily compiled body validator). The executors that act on a
 * route — its integration, its authorizer — are built by the pipeline steps that run them, per route, and never
 * live here: this module sits below the request context, and they import it (docs/architecture.md#layers).
 */
import type { Bundle, BundleRoute } from "../config/bundle.ts";
import { buildModelValidator, type ModelValidator } from "../config/models.ts";
import { compileMapping, type CompiledMapping } from "../integrations/mapping/compiled.ts";
import { headerPolicy, type ClientHeaderPolicy } from "../security/client-headers.ts";
import { compilePolicy, type CompiledPolicy } from "../security/resource-policy.ts";
import { CONNECTION_HEADERS } from "../wire/headers.ts";

export interface CompiledRoute {
  spec: BundleRoute;
  /**
   * What runs as the route's integration, for logs, metrics, Server-Timing and explain: the spec's type, or
   * `websocket-connect` / `websocket-management` for a WebSocket API's upgrade and `@connections` routes
   * (compiled-websocket.ts). The integration itself is built by the integrate step (integrations/index.ts).
   */
  integrationType: string;
  /** The integration's mapping (templates, integration responses, parameters); null when it maps nothing. */
  mapping: CompiledMapping | null;
  /** What a client may not send this route's backend or authorizer (security/client-headers.ts). */
  headerPolicy: ClientHeaderPolicy;
  /** The API's resource policy then the route's, compiled; empty when neither has one. */
  policies: CompiledPolicy[];
  /** The JSON body validator, compiled on first use; null when the route does not validate the body. */
  bodyValidator(): ModelValidator | null;
}

export function compileRoute(bundle: Bundle, spec: BundleRoute): CompiledRoute {
  let validator: ModelValidator | null | undefined;
  const mapping = compileMapping(spec.integration, bundle.api.flavor);
  return {
    spec,
    integrationType: spec.integration.type,
    mapping,
    headerPolicy: headerPolicy([...gatewaySetHeaders(bundle, spec), ...mappedHeaders(mapping)], spec.forwardInternalHeaders),
    policies: [bundle.resourcePolicy, spec.resourcePolicy].flatMap((p) => (p ? [compilePolicy(p)] : [])),
    bodyValidator() {
      if (validator === undefined) {
        const model = spec.validate?.body;
        validator = model ? buildModelValidator(bundle.models, model, bundle.settings.jsonLimits.maxPatternInputLength) : null;
      }
      return validator;
    },
  };
}

/**
 * Headers the gateway itself sets on this route's backend request: configured ones, identity headers and, on a
 * WebSocket API, the connection's (wire/headers.ts).
 */
function gatewaySetHeaders(bundle: Bundle, spec: BundleRoute): string[] {
  const names = spec.integration.type === "mock" ? [] : Object.keys("headers" in spec.integration ? spec.integration.headers : {});
  if (bundle.websocket) names.push(...CONNECTION_HEADERS);
  const authorizer = spec.authorizer ? bundle.authorizers[spec.authorizer.name] : undefined;
  if (authorizer?.type === "jwt") names.push(...Object.keys(authorizer.claimsToHeaders));
  if (authorizer?.type === "custom") names.push(...Object.keys(authorizer.contextToHeaders));
  return names;
}

/**
 * Headers the route's parameter mapping sets, appends or removes on the backend request (REST
 * `integration.request.header.<name>`, HTTP `overwrite:|append:|remove:header.<name>`): gateway-set too, so a
 * client's alias of one (`X_Tenant` for a mapped `x-tenant`) never reaches the backend beside the mapped value.
 */
function mappedHeaders(mapping: CompiledMapping | null): string[] {
  if (!mapping) return [];
  const names = mapping.restParameters.flatMap((p) => (p.target.location === "header" ? [p.target.name] : []));
  for (const p of mapping.httpParameters) if (p.key.location === "header") names.push(p.key.name);
  return names;
}
