/**
 * The CLI's one error type and its exit codes, which scripts can trust: 0 ok, 1 refused (invalid input, the
 * server said no), 2 usage (bad arguments, unreadable file), 3 the server could not be reached, failed or
 * answered something that is not Portico's admin API, 4 not authorized.
 */

export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3, unauthorized: 4 } as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** One field's problem, its path already formatted (`routes["GET /pets"].integration.uri`). */
export interface ErrorDetail {
  path: string;
  message: string;
}

export class CliError extends Error {
  readonly exitCode: number;
  /** Field errors behind the message (a server's 400, an invalid definition), listed under it. */
  readonly details: ErrorDetail[];
  constructor(message: string, exitCode: number = EXIT.refused, details: ErrorDetail[] = []) {
    super(message);
    this.exitCode = exitCode;
    this.details = details;
  }
}
