/**
 * The Worker's side of the ConnectionHub: stubs by (API, stage, hub number), the upgrade hand-off, and fan-out
 * to every hub of a stage. Connection operations shared by `@connections` and the admin API are in operations.ts.
 */
import type { CompiledBundle } from "../deploy/compiled-bundle.ts";
import type { ConnectionAttachment } from "./attachment.ts";
import { hubName } from "./connection-id.ts";
import { HUB_CONNECT_HEADER, HUB_CONTRACT, NEED_BUNDLE_STATUS, type HubConnect, type HubRpc } from "./hub-contract.ts";

/** What calling hubs needs of the environment (the Worker's, or a hub's own when it broadcasts). */
export interface HubsEnv {
  CONNECTION_HUB: DurableObjectNamespace<HubRpc>;
}

/** The hub's upgrade endpoint: a fixed name, since the hub has no other fetch route (hub-contract.ts says why fetch). */
const CONNECT_URL = "https://hub.portico.internal/connect";

export const hubStub = (env: HubsEnv, api: string, stage: string, shard: number) => env.CONNECTION_HUB.get(env.CONNECTION_HUB.idFromName(hubName(api, stage, shard)));

/**
 * Gives the upgrade to the connection's hub, which accepts the socket and answers 101 with the client's end.
 * A hub that has never seen the connection's bundle version answers 409 once; the Worker then sends the bundle
 * along (the hub keeps it in its own storage, so later wakes need neither KV nor the Registry).
 */
export async function handOff(env: HubsEnv, shard: number, attachment: ConnectionAttachment, bundle: CompiledBundle): Promise<Response> {
  const stub = hubStub(env, attachment.portico.api, attachment.portico.stage, shard);
  // The runtime returns a WebSocket only to a request that says `Upgrade: websocket`, and such a request carries
  // no body: the facts travel in a header (URI-encoded JSON, so any identity survives as a header value).
  const call: HubConnect = { v: HUB_CONTRACT, attachment };
  const send = () => stub.fetch(CONNECT_URL, { headers: { upgrade: "websocket", [HUB_CONNECT_HEADER]: encodeURIComponent(JSON.stringify(call)) } });
  const first = await send();
  if (first.status !== NEED_BUNDLE_STATUS) return first;
  await first.body?.cancel();
  await stub.storeBundle({ v: HUB_CONTRACT, id: bundle.id, bundle: bundle.bundle });
  return send();
}

/** Calls `each` on every hub of a stage at once, and the replies in hub order. */
export function fanOut<T>(env: HubsEnv, api: string, stage: string, hubs: number, each: (hub: ReturnType<typeof hubStub>, shard: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: hubs }, (_, shard) => each(hubStub(env, api, stage, shard), shard)));
}
