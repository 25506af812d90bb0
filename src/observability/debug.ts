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

/**
 * The shortest debug token honoured: a shorter one could be guessed, and it unlocks the configuration of every route.
 * A shorter secret is treated as unset (with one warning per isolate).
 */
export const MIN_DEBUG_TOKEN_CHARS = 32;

let warned: string | undefined;

/** True when the request carries the configured debug token (one of at least MIN_DEBUG_TOKEN_CHARS characters). */
export function hasDebugToken(request: Request, env: Env): boolean {
  const given = request.headers.get(DEBUG_HEADER);
  if (given === null) return false;
  const secret = env.PORTICO_DEBUG_TOKEN;
  if (!secret) return false;
  if (secret.length < MIN_DEBUG_TOKEN_CHARS) {
    if (warned !== secret) {
      warned = secret;
      console.error(JSON.stringify({ level: "warn", event: "debug-token-too-short", detail: `PORTICO_DEBUG_TOKEN is ignored: it has ${secret.length} characters, at least ${MIN_DEBUG_TOKEN_CHARS} are needed` }));
    }
    return false;
  }
  return constantTimeEqual(given, secret);
}
