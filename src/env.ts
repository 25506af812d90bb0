/**
 * The one typed environment: Worker bindings, secrets and vars. Service bindings named by integrations
 * (`service: DEMO_BACKEND`) are looked up by name at request time, hence the index signature.
 */
import type { Registry } from "../durable-objects/registry/index.ts";

export interface Env {
  /** Immutable bundles by id. */
  BUNDLES: KVNamespace;
  /** The stage response cache. */
  CACHE: KVNamespace;
  /** Deployments: one object per API (`api:<name>`) and one domain index (`index`). */
  REGISTRY: DurableObjectNamespace<Registry>;
  /** The API served on the Worker's own host names; empty means the embedded bundle's API. */
  PORTICO_API?: string;
  /** How long an isolate trusts a stage pointer it read from the Registry, in ms (default 5000). */
  REGISTRY_MEMO_MS?: string;
  /** How often an isolate sends its batched metrics to the Registry, in ms (default 5000). */
  METRICS_FLUSH_MS?: string;
  /** Secret: the admin API's bearer token. Without it the admin API answers 503. */
  ADMIN_TOKEN?: string;
  /** Secret: lets testers force a version with `x-portico-version-force` when sent in `x-portico-force-secret`. */
  PORTICO_FORCE_SECRET?: string;
  [binding: string]: unknown;
}
