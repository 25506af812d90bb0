/**
 * What Amazon's extensions cannot say about a Portico API — throttles, the cache, usage plans, stage variables,
 * Portico-only authorizer settings … — travels in a Portico export as `x-portico` objects beside Amazon's: at the
 * top of the document for the API's fields, on each operation for its route's. An `x-portico` object holds just
 * the fields that differ from what the importer reads from Amazon's extensions (or, marked `$replace`, the whole
 * object), so import → export → import gives back the same API, and a tool that knows only Amazon's extensions
 * still reads everything Amazon has.
 */
import { isObject } from "../field-errors.ts";

export const RESIDUE_KEY = "x-portico";
const REPLACE = "$replace";
const UNSET = "$unset";

/**
 * The fields of `original` that `derived` lacks or has differently, and (`$unset`) those `derived` has that
 * `original` does not; the whole of `original` (`$replace`) when nothing was derived.
 */
export function computeResidue(original: Record<string, unknown>, derived: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!derived) return { ...original, [REPLACE]: true };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(original)) if (!deepEqual(v, derived[k])) out[k] = v;
  const extra = Object.keys(derived).filter((k) => !Object.hasOwn(original, k) && derived[k] !== undefined);
  if (extra.length) out[UNSET] = extra;
  return Object.keys(out).length ? out : undefined;
}

/** `derived` with a residue applied: `$replace` takes the residue whole; else `$unset` fields go, the rest win. */
export function applyResidue<T extends object>(derived: T | undefined, residue: unknown): T | undefined {
  if (!isObject(residue)) return derived;
  if (residue[REPLACE] === true) {
    const { [REPLACE]: _, ...whole } = residue;
    return whole as T;
  }
  const { [UNSET]: unset, ...fields } = residue;
  const out: Record<string, unknown> = { ...(derived ?? {}) };
  if (Array.isArray(unset)) for (const key of unset) if (typeof key === "string") delete out[key];
  return { ...out, ...fields } as T;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((v, i) => deepEqual(v, (b as unknown[])[i]));
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  // Key order matters in a definition only where it is data (templates, responses): compare it too.
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
