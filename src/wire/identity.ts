/**
 * Who the caller proved to be: what an authorizer returns, the request context carries, a WebSocket connection's
 * attachment keeps, and Lambda-style events show (`requestContext.authorizer`). Below every layer that handles it,
 * so none of them has to import another's module for the type.
 */

export type ContextValue = string | number | boolean;

export interface Identity {
  type: "jwt" | "custom" | "sigv4" | "mtls";
  /** Who the caller is: JWT `sub`, the custom authorizer's principalId, the SigV4 access key id, the certificate subject. */
  principalId: string;
  /** JWT claims (null for other types). */
  claims: Record<string, unknown> | null;
  scopes: string[];
  /** Custom authorizer context, or certificate facts for mTLS: reaches Lambda-style events (requestContext.authorizer). */
  context: Record<string, ContextValue>;
  /** A custom authorizer's `usageIdentifierKey` (the API key, when the API takes keys from the authorizer). */
  usageIdentifierKey: string | null;
}
