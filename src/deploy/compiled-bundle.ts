/**
 * A bundle made ready to serve: the route table built and every route compiled (compiled-route.ts), a WebSocket
 * API's routes by key (compiled-websocket.ts). Data only: integrations and authorizers are built from it by the
 * stages that run them, memoised by the identity of this object or its routes, so nothing here imports the
 * request context (docs/architecture.md#layers). Bundles are immutable, so this is done once per bundle id by
 * whoever keeps them: the config source an app serves from (deploy/config-source.ts, registry-source.ts), or a
 * WebSocket hub's bundle memo. There is no memo here: the executors built on a compiled bundle keep state (verified
 * tokens, for one), so two apps in one isolate must not be handed the same one.
 */
import type { Bundle } from "../config/bundle.ts";
import { parseRouteKey, type ParsedRouteKey } from "../routing/route-key.ts";
import { Router } from "../routing/router.ts";
import { compileRoute, type CompiledRoute } from "./compiled-route.ts";
import { compileWebSocket, type CompiledWebSocket } from "./compiled-websocket.ts";

export class CompiledBundle {
  readonly id: string;
  readonly bundle: Bundle;
  readonly router: Router<CompiledRoute>;
  /** Every compiled route: the trie's, or a WebSocket API's by key (what a config source prepares executors for). */
  readonly routes: readonly CompiledRoute[];
  /** WebSocket APIs: routes by key, the upgrade and management routes; null for rest and http APIs. */
  readonly websocket: CompiledWebSocket | null;

  private constructor(id: string, bundle: Bundle) {
    this.id = id;
    this.bundle = bundle;
    // A WebSocket API's routes are keyed by route key, not by path: they live in `websocket`, not in the trie.
    this.websocket = bundle.websocket ? compileWebSocket(bundle) : null;
    const entries = (bundle.websocket ? [] : bundle.routes).map((spec) => {
      const parsed = parseRouteKey(spec.key) as ParsedRouteKey;
      return { method: parsed.method, path: parsed.path, segments: parsed.segments, value: compileRoute(bundle, spec) };
    });
    this.router = new Router(entries);
    this.routes = this.websocket ? [...this.websocket.routes.values()] : entries.map((e) => e.value);
  }

  /** The compiled form of a bundle: a new one each call (the caller keeps it). */
  static of(id: string, bundle: Bundle): CompiledBundle {
    return new CompiledBundle(id, bundle);
  }
}
