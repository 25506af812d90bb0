/**
 * The debug token: a Worker secret (`PORTICO_DEBUG_TOKEN`) that a request may carry in `x-portico-debug` to get
 * Server-Timing and its decision record (`x-portico-explain`) back. Compared in constant time; without the secret
 * set, the header does nothing. The header is in Portico's namespace, which is never forwarded to a backend, an
 * authorizer or a Lambda-style event (security/client-headers.ts), so the token never leaves the gateway.
 */
import type { Env } from "../env.ts";
import { constantTimeEqual } from "../security/constant-time.ts";
import { DEBUG_HEADER } from "./explain.ts";

export { DEBUG_HEADER } from "./explain.ts";

/** True when the request carries the configured debug token. */
export function hasDebugToken(request: Request, env: Env): boolean {
  const given = request.headers.get(DEBUG_HEADER);
  if (given === null) return false;
  const secret = env.PORTICO_DEBUG_TOKEN;
  return !!secret && constantTimeEqual(given, secret);
}
