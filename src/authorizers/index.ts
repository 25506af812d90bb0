/** Builds the authorizers of a bundle, once per bundle per isolate: one factory per authorizer type. */
import type { Bundle, BundleAuthorizer } from "../config/bundle.ts";
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
