/**
 * The executors the pipeline steps build from a compiled bundle (each route's integration, the authorizers), built
 * all at once where a bundle is loaded. They are memoised by the compiled objects and otherwise built on first use;
 * building them up front means a bundle whose executors cannot be built (one written by an incompatible release,
 * say) is refused where it is read — the last good version keeps serving — instead of answering 500 on every
 * request to the route.
 */
import { authorizersOf } from "../authorizers/index.ts";
import type { CompiledBundle } from "../deploy/compiled-bundle.ts";
import { integrationFor } from "../integrations/index.ts";

/** Builds every executor of `compiled`; throws what a builder throws. Idempotent. */
export function prepareExecutors(compiled: CompiledBundle): void {
  authorizersOf(compiled);
  for (const route of compiled.routes) integrationFor(route, compiled.bundle);
}
