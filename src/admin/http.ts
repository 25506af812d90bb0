/**
 * The admin API's JSON conventions: errors are `{"message": ..., "errors": [{"path", "message"}]}` with a status
 * that says what went wrong, and request bodies are read with a size limit.
 */
import type { Context } from "hono";
import { formatPath, type FieldError } from "../config/field-errors.ts";
import { readAtMost } from "../util/read-bounded.ts";
import { ContractMismatch, inContract, isMissingMethod, Refused } from "../../durable-objects/contract.ts";
import { REGISTRY_CONTRACT } from "../../durable-objects/registry/contract.ts";
import type { Result } from "../../durable-objects/registry/index.ts";

/** Names in admin paths: APIs, and stages or plans. */
export const API_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const ITEM_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** A path parameter that must match `pattern`, or a 400 naming it. */
export function param(value: string | undefined, pattern: RegExp, what: string): string {
  if (!value || !pattern.test(value)) throw new AdminError(400, `invalid ${what} name`, [{ path: [what], message: `must match ${pattern.source}` }]);
  return value;
}

/** A Registry or KeyStore result, or the AdminError it stands for. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw new AdminError(result.status, result.message, result.field ? [{ path: [result.field], message: result.message }] : []);
}

/** A contract-v1 Registry reply's value, or the AdminError its refusal stands for (a contract mismatch throws). */
export function registryAnswer<T>(reply: unknown): T {
  const checked = inContract<T>(reply, REGISTRY_CONTRACT, "the Registry");
  if (checked.ok) return checked.value;
  const status = checked.status === 400 || checked.status === 404 || checked.status === 409 ? checked.status : 503;
  throw new AdminError(status, checked.message, checked.field ? [{ path: [checked.field], message: checked.message }] : []);
}

/**
 * An object that runs another release than this Worker (a deploy rolling out: it lacks a method, answers in
 * another contract, or refuses ours) is a 503 the client can retry, never a guess at what it meant.
 */
export function contractError(err: unknown): AdminError | undefined {
  if (isMissingMethod(err) || err instanceof ContractMismatch || (err instanceof Refused && err.status === 501))
    return new AdminError(503, "a Durable Object runs another release of Portico (a deploy is rolling out): retry shortly");
  return undefined;
}

/** Largest admin request body (a definition with thousands of routes fits easily). */
export const MAX_ADMIN_BODY_BYTES = 5 * 1024 * 1024;

export class AdminError extends Error {
  readonly status: 400 | 401 | 404 | 409 | 410 | 413 | 415 | 503;
  readonly errors: { path: string; message: string }[];
  constructor(status: AdminError["status"], message: string, errors: FieldError[] = []) {
    super(message);
    this.status = status;
    this.errors = errors.map((e) => ({ path: formatPath(e.path), message: e.message }));
  }
}

export function adminErrorResponse(c: Context, err: AdminError): Response {
  return c.json({ message: err.message, ...(err.errors.length ? { errors: err.errors } : {}) }, err.status);
}

/** Reads a JSON object body, bounded; 413 past the limit, 400 for anything that is not a JSON object. */
export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_ADMIN_BODY_BYTES) throw new AdminError(413, `request body is larger than ${MAX_ADMIN_BODY_BYTES} bytes`);
  const text = await readBoundedText(request, MAX_ADMIN_BODY_BYTES);
  if (!text.trim()) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AdminError(400, "request body is not valid JSON");
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new AdminError(400, "request body must be a JSON object");
  return value as Record<string, unknown>;
}

async function readBoundedText(request: Request, limit: number): Promise<string> {
  const bytes = await readAtMost(request.body, limit);
  if (!bytes) throw new AdminError(413, `request body is larger than ${limit} bytes`);
  return new TextDecoder().decode(bytes);
}

/** Field checks for admin request bodies: each returns the value or records an error at its path. */
export class FieldChecker {
  readonly errors: FieldError[] = [];
  constructor(private readonly body: Record<string, unknown>) {}

  string(name: string, opts: { required?: boolean; pattern?: RegExp; max?: number } = {}): string | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) {
      if (opts.required) this.errors.push({ path: [name], message: "required" });
      return undefined;
    }
    if (typeof v !== "string") return this.#bad(name, "must be a string");
    if (opts.max !== undefined && v.length > opts.max) return this.#bad(name, `must be at most ${opts.max} characters`);
    if (opts.pattern && !opts.pattern.test(v)) return this.#bad(name, `must match ${opts.pattern.source}`);
    return v;
  }

  number(name: string, opts: { required?: boolean; min?: number; max?: number; decimals?: number; integer?: boolean } = {}): number | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) {
      if (opts.required) this.errors.push({ path: [name], message: "required" });
      return undefined;
    }
    if (typeof v !== "number" || !Number.isFinite(v)) return this.#bad(name, "must be a number");
    if (opts.integer && !Number.isInteger(v)) return this.#bad(name, "must be an integer");
    if (opts.min !== undefined && v < opts.min) return this.#bad(name, `must be at least ${opts.min}`);
    if (opts.max !== undefined && v > opts.max) return this.#bad(name, `must be at most ${opts.max}`);
    // Scaled values carry binary floating-point error (0.29 × 100 = 28.999999999999996): compare with a tolerance.
    if (opts.decimals !== undefined && Math.abs(Math.round(v * 10 ** opts.decimals) - v * 10 ** opts.decimals) > 1e-6)
      return this.#bad(name, `must have at most ${opts.decimals} decimals`);
    return v;
  }

  boolean(name: string): boolean | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "boolean") return this.#bad(name, "must be true or false");
    return v;
  }

  stringMap(name: string, keyPattern: RegExp): Record<string, string> | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "object" || Array.isArray(v)) return this.#bad(name, "must be an object of strings");
    for (const [k, value] of Object.entries(v)) {
      if (!keyPattern.test(k)) this.errors.push({ path: [name, k], message: `invalid name: must match ${keyPattern.source}` });
      if (typeof value !== "string") this.errors.push({ path: [name, k], message: "must be a string" });
    }
    return v as Record<string, string>;
  }

  fail(path: (string | number)[], message: string): void {
    this.errors.push({ path, message });
  }

  /** Throws 400 with every error recorded so far. */
  done(): void {
    if (this.errors.length) throw new AdminError(400, "invalid request", this.errors);
  }

  #bad(name: string, message: string): undefined {
    this.errors.push({ path: [name], message });
    return undefined;
  }
}
