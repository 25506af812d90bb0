/**
 * What a ConnectionHub needs of its environment: what its routes' integrations need (bindings, secrets and vars by
 * name, as the request context takes them), the stage's other hubs (a broadcast fans out) and the MetricsStore
 * (message counts). Never the Worker's Env (docs/architecture.md#layers).
 */
import type { MetricsEnv } from "../../src/observability/metrics.ts";
import type { RequestEnv } from "../../src/pipeline/context.ts";
import type { HubsEnv } from "../../src/websocket/hub-client.ts";

export interface ConnectionHubEnv extends RequestEnv, HubsEnv, MetricsEnv {}
