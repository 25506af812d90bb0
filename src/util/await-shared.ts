/**
 * Waiting, on this request's own timer, for work another request started (single flight: a configuration
 * refresh, a JWKS fetch, a rate-limit lease, a cache fill). The shared promise is awaited directly: with
 * `handle_cross_request_promise_resolution` (on from compatibility date 2024-10-14, so in wrangler.toml's), workerd
 * runs this request's continuation in this request's own I/O context, even after the request that started the work
 * has ended — test/worker/runtime/cross-request-promises.test.ts shows it (docs/architecture.md, "Waiting for
 * another request's work"). The timer still bounds the wait: the other request may be cancelled, and its work
 * then never settles.
 *
 * Resolves true when the shared work settled (either way), false when `ms` ran out first; the timer is cleared
 * as soon as the work settles.
 */
export function awaitShared(shared: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const settled = () => {
      clearTimeout(timer);
      resolve(true);
    };
    shared.then(settled, settled);
  });
}
