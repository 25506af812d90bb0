/**
 * What a Registry instance needs of its environment: KV for bundles and snapshots, the domain index (an API's
 * instance tells it its domains: typed by that contract, since the index is a Registry too), the KeyStore (calls
 * from the previous release are forwarded there) and the MetricsStore or Analytics Engine's SQL API (canary checks read a version's metrics).
 * Never the Worker's Env (docs/architecture.md#layers).
 */
import type { KeyStoreEnv } from "../../src/deploy/key-store-client.ts";
import type { AnalyticsSqlEnv } from "../../src/observability/analytics-sql.ts";
import type { MetricsStoreEnv } from "../../src/observability/metrics-store-client.ts";
import type { DomainIndexRpc } from "./contract.ts";

export interface RegistryObjectEnv extends KeyStoreEnv, MetricsStoreEnv, AnalyticsSqlEnv {
  /** Bundles by id, and the snapshots this object writes (`snapshot:*`). */
  BUNDLES: KVNamespace;
  REGISTRY: DurableObjectNamespace<DomainIndexRpc>;
}
