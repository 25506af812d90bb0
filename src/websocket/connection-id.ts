/**
 * Connection ids and hub names. A connection id is 12 bytes in base64url (16 characters, like Amazon's): the
 * first two bytes are the number of the hub holding the connection, the other ten are random. So `@connections`
 * reaches the right ConnectionHub in one call, and a made-up id names at worst another hub of the same stage,
 * which does not have it (410).
 */

const ID = /^[A-Za-z0-9_-]{16}$/;
/** Group names: what `join`, `leave` and `broadcast` accept. */
export const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** The Durable Object name of hub `shard` of a stage: `hub:<api>:<stage>:<shard>` (STORAGE.md). */
export const hubName = (api: string, stage: string, shard: number) => `hub:${api}:${stage}:${shard}`;

/** A new connection id on a hub chosen at random among `hubs`. */
export function mintConnectionId(hubs: number): { id: string; shard: number } {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  const shard = Math.floor(Math.random() * hubs);
  bytes[0] = shard >> 8;
  bytes[1] = shard & 0xff;
  return { id: base64url(bytes), shard };
}

/** The hub a connection id names, or undefined for anything that is not a connection id. */
export function shardOf(id: string): number | undefined {
  if (!ID.test(id)) return undefined;
  const first = atob(id.slice(0, 4).replace(/-/g, "+").replace(/_/g, "/"));
  return (first.charCodeAt(0) << 8) | first.charCodeAt(1);
}

function base64url(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_");
}
