/**
 * What a KeyStore shard needs of its environment: the Registry's `keys` instance (the directory), asked once for
 * the layout and the keys stored before KeyStore. Typed by the directory's contract, since the Registry reaches the
 * KeyStore through code that imports this class (docs/architecture.md#layers).
 */
import type { KeyDirectoryRpc } from "../registry/contract.ts";

export interface KeyStoreObjectEnv {
  REGISTRY: DurableObjectNamespace<KeyDirectoryRpc>;
}
