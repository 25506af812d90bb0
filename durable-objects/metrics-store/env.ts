/**
 * What a MetricsStore shard needs of its environment: nothing. Callers send samples and read totals; it calls no
 * one. Typed here, never as the Worker's Env (docs/architecture.md#layers).
 */
export interface MetricsStoreObjectEnv {}
