/**
 * What an integration's reply may ask of the gateway, beyond Amazon (Portico's groups): response headers that
 * are instructions, never forwarded to a client.
 *
 * - `x-portico-join: room1, room2` — the connection joins these groups;
 * - `x-portico-leave: room1` (or `*` for all) — it leaves them;
 * - `x-portico-broadcast: room1` — the reply's body also goes to every connection in that group, on every hub
 *   of the stage (the sender included when it is a member).
 *
 * Group names that do not match GROUP_NAME are ignored, and a connection is in at most `maxGroups` groups
 * (joins past that are ignored), so a reply cannot grow an attachment without bound.
 */
import { GROUP_NAME } from "./connection-id.ts";

export const JOIN_HEADER = "x-portico-join";
export const LEAVE_HEADER = "x-portico-leave";
export const BROADCAST_HEADER = "x-portico-broadcast";

function names(value: string | null): string[] {
  if (!value) return [];
  return value.split(",").map((v) => v.trim()).filter((v) => v === "*" || GROUP_NAME.test(v));
}

/** The connection's groups after a reply (undefined when unchanged), and the group to broadcast to. */
export function replyInstructions(headers: Headers, current: readonly string[], maxGroups: number): { groups?: string[]; broadcast?: string } {
  const join = names(headers.get(JOIN_HEADER)).filter((g) => g !== "*");
  const leave = names(headers.get(LEAVE_HEADER));
  const broadcastTo = names(headers.get(BROADCAST_HEADER)).find((g) => g !== "*");
  let groups: string[] | undefined;
  if (join.length || leave.length) {
    const next = leave.includes("*") ? [] : current.filter((g) => !leave.includes(g));
    for (const g of join) if (!next.includes(g) && next.length < maxGroups) next.push(g);
    if (next.length !== current.length || next.some((g, i) => g !== current[i])) groups = next;
  }
  return { ...(groups ? { groups } : {}), ...(broadcastTo ? { broadcast: broadcastTo } : {}) };
}
