/**
 * What a UsageQuota needs of its environment: nothing. Its counts are its own state, and the caller sends the
 * plan's quota with every call. Typed here, never as the Worker's Env (docs/architecture.md#layers).
 */
export interface UsageQuotaEnv {}
