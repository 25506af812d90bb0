/**
 * Builds the authorizers of a bundle, once per compiled bundle (where the bundle is loaded: steps/executors.ts):
 * one factory per authorizer type. Kept beside the compiled bundle, never in it: the compiled bundle is data below
 * the request context, and authorizers read the context.
 */
import type { Bundle, BundleAuthorizer } from "../config/bundle.ts";
import type { CompiledBundle } from "../deploy/compiled-bundle.ts";
import { jwtAuthorizer } from "./jwt/index.ts";
import { customAuthorizer } from "./custom/index.ts";
import { mtlsAuthorizer } from "./mtls/index.ts";
import { sigv4Authorizer } from "./sigv4/index.ts";
import type { Authorizer } from "./types.ts";

export function createAuthorizer(spec: BundleAuthorizer, bundle: Bundle): Authorizer {
  switch (spec.type) {
    case "jwt":
      return jwtAuthorizer(spec, bundle);
    case "sigv4":
      return sigv4Authorizer(spec);
    case "custom":
      return customAuthorizer(spec);
    case "mtls":
      return mtlsAuthorizer(spec);
  }
}

export function createAuthorizers(bundle: Bundle): Map<string, Authorizer> {
  return new Map(Object.entries(bundle.authorizers).map(([name, spec]) => [name, createAuthorizer(spec, bundle)]));
}

/** Per compiled bundle: an authorizer's own memos (verified tokens) live as long as its version does (JWKS and custom decisions are the app's: pipeline/app-state.ts). */
const byBundle = new WeakMap<CompiledBundle, Map<string, Authorizer>>();

/** The bundle's authorizers by name, all built together the first time one is asked for. */
export function authorizersOf(compiled: CompiledBundle): Map<string, Authorizer> {
  let authorizers = byBundle.get(compiled);
  if (!authorizers) byBundle.set(compiled, (authorizers = createAuthorizers(compiled.bundle)));
  return authorizers;
}
