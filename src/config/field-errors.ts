/**
 * Errors in an API definition, each tied to the field it is about. The loader and the compiler collect every
 * error rather than stopping at the first, so a user fixes a file in one pass.
 */

/** One problem with one field. `path` is the field's location, e.g. `["routes", "GET /pets", "integration", "uri"]`. */
export interface FieldError {
  path: (string | number)[];
  message: string;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `routes["GET /pets"].integration.uri`: dots for identifiers, brackets for everything else. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (IDENTIFIER.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out || "(root)";
}

/** `routes["GET /pets"].integration.uri: required` */
export function formatFieldError(error: FieldError): string {
  return `${formatPath(error.path)}: ${error.message}`;
}

/** Thrown when a definition cannot be compiled; carries every error found. */
export class DefinitionError extends Error {
  readonly errors: FieldError[];
  constructor(errors: FieldError[]) {
    super(`invalid API definition (${errors.length} error${errors.length === 1 ? "" : "s"}):\n` +
      errors.map((e) => `  ${formatFieldError(e)}`).join("\n"));
    this.name = "DefinitionError";
    this.errors = errors;
  }
}

/** The closest candidate within a small edit distance, for "did you mean" hints. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  const lower = word.toLowerCase();
  for (const candidate of candidates) {
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** A plain object (not null, not a list): what a mapping in a definition must be. */
export const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
