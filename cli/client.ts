/**
 * The admin API client: `--url` / `PORTICO_URL` (default http://localhost:8787) and `--token` / `PORTICO_TOKEN`.
 * Failures become CliErrors carrying the server's own message and field errors, with exit codes scripts can
 * trust: 1 the server refused the request, 3 the server could not be reached or failed, 4 not authorized.
 */
import { CliError } from "./definition-file.ts";

export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3, unauthorized: 4 } as const;

export interface ClientOptions {
  url?: string;
  token?: string;
}

export class AdminClient {
  readonly base: string;
  readonly #token: string;

  constructor(options: ClientOptions) {
    const url = options.url ?? process.env.PORTICO_URL ?? "http://localhost:8787";
    this.base = url.replace(/\/+$/, "") + "/_portico";
    this.#token = options.token ?? process.env.PORTICO_TOKEN ?? "";
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: { authorization: `Bearer ${this.#token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      throw new CliError(`cannot reach ${this.base}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`, EXIT.unreachable);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      throw new CliError(`${this.base}${path} answered ${res.status} with something other than JSON`, EXIT.unreachable);
    }
    if (res.ok) return { status: res.status, body: parsed as T };
    const { message, errors } = parsed as { message?: string; errors?: { path: string; message: string }[] };
    const fields = (errors ?? []).filter((e) => e.message !== message).map((e) => `  ${e.path}: ${e.message}`);
    const detail = [message ?? `HTTP ${res.status}`, ...fields].join("\n");
    const code = res.status === 401 || res.status === 503 ? EXIT.unauthorized : res.status >= 500 ? EXIT.unreachable : EXIT.refused;
    throw new CliError(`error: ${detail}`, code);
  }

  get<T>(path: string) {
    return this.request<T>("GET", path).then((r) => r.body);
  }
}
