/**
 * What a RateLimiter needs of its environment: nothing. A bucket is its own state, and the caller sends its
 * configuration with every call. Typed here, never as the Worker's Env (docs/architecture.md#layers).
 */
export interface RateLimiterEnv {}
