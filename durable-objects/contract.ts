/**
 * Versioned Durable Object RPC, shared by every object and every caller (documented in durable-objects/STORAGE.md,
 * "RPC contracts"). After a deploy a Worker and an object can run different releases for a while, in either order,
 * so every call says which contract it speaks and every reply says which one it answers in:
 *
 * - a call is one argument `{ v, …fields }`; a reply is `{ v, ok: true, value }` or a refusal
 *   `{ v, ok: false, status, message }` — the ConnectionHub's convention (src/websocket/hub-contract.ts);
 * - an object serves the contract versions it knows and refuses any other with status 501, never guessing;
 * - a versioned method never reuses the name of a method from before contracts ("v0", positional arguments):
 *   v0 code reads an object argument as if it were its first positional one (SQLite binds it as NULL, arithmetic
 *   makes NaN) and answers something plausible and wrong. A new name makes an object that predates it throw
 *   `The RPC receiver does not implement "…"` instead — an error, which the caller handles as that dependency
 *   failing (or, on the data path, by asking again in v0 for one release: `orPrevious`);
 * - a caller checks the reply's `v` and treats any other as a failure of the dependency — so a contract mismatch
 *   fails the way that dependency fails (closed for authorization and configuration), never with a wrong answer.
 */

/** A refusal: the call was understood (or not: 501) and declined. `field` names the input at fault. */
export interface Refusal {
  v: number;
  ok: false;
  status: number;
  message: string;
  field?: string;
}

/** Every versioned reply. */
export type Reply<T> = { v: number; ok: true; value: T } | Refusal;

/** The contract version a call claims, or undefined when it has none (a v0 call, or not an object at all). */
export function versionOf(call: unknown): number | undefined {
  return typeof call === "object" && call !== null && typeof (call as { v?: unknown }).v === "number" ? (call as { v: number }).v : undefined;
}

/** The object's answer to a call in a contract it does not speak. */
export function unknownContract(mine: number, call: unknown): Refusal {
  return { v: mine, ok: false, status: 501, message: `contract ${String(versionOf(call) ?? "none")} is not known to this object (it speaks ${mine})` };
}

/** Wraps a value as a reply in contract `v`. */
export const ok = <T>(v: number, value: T): Reply<T> => ({ v, ok: true, value });

/** Thrown by a caller when an object answered in another contract (or not in one at all). */
export class ContractMismatch extends Error {
  constructor(what: string, expected: number, reply: unknown) {
    super(`${what} answered in contract ${String(versionOf(reply) ?? "none")}, expected ${expected}`);
    this.name = "ContractMismatch";
  }
}

/** Thrown by a caller for a refusal it does not handle itself (status and message are the object's). */
export class Refused extends Error {
  readonly status: number;
  readonly field: string | undefined;
  constructor(what: string, refusal: Refusal) {
    super(`${what}: ${refusal.message}`);
    this.name = "Refused";
    this.status = refusal.status;
    this.field = refusal.field;
  }
}

/** The reply if it is in contract `v` (refusals included), else ContractMismatch. */
export function inContract<T>(reply: unknown, v: number, what: string): Reply<T> {
  if (versionOf(reply) !== v || typeof (reply as { ok?: unknown }).ok !== "boolean") throw new ContractMismatch(what, v, reply);
  return reply as Reply<T>;
}

/** The value of a reply in contract `v`; a refusal throws Refused, another contract ContractMismatch. */
export function valueOf<T>(reply: unknown, v: number, what: string): T {
  const checked = inContract<T>(reply, v, what);
  if (!checked.ok) throw new Refused(what, checked);
  return checked.value;
}

/** True for workerd's error when the object has no such method: it runs a release from before that method. */
export function isMissingMethod(err: unknown): boolean {
  return err instanceof Error && err.name === "TypeError" && err.message.includes("RPC receiver does not implement");
}

/**
 * Calls the current contract; when the object predates it (no such method), asks in the previous contract instead.
 * Used for one release on the data path only, where the v0 answer means exactly the same thing.
 */
export async function orPrevious<T>(current: () => Promise<T>, previous: () => Promise<T>): Promise<T> {
  try {
    return await current();
  } catch (err) {
    if (!isMissingMethod(err)) throw err;
    return previous();
  }
}
