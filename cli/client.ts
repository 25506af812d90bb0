/**
 * The admin API client: `--url` / `PORTICO_URL` (default http://localhost:8787) and `--token` / `PORTICO_TOKEN`.
 * Failures become CliErrors carrying the server's own message and field errors, with exit codes scripts can
 * trust: 1 the server refused the request, 3 the server could not be reached, failed, or answered something
 * that is not the admin API, 4 not authorized.
 */
import { CliError, EXIT } from "./errors.ts";

export { EXIT } from "./errors.ts";

export interface ClientOptions {
  url?: string;
  token?: string;
}

/** Set once any admin API answered this process: a later surprise about its shape is the server's (exit 3). */
export let answeredBy: string | undefined;

export class AdminClient {
  readonly origin: string;
  readonly base: string;
  readonly #token: string;

  constructor(options: ClientOptions) {
    const url = options.url ?? process.env.PORTICO_URL ?? "http://localhost:8787";
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new CliError(`--url / PORTICO_URL is not a URL: ${JSON.stringify(url)}`, EXIT.usage);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new CliError(`--url / PORTICO_URL must be http(s): ${url}`, EXIT.usage);
    this.origin = url.replace(/\/+$/, "");
    this.base = this.origin + "/_portico";
    this.#token = options.token ?? process.env.PORTICO_TOKEN ?? "";
  }

  /** True when the server is this machine (a `wrangler dev` / `portico dev` session, usually). */
  get isLocal(): boolean {
    const host = new URL(this.origin).hostname;
    return host === "localhost" || host === "[::1]" || /^127\./.test(host);
  }

  /** The parsed JSON object the server answered with; anything but a JSON object is the server's failure. */
  async request<T extends object>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: { authorization: `Bearer ${this.#token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (err) {
      const cause = (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message;
      throw new CliError(`cannot reach ${this.base}: ${cause}`, EXIT.unreachable);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      throw new CliError(`${this.base}${path} answered ${res.status} with something other than JSON: is ${this.origin} a Portico Worker?`, EXIT.unreachable);
    }
    answeredBy = this.origin;
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
      throw new CliError(`${this.base}${path} answered ${res.status} with JSON that is not Portico's: is ${this.origin} a Portico Worker?`, EXIT.unreachable);
    if (res.ok) return { status: res.status, body: parsed as T };
    const { message, errors } = parsed as { message?: unknown; errors?: unknown };
    const details = Array.isArray(errors)
      ? errors
          .filter((e): e is { path: string; message: string } => !!e && typeof e.path === "string" && typeof e.message === "string" && e.message !== message)
      : [];
    const text1 = typeof message === "string" ? message : `HTTP ${res.status}`;
    const code = res.status === 401 || res.status === 503 ? EXIT.unauthorized : res.status >= 500 ? EXIT.unreachable : EXIT.refused;
    throw new CliError(text1, code, details);
  }

  get<T extends object>(path: string): Promise<T> {
    return this.request<T>("GET", path).then((r) => r.body);
  }
}

/** `body[key]` when it is an array, else the server answered something that is not Portico's admin API. */
export function listIn<T>(body: object, key: string, what: string): T[] {
  const value = (body as Record<string, unknown>)[key];
  if (!Array.isArray(value)) throw new CliError(`the server's answer has no ${what} list (${key}): is it a Portico Worker?`, EXIT.unreachable);
  return value as T[];
}

/** `body` when `ok` holds for it, else the server answered something that is not Portico's admin API (exit 3). */
export function shaped<T>(body: object, ok: (value: Record<string, unknown>) => boolean, what: string): T {
  if (!ok(body as Record<string, unknown>)) throw new CliError(`the server's answer is not ${what}: is it a Portico Worker?`, EXIT.unreachable);
  return body as T;
}

/** A stage as the admin API describes one (`StageState`). */
export const isStage = (b: Record<string, unknown>) => typeof b.stage === "string" && typeof b.deploymentId === "string";
