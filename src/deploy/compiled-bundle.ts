/**
 * A bundle made ready to serve: the route table built, integrations constructed, validators compiled on first
 * use. Bundles are immutable, so this is done once per bundle id per isolate and kept (bounded) for reuse.
 */
import type { Bundle, BundleRoute } from "../config/bundle.ts";
import { buildModelValidator, type ModelValidator } from "../config/models.ts";
import { createAuthorizers } from "../authorizers/index.ts";
import type { Authorizer } from "../authorizers/types.ts";
import { createIntegration } from "../integrations/index.ts";
import { compilePolicy, type CompiledPolicy } from "../security/resource-policy.ts";
import type { Integration } from "../integrations/types.ts";
import { compileMapping, type CompiledMapping } from "../integrations/mapping/compiled.ts";
import { parseRouteKey, type ParsedRouteKey } from "../routing/route-key.ts";
import { headerPolicy, type ClientHeaderPolicy } from "../security/client-headers.ts";
import { Router } from "../routing/router.ts";
import { compileWebSocket, type CompiledWebSocket } from "../websocket/compiled.ts";
import { CONNECTION_HEADERS } from "../websocket/invoke.ts";

export interface CompiledRoute {
  spec: BundleRoute;
  integration: Integration;
  /** The integration's mapping (templates, integration responses, parameters); null when it maps nothing. */
  mapping: CompiledMapping | null;
  /** What a client may not send this route's backend or authorizer (security/client-headers.ts). */
  headerPolicy: ClientHeaderPolicy;
  /** The API's resource policy then the route's, compiled; empty when neither has one. */
  policies: CompiledPolicy[];
  /** The JSON body validator, compiled on first use; null when the route does not validate the body. */
  bodyValidator(): ModelValidator | null;
}

const MAX_MEMOISED = 32;
const memo = new Map<string, CompiledBundle>();

export class CompiledBundle {
  readonly id: string;
  readonly bundle: Bundle;
  readonly router: Router<CompiledRoute>;
  readonly authorizers: Map<string, Authorizer>;
  /** WebSocket APIs: routes by key, the upgrade and management routes; null for rest and http APIs. */
  readonly websocket: CompiledWebSocket | null;

  private constructor(id: string, bundle: Bundle) {
    this.id = id;
    this.bundle = bundle;
    this.authorizers = createAuthorizers(bundle);
    // A WebSocket API's routes are keyed by route key, not by path: they live in `websocket`, not in the trie.
    this.websocket = bundle.websocket ? compileWebSocket(bundle, compileRoute) : null;
    this.router = new Router(
      (bundle.websocket ? [] : bundle.routes).map((spec) => {
        const parsed = parseRouteKey(spec.key) as ParsedRouteKey;
        return { method: parsed.method, path: parsed.path, segments: parsed.segments, value: compileRoute(bundle, spec) };
      }),
    );
  }

  /** The compiled bundle for an id, when this isolate has it (shadow evaluation loads a candidate only once). */
  static known(id: string): CompiledBundle | undefined {
    return memo.get(id);
  }

  /** The compiled form of a bundle, memoised per isolate by id. */
  static of(id: string, bundle: Bundle): CompiledBundle {
    let compiled = memo.get(id);
    if (!compiled) {
      compiled = new CompiledBundle(id, bundle);
      if (memo.size >= MAX_MEMOISED) memo.delete(memo.keys().next().value!);
      memo.set(id, compiled);
    }
    return compiled;
  }
}

export function compileRoute(bundle: Bundle, spec: BundleRoute): CompiledRoute {
  let validator: ModelValidator | null | undefined;
  const mapping = compileMapping(spec.integration, bundle.api.flavor);
  return {
    spec,
    integration: createIntegration(spec.integration, bundle),
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
 * WebSocket API, the connection's (websocket/invoke.ts).
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
