/**
 * The one typed environment: Worker bindings, secrets and vars. Service bindings named by integrations
 * (`service: DEMO_BACKEND`) are looked up by name at request time, hence the index signature.
 */
export interface Env {
  /** Immutable bundles by id. */
  BUNDLES: KVNamespace;
  /** The stage response cache. */
  CACHE: KVNamespace;
  /** The API served on the Worker's own host names; empty means the embedded bundle's API. */
  PORTICO_API?: string;
  [binding: string]: unknown;
}
