/**
 * Builds the integration for a route from its compiled config: one factory per integration type. The integrate
 * stage and a WebSocket hub ask `integrationFor`, which builds each route's integration once, on its first use.
 */
import type { Bundle } from "../config/bundle.ts";
import type { BundleIntegration } from "../config/bundle-integrations.ts";
import type { CompiledRoute } from "../deploy/compiled-route.ts";
import { httpIntegration } from "./http/index.ts";
import { httpProxyIntegration } from "./http-proxy/index.ts";
import { mockIntegration } from "./mock/index.ts";
import { serviceIntegration } from "./service/index.ts";
import { awsIntegration } from "./aws/index.ts";
import { queueIntegration } from "./queue/index.ts";
import { r2Integration } from "./r2/index.ts";
import { workflowIntegration } from "./workflow/index.ts";
import type { Integration } from "./types.ts";

export function createIntegration(spec: BundleIntegration, bundle: Bundle): Integration {
  switch (spec.type) {
    case "http_proxy":
      return httpProxyIntegration(spec, bundle);
    case "http":
      return httpIntegration(spec, bundle);
    case "mock":
      return mockIntegration(spec, bundle);
    case "service":
      return serviceIntegration(spec, bundle);
    case "aws":
      return awsIntegration(spec, bundle);
    case "queue":
      return queueIntegration(spec, bundle);
    case "r2":
      return r2Integration(spec, bundle);
    case "workflow":
      return workflowIntegration(spec, bundle);
  }
}

/**
 * A compiled route's integration, built once and kept for as long as the route is (its compiled bundle is kept by
 * the config source that loaded it, which builds every executor up front: steps/executors.ts): a WeakMap lookup per
 * request.
 */
const byRoute = new WeakMap<CompiledRoute, Integration>();

export function integrationFor(route: CompiledRoute, bundle: Bundle): Integration {
  let integration = byRoute.get(route);
  if (!integration) byRoute.set(route, (integration = createIntegration(route.spec.integration, bundle)));
  return integration;
}
